"""Shared by every benchmark: best-of-N timing and one line per goal, collected in out/bench.json.

Each benchmark compares finstab with a fair baseline (what a careful engineer would write)
measured in the same run, and prints ``goal: ratio (baseline ...) met|missed``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "out" / "bench.json"


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` wall-clock timings of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def report(benchmark: str, goal: str, ratio: float, target: float, *, baseline: str,
           higher_is_better: bool = True, **details: Any) -> bool:
    """Print one goal line and merge it into ``out/bench.json``; returns whether it was met."""
    met = ratio >= target if higher_is_better else ratio <= target
    sign = ">=" if higher_is_better else "<="
    print(f"{benchmark}: {goal}: {ratio:.3g} (goal {sign} {target:g}; baseline: {baseline}) "
          f"{'met' if met else 'missed'}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    data.setdefault(benchmark, {})[goal] = {"ratio": ratio, "target": target, "comparison": sign,
                                            "baseline": baseline, "met": met, **details}
    OUT.write_text(json.dumps(data, indent=2, default=str))
    return met
