"""Monitor on 3,000 regions x 240 months x 40 indicators: shuffled rows, 'YYYY-MM' text periods.

Goals (issue 17), both measured in this run:

1. ``Monitor.evaluate`` on the wide frame takes at most 1.5x a plain numpy reference: what a
   careful engineer writes for the same job on the same frame: factorise the region and period
   columns (sorted codes), ``np.lexsort`` them, check for duplicate keys, gather every
   indicator column in that order into a column-major matrix, score each column with one
   ``np.interp`` over its critical values, aggregate with one matrix product. No provenance,
   no validation beyond duplicates, no result object: everything finstab adds counts against it.
2. Peak memory allocated while evaluating (tracemalloc) is at most 2x the input frame's memory
   (``DataFrame.memory_usage(deep=True)``).

Timings are best of three, finstab and the reference interleaved so machine load hits both.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np
import pandas as pd
from common import report

from finstab.monitor.model import Monitor
from finstab.monitor.systems.loader import parse_system
from finstab.samples.synthetic import synthetic_wide_panel

N_REGIONS, N_PERIODS, N_DIMS, PER_DIM = 3000, 240, 4, 10
REPEAT = 3


def bench_system():
    kinds = ["positive", "negative", "moderate"]
    dims = []
    for d in range(N_DIMS):
        inds = []
        for k in range(PER_DIM):
            kind = kinds[(d * PER_DIM + k) % 3]
            cuts = [0, 1, 2, 3, 4, 5] if kind != "negative" else [5, 4, 3, 2, 1, 0]
            ind = {"id": f"x{d}_{k}", "name_zh": f"指标{d}{k}", "name_en": f"x{d}{k}", "type": kind,
                   "cuts": cuts}
            if kind == "moderate":
                ind["high_cuts"] = [6, 7, 8, 9, 10, 11]
            inds.append(ind)
        dims.append({"id": f"d{d}", "name_zh": f"维度{d}", "name_en": f"dim {d}", "weight": d + 1,
                     "children": inds})
    return parse_system({"id": "bench", "name_zh": "基准", "name_en": "bench", "children": dims},
                        "bench")


def bench_frame(system, seed: int = 1) -> pd.DataFrame:
    """The wide frame: region, period ('YYYY-MM' text), one column per indicator; rows shuffled."""
    values, _ = synthetic_wide_panel(system, N_REGIONS, N_PERIODS, seed=seed)
    perm = np.random.default_rng(seed + 1).permutation(len(values))
    months = pd.period_range("2005-01", periods=N_PERIODS, freq="M").strftime("%Y-%m").to_numpy(dtype=object)
    regions = np.array([f"R{k:04d}" for k in range(N_REGIONS)], dtype=object)
    frame = pd.DataFrame(values[perm], columns=[i.id for i in system.tree.indicators])
    frame.insert(0, "period", np.tile(months, N_REGIONS)[perm])
    frame.insert(0, "region", np.repeat(regions, N_PERIODS)[perm])
    return frame


def knots(system) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each indicator's scoring as one increasing piecewise-linear function (xp, fp)."""
    s = np.asarray(system.scores, dtype=float)
    out = []
    for ind in system.tree.indicators:
        cuts = np.asarray(ind.cuts, dtype=float)
        if ind.type == "moderate":
            out.append((np.r_[cuts, ind.high_cuts], np.r_[s, s[::-1]]))
        elif ind.type == "negative":
            out.append((cuts[::-1], s[::-1]))
        else:
            out.append((cuts, s))
    return out


def numpy_reference(frame: pd.DataFrame, ids: list[str], plan, omega: np.ndarray):
    """Sorted keys, the column-major value matrix, indicator scores and node scores."""
    region_codes, regions = pd.factorize(frame["region"], sort=True)
    period_codes, periods = pd.factorize(frame["period"], sort=True)
    order = np.lexsort((period_codes, region_codes))
    key = region_codes[order].astype(np.int64) * len(periods) + period_codes[order]
    if (np.diff(key) == 0).any():
        raise ValueError("duplicate (region, period)")
    values = np.empty((len(frame), len(ids)), order="F")
    scores = np.empty_like(values)
    for k, c in enumerate(ids):
        np.take(frame[c].to_numpy(), order, out=values[:, k])
        scores[:, k] = np.interp(values[:, k], *plan[k])
    nodes = (omega @ scores.T).T
    return regions[region_codes[order]], periods[period_codes[order]], values, scores, nodes


def main() -> None:
    system = bench_system()
    frame = bench_frame(system)
    ids = [i.id for i in system.tree.indicators]
    plan, omega = knots(system), system.tree.node_weights()
    monitor = Monitor(system)
    frame_bytes = int(frame.memory_usage(deep=True).sum())

    t_ours = t_ref = float("inf")
    cpu_ours = cpu_ref = float("inf")
    for _ in range(REPEAT):
        for which in ("ours", "ref"):
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            out = monitor.evaluate(frame) if which == "ours" else numpy_reference(frame, ids, plan, omega)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            if which == "ours":
                result, t_ours, cpu_ours = out, min(t_ours, wall), min(cpu_ours, cpu)
            else:
                ref, t_ref, cpu_ref = out, min(t_ref, wall), min(cpu_ref, cpu)
            del out
    np.testing.assert_array_equal(result.keys["region"].to_numpy(), np.asarray(ref[0]))
    np.testing.assert_array_equal(result.keys["period"].to_numpy(), np.asarray(ref[1]))
    np.testing.assert_array_equal(result.indicator_values, ref[2])
    np.testing.assert_allclose(result.indicator_scores, ref[3], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.node_scores, ref[4], rtol=0, atol=1e-9)
    del result, ref

    gc.collect()
    tracemalloc.start()
    result = monitor.evaluate(frame)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result

    rows = len(frame)
    print(f"monitor: {rows:,} rows (shuffled, 'YYYY-MM' periods) x {len(ids)} indicators, "
          f"frame {frame_bytes / 1e6:,.0f} MB")
    print(f"  finstab evaluate : {t_ours:7.3f} s wall, {cpu_ours:7.3f} s CPU (best of {REPEAT})")
    print(f"  numpy reference  : {t_ref:7.3f} s wall, {cpu_ref:7.3f} s CPU (best of {REPEAT})")
    print(f"  peak allocation  : {peak / 1e6:7.0f} MB while evaluating")
    report("monitor", "evaluate / numpy reference (3000 x 240 x 40, shuffled, text periods)", t_ours / t_ref, 1.5,
           baseline="numpy reference: factorize + lexsort + column gather + np.interp + one matmul",
           higher_is_better=False, seconds=t_ours, baseline_seconds=t_ref, cpu_seconds=cpu_ours,
           baseline_cpu_seconds=cpu_ref)
    report("monitor", "peak memory / input frame memory", peak / frame_bytes, 2.0,
           baseline="DataFrame.memory_usage(deep=True)", higher_is_better=False, peak_bytes=peak,
           frame_bytes=frame_bytes)


if __name__ == "__main__":
    main()
