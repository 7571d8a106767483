"""Report drawing beside the computation: a second process draws sections (charts, tables) while
the first computes the next result. Drawing is most of a report's time and needs nothing but the
finished result, so on a machine with two or more CPUs the two overlap."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


def _warm() -> None:
    """Load matplotlib and the CJK font in the worker while the caller computes its first result."""
    from finstab.report.charts import setup_cjk_font

    setup_cjk_font()


class Background:
    """``background(fn, *args)`` runs ``fn(*args)`` in one worker process and returns a Future.

    With one CPU (or ``workers=0``) calls run at once, in this process. The worker is started
    with ``spawn`` (no state inherited from threads of this process); arguments and results travel
    by pickle, so ``fn`` must be a module-level function. An exception in ``fn`` is raised again by
    ``Future.result()``.

    Examples
    --------
    >>> with Background(workers=0) as background:
    ...     background(pow, 2, 10).result()
    1024
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is None:
            workers = 1 if (os.cpu_count() or 1) > 1 else 0
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm) if workers else None

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
