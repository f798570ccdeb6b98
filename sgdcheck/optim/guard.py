"""Run optimizer calls so that raising, hanging or garbage become clear failures."""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_TIMEOUT = 10.0


class OptimizerFailure(AssertionError):
    """The optimizer under test misbehaved (named, with the step)."""


class _Timeout(BaseException):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


@contextmanager
def watchdog() -> Iterator[bool]:
    """Install the SIGALRM handler once (main thread only); yields whether it is active."""
    if not (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()):
        yield False
        return
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@functools.cache
def warm_up() -> None:
    """One unguarded SGD step: torch imports modules lazily on its first optimizer (dynamo,
    sympy: seconds), and a timeout firing inside an import would leave them half-built."""
    import torch
    p = torch.nn.Parameter(torch.zeros(1))
    p.grad = torch.ones(1)
    torch.optim.SGD([p], lr=0.1).step()


def guarded(fn: Callable[[], Any], what: str, timeout: float = DEFAULT_TIMEOUT,
            armed: bool | None = None) -> Any:
    """Call ``fn``; exceptions and hangs past ``timeout`` s become ``OptimizerFailure``.

    ``armed``: a surrounding ``watchdog()`` is active (None: install one for this call).
    """
    warm_up()
    if armed is None:
        with watchdog() as on:
            return guarded(fn, what, timeout, on)
    if armed and timeout > 0:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn()
    except _Timeout:
        raise OptimizerFailure(f"{what} did not return within {timeout:g} s (hang?)") from None
    except OptimizerFailure:
        raise
    except Exception as exc:
        raise OptimizerFailure(f"{what} raised {type(exc).__name__}: {exc}") from exc
    finally:
        if armed and timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def single_thread() -> Iterator[None]:
    """One intra-op thread: small tensors on a shared 2-core runner thrash otherwise."""
    import torch  # here, so that the pytest plugin can read DEFAULT_TIMEOUT without torch
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)
