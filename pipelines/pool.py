"""The extraction process pool: CPU work on every core, never on a crawl's event loop.

Workers are started by spawn (forking a process that runs a reactor and threads can
deadlock on locks held at fork time) and die with their parent however it dies: a kill -9
or the OOM killer must not leave orphans extracting for nobody. Ctrl-C is the parent's to
answer: the terminal sends SIGINT to the whole process group, and a worker that took it
would print a KeyboardInterrupt traceback and break the pool under the parent's feet.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1
MAX_WORKERS = 256  # more extraction processes than any machine has cores: a typo


def default_workers() -> int:
    """One worker per core this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _die_with_parent(parent: int) -> None:
    # Linux: the kernel sends SIGKILL when the parent thread exits. Elsewhere (and as a
    # second line if the parent died before prctl ran): poll the parent's pid.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(1.0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(parent: int, niceness: int, setup: Callable[..., None] | None,
                 args: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the parent decides how to stop, not us. The
    # worker started with SIGINT blocked (_Pool): ignore it, then let the mask go.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if niceness:
        # The event loop is the crawl's one serial path; workers can lag without harm.
        with contextlib.suppress(OSError):
            os.nice(niceness)
    if setup is not None:
        setup(*args)


class _Pool(ProcessPoolExecutor):
    """Workers spawned with SIGINT blocked (the mask survives exec): a Ctrl-C while one is
    still importing (~1 s) stays pending until its initializer ignores it. A `with` block
    left by an exception (Ctrl-C in the parent) drops the work not yet started."""

    def submit(self, *args: Any, **kwargs: Any) -> Any:  # workers are spawned in submit
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(*args, **kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.shutdown(wait=True, cancel_futures=exc_type is not None)
        return False


def extraction_pool(workers: int, niceness: int = 0, setup: Callable[..., None] | None = None,
                    args: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A spawned pool of `workers` processes; `setup(*args)` runs once in each."""
    return _Pool(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(os.getpid(), niceness, setup, args),
    )
