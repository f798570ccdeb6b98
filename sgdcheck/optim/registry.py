"""Default configurations, hyperparameter ranges and claims per optimizer.

Claims here are what the optimizer's documentation states; the suite checks them.
Subclasses of a registered class inherit its configuration but not its claims.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from hypothesis import strategies as st

from sgdcheck.optim.loading import qualified_name

Strategy = st.SearchStrategy


def log_uniform(lo: float, hi: float) -> Strategy[float]:
    import math
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: float(10.0 ** e))


LR = log_uniform(1e-4, 1e-1)
BETA = st.sampled_from([0.0, 0.9]) | st.floats(0.0, 0.99)
BETA2 = st.sampled_from([0.999]) | st.floats(0.5, 0.9999)
EPS = st.sampled_from([1e-8]) | log_uniform(1e-10, 1e-3)
WD = st.sampled_from([0.0]) | st.floats(0.0, 0.1)
BOOL = st.booleans()


@dataclass(frozen=True, repr=False)
class OptimizerSpec:
    """Everything the suite knows about one optimizer configuration."""

    name: str
    cls: type[torch.optim.Optimizer]
    kwargs: dict[str, Any] = field(default_factory=dict)
    hparams: dict[str, Strategy[Any]] = field(default_factory=dict)
    fix: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    ndims: tuple[int, ...] = (0, 1, 2)
    zero_size: bool = True  # draw zero-size tensors in every property (else only one)
    work_u: float | None = None  # unit roundoff of internal compute, if below storage
    xfail: dict[str, str] = field(default_factory=dict)
    nqm: dict[str, Any] = field(default_factory=dict)  # lr and batch-size scaling rules
    prepare: Callable[[torch.optim.Optimizer], None] | None = None

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def __repr__(self) -> str:
        return f"OptimizerSpec({self.name!r}, {self.ref}, kwargs={self.kwargs})"

    @property
    def ref(self) -> str:
        return qualified_name(self.cls)

    def accepts(self, kwarg: str) -> bool:
        params = inspect.signature(self.cls.__init__).parameters
        return kwarg in params or any(p.kind is p.VAR_KEYWORD for p in params.values())

    @property
    def impl_flags(self) -> list[dict[str, bool]]:
        """The foreach / fused variants the constructor supports."""
        params = inspect.signature(self.cls.__init__).parameters
        out: list[dict[str, bool]] = []
        if "foreach" in params:
            out += [{"foreach": False}, {"foreach": True}]
        if "fused" in params:
            out.append({"fused": True})
        return out


def _sgd_fix(kw: dict[str, Any]) -> dict[str, Any]:
    if kw.get("nesterov") and (kw.get("momentum", 0) <= 0 or kw.get("dampening", 0) != 0):
        kw["nesterov"] = False
    return kw


_ADAM_HP = {"lr": LR, "betas": st.tuples(BETA, BETA2), "eps": EPS, "weight_decay": WD,
            "maximize": BOOL}
_ADAM_CLAIMS = {"elementwise": True, "scale_invariant": True, "sign_like": True,
                "bias_correction": True, "first_step": "lr*sign(g)",
                "momentum": "debiased_mean", "batch_size_rule": "sqrt"}
_ADAPTIVE_NQM = {"lr": 1e-2, "ema": ("betas",), "eps": "eps"}
_ZERO_SIZE = "{} divides by numel(): ZeroDivisionError on zero-size params"
_ADAFACTOR_F32 = ("Adafactor's default eps1=None means finfo(param.dtype).eps: the algorithm "
                  "itself changes with the dtype (visible when g^2 ~ 1e-7; the ci examples "
                  "do not always draw such gradients, so this may XPASS)")
_NADAM_SD = ("NAdam keeps state['mu_product'] in float32, but load_state_dict casts it to the "
             "float64 param dtype, so a round trip changes the continuation (~1e-12)")
_ASGD_FE = ("ASGD's foreach and single-tensor paths apply the float32 scalars eta/mu "
            "differently: float64 runs disagree at float32 precision (~1e-9)")
_SGD_FUSED = ("SGD(fused=True, momentum>0) raises TypeError when a parameter gets its first "
              "gradient after step 1: its momentum_buffer is still None in the fused call")
_RPROP_LR0 = ("Rprop's lr is only the initial step size: it is clamped up to "
              "step_sizes[0] = 1e-6 after the first step, so lr=0 still moves")


def _torch(name: str, **kw: Any) -> OptimizerSpec | None:
    """None when this torch has no such optimizer (Adafactor and Muon are recent)."""
    cls = getattr(torch.optim, name, None)
    return None if cls is None else OptimizerSpec(name=kw.pop("id", name), cls=cls, **kw)


_ALL_TORCH: list[OptimizerSpec | None] = [
    _torch("SGD", kwargs={"lr": 1e-2, "momentum": 0.9},
           hparams={"lr": LR, "momentum": BETA, "dampening": st.sampled_from([0.0]) | BETA,
                    "weight_decay": WD, "nesterov": BOOL, "maximize": BOOL}, fix=_sgd_fix,
           claims={"elementwise": True, "scale_invariant": False, "sign_like": False,
                   "bias_correction": False, "first_step": "lr*g", "momentum": "sum",
                   "batch_size_rule": "linear"},
           nqm={"lr": 1e-3}, xfail={"test_impl_paths_agree": _SGD_FUSED}),
    _torch("Adam", hparams={**_ADAM_HP, "amsgrad": BOOL}, claims=_ADAM_CLAIMS,
           nqm=_ADAPTIVE_NQM),
    _torch("Adam", id="Adam_amsgrad", kwargs={"amsgrad": True, "betas": (0.9, 0.99)},
           hparams={**_ADAM_HP}, claims={**_ADAM_CLAIMS, "max_normalizer": True},
           nqm=_ADAPTIVE_NQM),
    _torch("AdamW", hparams={**_ADAM_HP, "amsgrad": BOOL},
           claims={**_ADAM_CLAIMS, "decoupled_weight_decay": True}, nqm=_ADAPTIVE_NQM),
    _torch("Adamax", hparams={**_ADAM_HP},
           claims={"elementwise": True, "scale_invariant": True, "sign_like": True,
                   "bias_correction": True, "first_step": "lr*sign(g)",
                   "momentum": "debiased_mean"}, nqm=_ADAPTIVE_NQM),
    _torch("NAdam", hparams={**_ADAM_HP, "momentum_decay": st.floats(0.0, 0.01),
                             "decoupled_weight_decay": BOOL},
           claims={"elementwise": True, "scale_invariant": True, "sign_like": True},
           nqm=_ADAPTIVE_NQM,
           xfail={f"test_state_dict_{w}[float64]": _NADAM_SD
                  for w in ("roundtrip_into_fresh_instance", "reload_into_same_instance")}),
    _torch("RAdam", hparams={**_ADAM_HP, "decoupled_weight_decay": BOOL},
           claims={"elementwise": True, "first_step": "lr*g"}, nqm=_ADAPTIVE_NQM),
    _torch("RMSprop", hparams={"lr": LR, "alpha": BETA2, "eps": EPS, "weight_decay": WD,
                               "momentum": BETA, "centered": BOOL, "maximize": BOOL},
           claims={"elementwise": True, "scale_invariant": True, "sign_like": True,
                   "bias_correction": False, "momentum": "none", "batch_size_rule": "sqrt"},
           nqm={"lr": 1e-2, "ema": ("alpha",), "eps": "eps"}),
    _torch("Adagrad", hparams={"lr": LR, "lr_decay": st.sampled_from([0.0]) | st.floats(0, 0.1),
                               "weight_decay": WD, "eps": EPS, "maximize": BOOL},
           claims={"elementwise": True, "scale_invariant": True, "sign_like": False,
                   "first_step": "lr*sign(g)"},
           nqm={"lr": 1e-2, "skip": "Adagrad's effective lr decays like 1/sqrt(t): "
                                    "no stationary loss"}),
    _torch("Adadelta", hparams={"lr": log_uniform(1e-2, 1.0), "rho": BETA2, "eps": EPS,
                                "weight_decay": WD, "maximize": BOOL},
           claims={"elementwise": True}, nqm={"lr": 1.0}),
    _torch("ASGD", hparams={"lr": LR, "lambd": log_uniform(1e-6, 1e-2),
                            "alpha": st.floats(0.5, 1.0), "weight_decay": WD, "maximize": BOOL},
           claims={"elementwise": True, "first_step": "lr*g", "momentum": "none",
                   "batch_size_rule": "linear"}, nqm={"lr": 1e-2},
           xfail={"test_impl_paths_agree[float64]": _ASGD_FE}),
    _torch("Rprop", hparams={"lr": LR, "maximize": BOOL},
           claims={"elementwise": True, "scale_invariant": True},
           xfail={"test_lr_zero_is_identity": _RPROP_LR0}, nqm={"lr": 1e-3}),
    _torch("Adafactor", hparams={"lr": LR, "beta2_decay": st.floats(-1.0, -0.5),
                                 "weight_decay": WD, "maximize": BOOL},
           claims={"elementwise": False}, zero_size=False,
           xfail={"test_zero_size_params": _ZERO_SIZE.format("Adafactor"),
                  "test_float32_tracks_float64": _ADAFACTOR_F32},
           nqm={"lr": 1e-2, "skip": "Adafactor is not elementwise: coordinates are coupled"}),
    _torch("Muon", kwargs={"lr": 1e-2}, hparams={"lr": LR, "momentum": BETA,
                                                 "weight_decay": WD, "nesterov": BOOL},
           claims={"elementwise": False, "decoupled_weight_decay": True}, ndims=(2,),
           zero_size=False, xfail={"test_zero_size_params": _ZERO_SIZE.format("Muon")},
           work_u=2.0 ** -8,
           nqm={"lr": 1e-2, "skip": "Muon is not elementwise: coordinates are coupled"}),
]

TORCH_SPECS: list[OptimizerSpec] = [s for s in _ALL_TORCH if s is not None]

# LBFGS re-evaluates its closure many times per step; SparseAdam needs sparse gradients.
EXCEPTIONS = {"LBFGS": "step(closure) re-evaluates the closure: not a plain step()",
              "SparseAdam": "accepts only sparse gradients"}

# Optional third-party optimizers: (module, class, overrides). Skipped when not installed.
_DEEPCOPY = ("keeps hyperparameter {!r} as an instance attribute, but Optimizer.__getstate__ "
             "keeps only defaults/state/param_groups: after copy.deepcopy (or pickle) step() "
             "raises AttributeError")


def schedulefree_train(opt: torch.optim.Optimizer) -> None:
    """schedulefree: step() raises unless the optimizer is in train mode."""
    opt.train()  # type: ignore[attr-defined]


def heavyball_eager(opt: torch.optim.Optimizer) -> None:
    """heavyball: eager steps (by default every fused op is torch.compile'd, max-autotune:
    seconds per new shape on cpu). Sets heavyball's own module flag only."""
    import heavyball.utils
    heavyball.utils.compile_mode = None


def timm_kron_eager(opt: torch.optim.Optimizer) -> None:
    """timm Kron: eager preconditioner helpers (it torch.compile's them at construction:
    seconds per new shape on cpu). Sets timm.optim.kron's own module flag only."""
    from timm.optim import kron
    kron.has_dynamo = False
    opt._init_fns()  # type: ignore[attr-defined]


_HB_KEY = ("state is keyed by (data_ptr, numel, dtype, device): every zero-size tensor has "
           "data_ptr 0, so two zero-size params of different shapes share one state and step() "
           "raises RuntimeError (size mismatch)")
_KRON_PROBE = ("not a defect, a limit of the comparison: the preconditioner update draws "
               "its probe with torch.randn(shape, dtype=param dtype), and torch's cpu randn "
               "gives different samples for float32 and float64 from one seed once a tensor "
               "has >= 16 entries, so the two runs use different random probes (~4e4x the "
               "rounding bound); a draw needs a 4x4 param (the ci draws have one)")
_SD_TESTS = ("test_state_dict_roundtrip_into_fresh_instance",
             "test_state_dict_reload_into_same_instance")
_TIMM_P = ("the projection reshapes with view(size(0), -1) and divides by the tensor's "
           "size: RuntimeError or ZeroDivisionError on zero-size params")
_HB_XFAIL = {
    "test_step_does_not_modify_grads": "heavyball's default consume_grad=True: step() sets "
                                       "p.grad = None",
    "test_deepcopy_continues_identically": _DEEPCOPY.format("use_ema"),
    **{f"{t}[float64]": (
        "heavyball keeps state in float32 (storage_dtype='float32'), but torch's "
        "load_state_dict casts it to the float64 param dtype, so a round trip changes the "
        "continuation (~1e-10)") for t in _SD_TESTS},
    "test_zero_size_params": _HB_KEY,
}
_HB_F64 = ("{} keeps its preconditioner in float32 and mixes it with float64 gradients: "
           "RuntimeError 'expected scalar type ...' on a float64 param with two sides > 1, {}; "
           "a draw needs such a param (the ci draws have one)")
_SOAP_F64 = _HB_F64.format("SOAP", "from step 2 (its first preconditioner update)")
_PSGD_F64 = _HB_F64.format("PSGDKron", "at its first gradient")
_SOAP_BASIS = ("; where a float64 run does complete, SOAP's Adam runs in the eigenbasis of "
               "its gradient statistics, which is not unique for repeated eigenvalues (rank-1 "
               "gradients), so float32 and float64 pick different bases (~1e5x the rounding "
               "bound): an ill-conditioned algorithm, not a rounding difference")
_HB_F64_TESTS = ("test_step_closure_returns_loss", "test_lr_zero_is_identity",
                 "test_finite_in_finite_out", "test_none_grad_leaves_param_untouched",
                 "test_identical_runs_bit_identical")
_HB_SF_LR0 = ("lr = 0 gives averaging weight 0 and weight_sum 0, and weight/weight_sum is a "
              "tensor division (the step count is a tensor), so the ZeroDivisionError guard "
              "never fires: ckp1 = 0/0 = NaN and every parameter becomes NaN")
_SF_GRAD = "step() overwrites the caller's gradient in place ('for memory efficiency'): it {}"
_ADAM_HP_NO_MAX = {k: v for k, v in _ADAM_HP.items() if k != "maximize"}
WARMUP = st.sampled_from([0]) | st.integers(0, 4)
SF_MOMENTUM = st.sampled_from([0.9]) | st.floats(0.0, 0.99, exclude_min=True)  # (0, 1)


def _f64(reason: str, *tests: str) -> dict[str, str]:
    """float64 failures of each test, and float32_tracks_float64 (it runs float64 too)."""
    return {**{f"{t}[float64]": reason for t in tests}, "test_float32_tracks_float64": reason}


def _dc(attr: str) -> dict[str, str]:
    return {"test_deepcopy_continues_identically": _DEEPCOPY.format(attr)}


THIRD_PARTY: list[tuple[str, str, dict[str, Any]]] = [
    ("lion_pytorch", "Lion", {
        "kwargs": {"lr": 1e-4},
        "claims": {"elementwise": True, "sign_like": True, "scale_invariant": True,
                   "first_step": "lr*sign(g)"},
        "xfail": {**_dc("decoupled_wd"), "test_lr_zero_is_identity":
                  "the constructor asserts lr > 0: lr = 0 is rejected"}}),
    ("pytorch_optimizer", "Lion", {"kwargs": {"lr": 1e-4}, "claims": {"elementwise": True},
                                   "xfail": _dc("maximize")}),
    ("pytorch_optimizer", "AdaBelief", {"claims": {"elementwise": True},
                                        "xfail": _dc("n_sma_threshold")}),
    ("pytorch_optimizer", "Adan", {"claims": {"elementwise": True}, "xfail": _dc("maximize")}),
    ("pytorch_optimizer", "AdamP", {
        "claims": {}, "zero_size": False,
        "xfail": {**_dc("maximize"), "test_zero_size_params":
                  "projection() reshapes with view(size(0), -1): RuntimeError on zero-size "
                  "params"}}),
    ("pytorch_optimizer", "Lamb", {"claims": {"elementwise": False}, "xfail": _dc("pre_norm")}),
    ("pytorch_optimizer", "MADGRAD", {"claims": {"elementwise": True}, "xfail": _dc("foreach")}),
    # schedulefree: step() raises unless the optimizer was put in train mode.
    *[("schedulefree", name, {"prepare": schedulefree_train, **over}) for name, over in (
        ("AdamWScheduleFree", {"claims": {"elementwise": True},
                               "hparams": {**_ADAM_HP_NO_MAX, "warmup_steps": WARMUP},
                               "xfail": {"test_step_does_not_modify_grads": _SF_GRAD.format(
                                   "divides p.grad by its denominator at every step "
                                   "(grad.div_(denom))")}}),
        ("RAdamScheduleFree", {"claims": {"elementwise": True}, "hparams": _ADAM_HP_NO_MAX,
                               "xfail": {"test_step_does_not_modify_grads": _SF_GRAD.format(
                                   "divides p.grad by its denominator once rho_t > 4 (from "
                                   "step 5 at beta2 = 0.999) and adds weight decay into it; a "
                                   "draw needs 5 steps or weight_decay > 0 (the ci draws have "
                                   "them)")}}),
        ("SGDScheduleFree", {"kwargs": {"lr": 1e-2}, "claims": {"elementwise": True},
                             "hparams": {"lr": LR, "momentum": SF_MOMENTUM,
                                         "weight_decay": WD, "warmup_steps": WARMUP},
                             "xfail": {"test_step_does_not_modify_grads": _SF_GRAD.format(
                                 "adds weight decay into p.grad "
                                 "(grad.add_(y, alpha=weight_decay)); only draws with "
                                 "weight_decay > 0 show it (the ci draws have one)")}}),
    )],
    # heavyball: eager steps (heavyball_eager); state kept in float32 (storage_dtype), so
    # float64 runs are float32 arithmetic: work_u = 2^-24.
    *[("heavyball", name, {"prepare": heavyball_eager, "work_u": 2.0 ** -24, "zero_size": False,
                           "hparams": hp, **over, "xfail": {**_HB_XFAIL, **over.get("xfail", {})}})
      for name, hp, over in (
        ("AdamW", _ADAM_HP_NO_MAX, {"claims": {"elementwise": True}}),
        ("LaProp", _ADAM_HP_NO_MAX, {"claims": {"elementwise": True}}),
        ("ADOPT", _ADAM_HP_NO_MAX, {"claims": {"elementwise": True}}),
        ("SFAdamW", _ADAM_HP_NO_MAX, {"claims": {"elementwise": True},
                                      "xfail": {"test_lr_zero_is_identity": _HB_SF_LR0}}),
        # Newton-Schulz in bfloat16 (stochastic rounding) for float32 params, as torch's Muon
        ("Muon", {"lr": LR, "weight_decay": WD}, {
            "claims": {"elementwise": False}, "work_u": 2.0 ** -8,
            "xfail": {"test_zero_size_params": _HB_KEY + "; one zero-size 2-d param alone "
                                                         "raises ZeroDivisionError"}}),
        # 0-d parameters: IndexError in the preconditioner setup
        ("SOAP", {"lr": LR, "weight_decay": WD}, {
            "claims": {"elementwise": False}, "ndims": (1, 2),
            "xfail": {**_f64(_SOAP_F64, *_HB_F64_TESTS),
                      "test_float32_tracks_float64": _SOAP_F64 + _SOAP_BASIS,
                      "test_zero_size_params": "one zero-size param alone raises in the "
                                               "preconditioner setup (RuntimeError: shape "
                                               "'[2]' is invalid for input of size 0)"}}),
        # precond_init_scale=None (the default) raises PrecondInitError when the first
        # gradient is all zero; its message advises 0.1
        ("PSGDKron", {"lr": LR, "weight_decay": WD}, {
            "kwargs": {"precond_init_scale": 0.1}, "claims": {"elementwise": False},
            "xfail": {**_f64(_PSGD_F64, *_HB_F64_TESTS),
                      "test_zero_size_params": "one zero-size param alone raises (IndexError: "
                                               "amax() over an empty dimension)"}}),
    )],
    # timm.optim (Adafactor, Adahessian and the *Legacy classes are left out: Adahessian needs
    # create_graph=True backward passes, the others are superseded)
    *[("timm.optim", name, over) for name, over in (
        ("Lamb", {"claims": {"elementwise": False}, "hparams": _ADAM_HP_NO_MAX}),
        ("Lars", {"kwargs": {"lr": 1e-2, "momentum": 0.9}, "claims": {"elementwise": False},
                  "hparams": {"lr": LR, "momentum": BETA, "weight_decay": WD,
                              "trust_clip": BOOL}}),
        ("LaProp", {"claims": {"elementwise": True}, "hparams": _ADAM_HP_NO_MAX}),
        ("Adopt", {"claims": {"elementwise": True}, "hparams": _ADAM_HP}),
        ("AdamP", {"claims": {"elementwise": False}, "hparams": _ADAM_HP_NO_MAX,
                   "zero_size": False, "xfail": {"test_zero_size_params": _TIMM_P}}),
        ("SGDP", {"kwargs": {"lr": 1e-2, "momentum": 0.9}, "claims": {"elementwise": False},
                  "hparams": {"lr": LR, "momentum": BETA, "weight_decay": WD},
                  "zero_size": False, "xfail": {"test_zero_size_params": _TIMM_P}}),
        ("Adan", {"claims": {"elementwise": True}, "hparams": {"lr": LR, "weight_decay": WD}}),
        ("MADGRAD", {"claims": {"elementwise": True},
                     "hparams": {"lr": LR, "momentum": BETA, "weight_decay": WD},
                     "xfail": {"test_lr_zero_is_identity": "the constructor raises ValueError "
                                                           "for lr = 0 ('must be positive')"}}),
        ("NvNovoGrad", {"claims": {"elementwise": False}, "hparams": _ADAM_HP_NO_MAX}),
        ("Mars", {"hparams": {"lr": LR, "weight_decay": WD}}),
        ("AdafactorBigVision", {"hparams": {"lr": LR, "weight_decay": WD}}),
        ("NAdamW", {"claims": {"elementwise": True}, "hparams": _ADAM_HP}),
        ("Lion", {"kwargs": {"lr": 1e-4}, "claims": {"elementwise": True},
                  "hparams": {"lr": LR, "betas": st.tuples(BETA, BETA2), "weight_decay": WD,
                              "maximize": BOOL}}),
        ("RMSpropTF", {"claims": {"elementwise": True},
                       "hparams": {"lr": LR, "alpha": BETA2, "eps": EPS, "weight_decay": WD,
                                   "momentum": BETA, "centered": BOOL}}),
        ("Muon", {"claims": {"elementwise": False}, "hparams": {"lr": LR, "weight_decay": WD}}),
    )],
    ("timm.optim.kron", "Kron", {
        "prepare": timm_kron_eager, "claims": {"elementwise": False},
        "hparams": {"lr": LR, "weight_decay": WD}, "zero_size": False,
        "xfail": {"test_zero_size_params": "a zero-size param raises RuntimeError (the inf "
                                           "norm of an empty tensor, or reshape(-1, 0))",
                  "test_float32_tracks_float64": _KRON_PROBE}}),
]


def bundled_specs(third_party: bool | None = None) -> list[OptimizerSpec]:
    """torch.optim, plus installed third-party optimizers unless
    SGDCHECK_OPTIM_THIRD_PARTY=0."""
    if third_party is None:
        third_party = os.environ.get("SGDCHECK_OPTIM_THIRD_PARTY", "1") != "0"
    specs = list(TORCH_SPECS)
    if third_party:
        specs += third_party_specs()
    return specs


def third_party_specs(packages: set[str] | None = None) -> list[OptimizerSpec]:
    """The installed THIRD_PARTY entries (only those of ``packages``, top-level names, if
    given); an entry whose import fails is left out."""
    out = []
    entries = [e for e in THIRD_PARTY
               if packages is None or e[0].partition(".")[0] in packages]
    with _torch_settings_kept({e[0].partition(".")[0] for e in entries}):
        for mod_name, cls_name, over in entries:
            try:
                cls = getattr(importlib.import_module(mod_name), cls_name)
            except Exception:
                continue
            base = _derive(cls, _base_spec(cls, TORCH_SPECS))
            out.append(replace(base, name=f"{mod_name}.{cls_name}", **over))
    return out


@contextmanager
def _torch_settings_kept(packages: set[str]) -> Iterator[None]:
    """Undo the process-wide torch settings an optional package changes when imported, so
    that importing it changes nothing for the other optimizers. timm.optim (1.0) turns
    opt_einsum on with strategy 'auto-hq' and sets dynamo's recompile limit to 10^6."""
    oe = torch.backends.opt_einsum
    einsum = (oe.enabled, oe.strategy)
    dynamo: Any = None
    if "timm" in packages and _installed("timm"):
        dynamo = importlib.import_module("torch._dynamo").config
        knob = "recompile_limit" if hasattr(dynamo, "recompile_limit") else "cache_size_limit"
        limit = getattr(dynamo, knob)
    try:
        yield
    finally:
        if oe.is_available():
            oe.enabled, oe.strategy = einsum
        if dynamo is not None:
            setattr(dynamo, knob, limit)


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def _registered(cls: type) -> list[OptimizerSpec]:
    """torch.optim's specs, and the THIRD_PARTY entries of the packages ``cls`` and its
    bases come from (so ``--optimizer pkg:Class`` gets the registered configuration)."""
    packages = {(k.__module__ or "").partition(".")[0] for k in cls.__mro__} \
        - {"torch", "builtins", ""}
    return TORCH_SPECS + (third_party_specs(packages) if packages else [])


def _base_spec(cls: type, registered: list[OptimizerSpec]) -> OptimizerSpec | None:
    for klass in cls.__mro__:
        for spec in registered:
            if spec.cls is klass and not spec.kwargs.get("amsgrad"):
                return spec
    return None


def spec_for(cls: type[torch.optim.Optimizer], kwargs: dict[str, Any] | None = None,
             claims: dict[str, Any] | None = None) -> OptimizerSpec:
    """The spec of a registered class, or a generic one inheriting from its nearest base."""
    return _derive(cls, _base_spec(cls, _registered(cls)), kwargs, claims)


def _derive(cls: type[torch.optim.Optimizer], base: OptimizerSpec | None,
            kwargs: dict[str, Any] | None = None,
            claims: dict[str, Any] | None = None) -> OptimizerSpec:
    if base is not None and base.cls is cls and kwargs is None and claims is None:
        return base
    if base is None:
        params = inspect.signature(cls.__init__).parameters
        base = OptimizerSpec(name=cls.__name__, cls=cls,
                             hparams={"lr": LR} if "lr" in params else {}, nqm={"lr": 1e-2})
    merged = {**base.kwargs, **(kwargs or {})}
    keep_claims = base.cls is cls and claims is None
    return replace(base, name=cls.__name__, cls=cls, kwargs=merged,
                   claims=dict(base.claims) if keep_claims else dict(claims or {}),
                   xfail=dict(base.xfail) if base.cls is cls else {})
