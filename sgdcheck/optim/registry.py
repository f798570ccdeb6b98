"""Default configurations, hyperparameter ranges and claims per optimizer.

Claims here are what the optimizer's documentation states; the suite checks them.
Subclasses of a registered class inherit its configuration but not its claims.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable
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


def third_party_specs() -> list[OptimizerSpec]:
    out = []
    for mod_name, cls_name, over in THIRD_PARTY:
        try:
            cls = getattr(importlib.import_module(mod_name), cls_name)
        except Exception:
            continue
        base = spec_for(cls)
        name = f"{mod_name}.{cls_name}"
        out.append(replace(base, name=name, **over))
    return out


def _base_spec(cls: type) -> OptimizerSpec | None:
    for klass in cls.__mro__:
        for spec in TORCH_SPECS:
            if spec.cls is klass and not spec.kwargs.get("amsgrad"):
                return spec
    return None


def spec_for(cls: type[torch.optim.Optimizer], kwargs: dict[str, Any] | None = None,
             claims: dict[str, Any] | None = None) -> OptimizerSpec:
    """The spec of a registered class, or a generic one inheriting from its nearest base."""
    base = _base_spec(cls)
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
