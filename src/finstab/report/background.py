"""Report drawing beside the computation: a second process draws sections (charts, tables) while
the first computes the next result. Drawing is most of a report's time and needs nothing but the
finished result, so on a machine with two or more CPUs the two overlap."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _start_worker() -> None:
    """In the worker: end with the caller (even one killed without shutting the pool down), leave
    Ctrl-C to the caller, and load matplotlib and the CJK font while the caller computes."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(1)), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from finstab.report.charts import setup_cjk_font

        setup_cjk_font()
    except Exception:  # a drawing call meets the same problem and reports it through its Future
        pass


class Background:
    """``background(fn, *args)`` runs ``fn(*args)`` in one worker process and returns a Future.

    With ``workers=0`` (or one usable CPU) calls run at once, in this process. The worker is
    started with ``spawn``, which imports the caller's main module again: a script that uses a
    worker must keep its own work under ``if __name__ == "__main__":`` (the ``finstab`` command
    does). Arguments and results travel by pickle, so ``fn`` must be a module-level function. An
    exception in ``fn`` is raised again by ``Future.result()``.

    Examples
    --------
    >>> with Background(workers=0) as background:
    ...     background(pow, 2, 10).result()
    1024
    """

    def __init__(self, workers: int = 1) -> None:
        workers = min(workers, usable_cpus() - 1)
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker) if workers > 0 else None

    def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        if self._pool is not None:
            return self._pool.submit(fn, *args, **kwargs)
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)
