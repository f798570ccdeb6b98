"""Mutant optimizers (issue 5): each must fail the properties listed in KILLS.

Each is a ``torch.optim.Optimizer`` subclass loaded exactly as a user's optimizer would be:
``pytest --optimizer tests.mutants.optimizers:<Name>``. ``ReferenceAdam`` is the same
hand-written Adam without a mutation (the control: it must pass what the mutants fail).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch

Bias = Callable[[float, float], float]
Moment = Callable[[torch.Tensor, torch.Tensor, float], None]
Direction = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
Apply = Callable[[torch.Tensor, torch.Tensor], None]


def _correct_bias(beta: float, t: float) -> float:
    return 1 - beta ** t


def _mean(m: torch.Tensor, g: torch.Tensor, beta: float) -> None:
    """m <- beta m + (1 - beta) g: the running mean mu_t (seed Problem 1)."""
    m.lerp_(g, 1 - beta)


def _mean_square(v: torch.Tensor, g: torch.Tensor, beta: float) -> None:
    """v <- beta v + (1 - beta) g^2, entry by entry."""
    v.mul_(beta).addcmul_(g, g, value=1 - beta)


def _adam_direction(m_hat: torch.Tensor, v_hat: torch.Tensor, eps: float) -> torch.Tensor:
    """m_hat / (sqrt(v_hat) + eps)."""
    return m_hat / (v_hat.sqrt() + eps)


def _subtract(p: torch.Tensor, update: torch.Tensor) -> None:
    p.sub_(update)


def adam_step(opt: torch.optim.Adam, closure: Callable[[], Any] | None, *,
              bias: Bias = _correct_bias, step_dtype: torch.dtype = torch.float32,
              store_max: bool = True, foreach_skips_empty: bool = False,
              first_moment: Moment = _mean, second_moment: Moment = _mean_square,
              direction: Direction = _adam_direction, apply: Apply = _subtract) -> Any:
    """Adam/AdamW-style update written out per tensor; the keywords inject the mutations."""
    loss = None
    if closure is not None:
        with torch.enable_grad():
            loss = closure()
    with torch.no_grad():
        for group in opt.param_groups:
            b1, b2 = group["betas"]
            fast = bool(group.get("foreach") or group.get("fused"))
            params = [p for p in group["params"] if p.grad is not None]
            if fast and foreach_skips_empty:
                params = [p for p in params if p.numel() > 0]  # "nothing to do" shortcut
            for p in params:
                g = -p.grad if group["maximize"] else p.grad
                state = opt.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                if "step" not in state:
                    state["step"] = torch.tensor(0.0, dtype=step_dtype)
                state["step"] += 1
                t = float(state["step"])
                if group["weight_decay"]:
                    g = g.add(p, alpha=group["weight_decay"])
                m, v = state["exp_avg"], state["exp_avg_sq"]
                first_moment(m, g, b1)
                second_moment(v, g, b2)
                if group["amsgrad"]:
                    vmax = torch.maximum(state["max_exp_avg_sq"], v)
                    if store_max:
                        state["max_exp_avg_sq"].copy_(vmax)
                else:
                    vmax = v
                d = direction(m / bias(b1, t), vmax / bias(b2, t), group["eps"])
                apply(p, d * group["lr"])
    return loss


class ReferenceAdam(torch.optim.Adam):
    """Control: the hand-written Adam with no mutation."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure)


class AdamBiasOffByOne(torch.optim.Adam):
    """Bias correction 1 - beta^(t+1)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, bias=lambda b, t: 1 - b ** (t + 1))


class AdamBiasPower(torch.optim.Adam):
    """Bias correction divides by beta^t instead of 1 - beta^t."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, bias=lambda b, t: b ** t if b else 1.0)


class AdamBf16Step(torch.optim.Adam):
    """Step counter kept in bfloat16: 256 + 1 rounds back to 256."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, step_dtype=torch.bfloat16)


class AdamForeachSkipsEmpty(torch.optim.Adam):
    """The foreach/fused path drops zero-size tensors before initialising state."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, foreach_skips_empty=True)


class AdamStateDropsStep(torch.optim.Adam):
    """state_dict() leaves out the step counter, so a reload restarts bias correction."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure)

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["state"] = {k: {n: v for n, v in s.items() if n != "step"}
                       for k, s in sd["state"].items()}
        return sd


class AMSGradForgetsMax(torch.optim.Adam):
    """AMSGrad whose running maximum is computed but never stored."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, store_max=False)


def _running_sum(m: torch.Tensor, g: torch.Tensor, beta: float) -> None:
    """m <- beta m + g: the running sum y_t, N = 1/(1 - beta) times the mean."""
    m.mul_(beta).add_(g)


def _tensor_mean_square(v: torch.Tensor, g: torch.Tensor, beta: float) -> None:
    """v <- beta v + (1 - beta) mean(g^2), one value shared by the whole tensor."""
    if g.numel():
        v.mul_(beta).add_((g * g).mean(), alpha=1 - beta)


class AdamSumMomentum(torch.optim.Adam):
    """First moment kept as the running sum y_t = beta y + g (not the mean), still divided
    by 1 - beta^t: every step is N = 1/(1 - beta) times too long (seed Problem 1)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, first_moment=_running_sum)


def _clipped_mean(m: torch.Tensor, g: torch.Tensor, beta: float) -> None:
    """m <- beta m + (1 - beta) clip(g, -1, 1)."""
    m.lerp_(g.clamp(-1.0, 1.0), 1 - beta)


def _clipped_mean_square(v: torch.Tensor, g: torch.Tensor, beta: float) -> None:
    _mean_square(v, g.clamp(-1.0, 1.0), beta)


class AdamClipsGradValue(torch.optim.Adam):
    """Built-in gradient clipping to [-1, 1] (on a copy): which entries clip depends on the
    gradient's scale, so g -> k g changes the run."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, first_moment=_clipped_mean,
                         second_moment=_clipped_mean_square)


class AdamNoSqrt(torch.optim.Adam):
    """Divides by v_hat + eps, forgetting the square root: the step scales like 1/|g|."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, direction=lambda m, v, eps: m / (v + eps))


class AdamEpsOutsideDivision(torch.optim.Adam):
    """m_hat / sqrt(v_hat) + eps: a zero gradient gives 0 / 0 = NaN."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, direction=lambda m, v, eps: m / v.sqrt() + eps)


class AdamTensorwiseSecondMoment(torch.optim.Adam):
    """Saves memory by keeping one second moment per tensor (the mean of g^2 over entries):
    no longer elementwise, so splitting a tensor in two changes the run."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, second_moment=_tensor_mean_square)


def _bf16_master(p: torch.Tensor, update: torch.Tensor) -> None:
    """float32 parameters are updated in bfloat16 ("fast path"); float64 ones exactly."""
    if p.dtype == torch.float32:
        p.copy_(p.to(torch.bfloat16) - update.to(torch.bfloat16))
    else:
        p.sub_(update)


class AdamBf16FastPath(torch.optim.Adam):
    """Updates float32 parameters through bfloat16 (unit roundoff 2^-8, not 2^-24)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return adam_step(self, closure, apply=_bf16_master)


class AdamSkipsBiasOnAccelerator(torch.optim.Adam):
    """Off the cpu (cuda, mps) a "fused" branch forgets the bias correction."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        off_cpu = any(p.device.type != "cpu" for g in self.param_groups for p in g["params"])
        return adam_step(self, closure, bias=(lambda b, t: 1.0) if off_cpu else _correct_bias)


class SGDDampenedFirstStep(torch.optim.SGD):
    """Momentum buffer initialised to (1 - dampening) g instead of g."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                mu, damp = group["momentum"], group["dampening"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = -p.grad if group["maximize"] else p.grad
                    if group["weight_decay"]:
                        g = g.add(p, alpha=group["weight_decay"])
                    if mu:
                        st = self.state[p]
                        if st.get("momentum_buffer") is None:
                            st["momentum_buffer"] = (1 - damp) * g.clone()
                        else:
                            st["momentum_buffer"].mul_(mu).add_(g, alpha=1 - damp)
                        buf = st["momentum_buffer"]
                        g = g.add(buf, alpha=mu) if group["nesterov"] else buf
                    p.add_(g, alpha=-group["lr"])
        return loss


class SGDClipsGradInPlace(torch.optim.SGD):
    """Clips each gradient to norm 1 in place (the caller's .grad changes)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None and p.grad.numel():
                        p.grad.div_(p.grad.norm().clamp(min=1.0))
        return super().step(closure)


class SGDStepsAtLrZero(torch.optim.SGD):
    """Floors the step size at 1e-3, so lr = 0 still moves the parameters."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        for group in self.param_groups:
            group["lr"] = max(group["lr"], 1e-3)
        return super().step(closure)


def sgd_then(opt: torch.optim.SGD, closure: Callable[[], Any] | None,
             touch: Callable[[torch.Tensor], None]) -> Any:
    """torch's SGD step, then ``touch(p)`` on every parameter (no grad); returns the loss."""
    loss = torch.optim.SGD.step(opt, closure)
    with torch.no_grad():
        for group in opt.param_groups:
            for p in group["params"]:
                touch(p)
    return loss


def _decay_if_no_grad(p: torch.Tensor) -> None:
    if p.grad is None:
        p.mul_(0.999)


def _entropy_noise(p: torch.Tensor) -> None:
    if p.grad is not None and p.numel():
        p.add_(int.from_bytes(os.urandom(2), "little") * 1e-9 + 1e-9)


class SGDDecaysEveryParam(torch.optim.SGD):
    """Applies a 0.999 decay to every parameter, including those whose grad is None."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return sgd_then(self, closure, _decay_if_no_grad)


class SGDNondeterministic(torch.optim.SGD):
    """Adds noise from the operating system's entropy: two identical runs differ."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        return sgd_then(self, closure, _entropy_noise)


class SGDDropsLoss(torch.optim.SGD):
    """Evaluates the closure but returns None instead of the loss."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        super().step(closure)
        return None


class SGDScaleInInstance(torch.optim.SGD):
    """Keeps a hyperparameter as an instance attribute, which deepcopy's __getstate__ drops."""

    def __init__(self, params: Any, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.scale = 1.0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        for group in self.param_groups:
            group["lr"] = group.setdefault("base_lr", group["lr"]) * self.scale
        return super().step(closure)


class SGDFlattensRows(torch.optim.SGD):
    """Views each gradient as rows with reshape(numel // last, -1): fails on zero-size tensors."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.reshape(p.grad.shape[0] if p.grad.dim() else 1, -1)
        return super().step(closure)


ADAM_CLAIMS = {"elementwise": True, "bias_correction": True, "first_step": "lr*sign(g)",
               "sign_like": True, "scale_invariant": True, "momentum": "debiased_mean",
               "batch_size_rule": "sqrt"}

# name -> (kwargs, claims, properties it must fail)
KILLS: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]] = {
    "AdamBiasOffByOne": ({}, ADAM_CLAIMS, ("test_bias_correction", "test_first_step")),
    "AdamBiasPower": ({}, ADAM_CLAIMS, ("test_bias_correction", "test_first_step")),
    "AdamBf16Step": ({}, ADAM_CLAIMS, ("test_bias_correction",)),
    "AdamForeachSkipsEmpty": ({}, ADAM_CLAIMS, ("test_impl_paths_agree",)),
    "SGDDampenedFirstStep": ({"lr": 1e-2, "momentum": 0.9, "dampening": 0.5},
                             {"first_step": "lr*g"}, ("test_first_step",)),
    "AdamStateDropsStep": ({}, ADAM_CLAIMS, ("test_state_dict_roundtrip_into_fresh_instance",
                                             "test_state_dict_reload_into_same_instance")),
    "AMSGradForgetsMax": ({"amsgrad": True, "betas": [0.9, 0.99]},
                          {**ADAM_CLAIMS, "max_normalizer": True}, ("test_max_normalizer",)),
    "SGDClipsGradInPlace": ({}, {}, ("test_step_does_not_modify_grads",)),
    "SGDStepsAtLrZero": ({}, {}, ("test_lr_zero_is_identity",)),
    "SGDDecaysEveryParam": ({}, {}, ("test_none_grad_leaves_param_untouched",)),
    "SGDNondeterministic": ({}, {}, ("test_identical_runs_bit_identical",)),
    "SGDDropsLoss": ({}, {}, ("test_step_closure_returns_loss",)),
    "SGDScaleInInstance": ({}, {}, ("test_deepcopy_continues_identically",)),
    "SGDFlattensRows": ({}, {}, ("test_zero_size_params",)),
    "AdamSumMomentum": ({}, ADAM_CLAIMS, ("test_asymptotic_step", "test_momentum_convention")),
    "AdamClipsGradValue": ({}, ADAM_CLAIMS, ("test_scale_invariance",
                                             "test_scale_sensitivity_measured")),
    "AdamNoSqrt": ({}, ADAM_CLAIMS, ("test_batch_size_exponent",)),
    "AdamEpsOutsideDivision": ({}, ADAM_CLAIMS, ("test_finite_in_finite_out",)),
    "AdamTensorwiseSecondMoment": ({}, ADAM_CLAIMS,
                                   ("test_elementwise_regrouping_changes_nothing",)),
    "AdamBf16FastPath": ({}, ADAM_CLAIMS, ("test_float32_tracks_float64",)),
}

# Killed only where an accelerator is present (test_device_matches_cpu never runs on cpu).
DEVICE_KILLS: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]] = {
    "AdamSkipsBiasOnAccelerator": ({}, ADAM_CLAIMS, ("test_device_matches_cpu",)),
}


class RaisesAtStep3(torch.optim.SGD):
    """Error handling: raises inside step() at the third step."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        self._n = getattr(self, "_n", 0) + 1
        if self._n == 3:
            raise RuntimeError("boom")
        return super().step(closure)


class HangsAtStep2(torch.optim.SGD):
    """Error handling: never returns from the second step()."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        self._n = getattr(self, "_n", 0) + 1
        while self._n == 2:
            pass
        return super().step(closure)


class ReturnsGarbage(torch.optim.SGD):
    """Error handling: replaces each parameter's data with a wrong-shaped tensor."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        for group in self.param_groups:
            for p in group["params"]:
                p.data = torch.zeros(p.numel() + 1, dtype=p.dtype)
        return None
