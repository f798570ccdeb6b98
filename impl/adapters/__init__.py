"""Adapters: libraries users already run, behind the sgdcheck contract (spec/linear.md#adapters).

Each module is an implementation of its own (``--impl impl.adapters.<module>``):
``autograd`` (nn.Linear + torch.autograd), ``torch_func`` (vmap(grad) per-example
gradients), ``torch_rmsprop`` (torch.optim.RMSprop), and, with the ``adapters`` extra,
``opacus_adapter`` and ``backpack_adapter`` (skipped with the reason when not installed).
"""
