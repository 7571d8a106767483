"""Monitor and AHP-FCE pipelines: read a panel or expert votes, evaluate a system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finstab.core.columns import ColumnSpec, canonical_columns
from finstab.core.errors import ConfigError, DataError, FinstabError
from finstab.core.io import read_table
from finstab.core.validate import require_columns
from finstab.mcda import fce
from finstab.mcda.fce import membership_from_votes
from finstab.monitor.model import Monitor, MonitorResult, aggregate_scores
from finstab.monitor.panel import Panel, build_panel
from finstab.monitor.systems import load_system
from finstab.monitor.systems.schema import IndicatorSystem
from finstab.pipelines.cluster import with_dask


def run_monitor(system: str | Path | IndicatorSystem, data: str | Path | pd.DataFrame,
                method: str = "threshold", missing: str = "error", objective: str | None = None,
                alpha: float = 0.5, *, scheduler: str | None = None, client: Any = None) -> MonitorResult:
    """Load a system and a panel, then evaluate with the chosen evaluator and weights.

    With ``scheduler`` (``"local"`` or a dask scheduler address, see
    :func:`finstab.pipelines.cluster.open_client`) or an open ``client``, the panel's rows are
    split into chunks of whole regions, each chunk is scored on a worker by the same
    :class:`~finstab.monitor.model.Monitor`, and the chunks are put back in the panel's order:
    the result is the local one, bit for bit. Objective weights (``objective``) are computed
    from the whole panel and cannot be split; they run locally only.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> res = run_monitor("zibo", sample_path("zibo_sample.csv"))
    >>> res.to_frame().columns[:3].tolist()
    ['region', 'period', 'total']
    """
    sys_obj = system if isinstance(system, IndicatorSystem) else load_system(system)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data)
    monitor = Monitor(sys_obj, method=method, missing=missing, objective=objective, alpha=alpha)
    if scheduler is None and client is None:
        return monitor.evaluate(frame)
    if objective is not None:
        raise ConfigError(f"objective weights ({objective!r}) are computed from the whole panel and cannot be "
                          "split over dask workers; run without a scheduler, or without objective weights",
                          where="objective")
    panel = build_panel(frame, sys_obj.tree.indicators, missing="error" if missing == "error" else "allow")
    if client is not None:
        return _evaluate_on(client, monitor, panel)
    return with_dask(scheduler, lambda c: _evaluate_on(c, monitor, panel))


def region_chunks(regions: np.ndarray, n_chunks: int) -> list[np.ndarray]:
    """Row positions of ``n_chunks`` (at most) groups of whole regions, each of at least two rows
    (unless there is only one group), regions in order of first appearance.

    Examples
    --------
    >>> [c.tolist() for c in region_chunks(np.array(["a", "b", "a", "c", "c", "b"]), 2)]
    [[0, 1, 2, 5], [3, 4]]
    """
    codes, uniques = pd.factorize(pd.Series(regions), sort=False)
    order = np.argsort(codes, kind="stable")  # rows grouped by region, each region's rows in order
    sizes = np.bincount(codes, minlength=len(uniques))
    target = max(2, -(-len(codes) // max(1, n_chunks)))
    groups, current, rows = [], [], 0
    for region, size in enumerate(sizes):
        current.append(region)
        rows += int(size)
        if rows >= target:
            groups.append(current)
            current, rows = [], 0
    if current:
        if groups and rows < 2:
            groups[-1].extend(current)
        else:
            groups.append(current)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return [np.sort(np.concatenate([order[bounds[g]:bounds[g + 1]] for g in group])) for group in groups]


def _score_chunk(monitor: Monitor, values: np.ndarray, pad: bool) -> tuple[np.ndarray, ...]:
    """Scores of one chunk of panel rows on a worker, as :meth:`Monitor.evaluate` computes them.

    ``pad`` adds an empty row while aggregating, so that a chunk without missing values takes the
    same arithmetic path as a whole panel with some (then dropped again).
    """
    scores = monitor.score_indicators(values)
    if monitor.method == "threshold":
        omega = monitor.system.tree.node_weights()
        if not pad:
            return scores, aggregate_scores(scores, omega)
        padded = np.full((len(scores) + 1, scores.shape[1]), np.nan, order="F")
        padded[:-1] = scores
        return scores, aggregate_scores(padded, omega)[:-1]
    edges = np.tile(np.asarray(monitor.system.scores, dtype=float), (len(monitor.system.tree.indicators), 1))
    membership = fce.membership_from_values(scores, edges, monitor.shape)
    node_b = monitor.compose_memberships(membership)
    v = monitor.system.grade_values
    return scores, membership, node_b, membership @ v, node_b @ v


def _evaluate_on(client: Any, monitor: Monitor, panel: Panel) -> MonitorResult:
    """:meth:`Monitor.evaluate` of a built panel with the rows scored in chunks on ``client``'s workers."""
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    chunks = region_chunks(panel.keys["region"].to_numpy(), 2 * n_workers)
    pad = bool(np.isnan(panel.values).any())
    values = np.asarray(panel.values)
    parts = client.gather(client.map(_score_chunk, [monitor] * len(chunks), [values[rows] for rows in chunks],
                                     [pad and not np.isnan(values[rows]).any() for rows in chunks], pure=False))
    out = []
    for k, first in enumerate(parts[0]):
        whole = np.empty((len(values), *first.shape[1:]), dtype=first.dtype, order="F" if first.ndim == 2 else "C")
        for rows, part in zip(chunks, parts, strict=True):
            whole[rows] = part[k]
        out.append(whole)
    system, method = monitor.system, monitor.method
    if method == "threshold":
        scores, node_scores = out
        result = MonitorResult(system, panel.keys, panel.values, scores, node_scores,
                               node_weight_matrix=system.tree.node_weights(), quality=panel.quality,
                               provenance=monitor.provenance_for(panel, "threshold"))
    else:
        scores, membership, node_b, indicator_values, node_values = out  # as evaluate_memberships stores them
        result = MonitorResult(system, panel.keys, scores, indicator_values, node_values, node_b, membership,
                               monitor.operator, quality=panel.quality, provenance=monitor.provenance_for(panel, "fce"))
    return monitor.finish(result)


VOTE_COLUMNS = (ColumnSpec("indicator", "指标代码", "indicator id", aliases=("指标", "indicator")),
                ColumnSpec("name", "指标名称", "indicator name"), ColumnSpec("region", "地区", "region"),
                ColumnSpec("period", "期间", "period"), ColumnSpec("source", "数据来源", "source", aliases=("来源",)))


def read_votes(path: str | Path | pd.DataFrame, system: IndicatorSystem,
               n_experts: int | None = None) -> tuple[Panel, np.ndarray]:
    """Expert votes (indicator, one count column per grade key[, region, period]) -> memberships.

    Returns the (region, period) keys as a :class:`Panel` and memberships of shape
    (rows x indicators x grades) in the system's grade order.
    """
    df = path if isinstance(path, pd.DataFrame) else read_table(path)
    source = df.attrs.get("source", "votes")
    grade_keys = [g.key for g in system.grades or []]
    df = canonical_columns(df, [*VOTE_COLUMNS, *(ColumnSpec(g.key, g.name_zh, g.name_en) for g in system.grades or [])])
    if not grade_keys:
        raise ConfigError("system has no grade list; votes need named grades", where=system.id)
    require_columns(df.columns, ["indicator", *grade_keys], source)
    extra = [c for c in df.columns if c not in {"indicator", "name", "region", "period", "source", *grade_keys}]
    if extra:
        raise DataError(f"columns {extra} are not grades of system {system.id!r}; expected "
                        f"{grade_keys}", where=source)
    df = df.assign(region=df.get("region", "all"), period=df.get("period", "all"))
    ids = [i.id for i in system.tree.indicators]
    unknown = sorted(set(df["indicator"]) - set(ids))
    if unknown:
        raise DataError(f"indicators {unknown} are not in system {system.id!r}", where=source)
    blocks, keys = [], []
    for (region, period), part in df.groupby(["region", "period"], sort=True):
        missing = [i for i in ids if i not in set(part["indicator"])]
        if missing:
            raise DataError(f"no votes for {missing} at ({region!r}, {period!r})", where=source)
        if part["indicator"].duplicated().any():
            dup = part.loc[part["indicator"].duplicated(), "indicator"].iloc[0]
            raise DataError(f"indicator {dup!r} voted twice at ({region!r}, {period!r})", where=source)
        part = part.set_index("indicator").loc[ids]
        counts = np.column_stack([pd.to_numeric(part[g], errors="coerce") for g in grade_keys])
        if np.isnan(counts).any():
            r, c = np.argwhere(np.isnan(counts))[0]
            raise DataError(f"vote count for {ids[r]!r}, grade {grade_keys[c]!r} is not a number",
                            where=source)
        try:
            blocks.append(membership_from_votes(counts, n_experts, labels=ids))
        except FinstabError as exc:
            raise DataError(str(exc), where=source) from None
        keys.append((region, period))
    key_frame = pd.DataFrame(keys, columns=["region", "period"])
    notes = tuple(sorted(df["source"].dropna().astype(str).unique())) if "source" in df else ()
    membership = np.stack(blocks)
    return Panel(key_frame, membership.reshape(len(keys), -1), tuple(ids), notes), membership


def run_fce(system: str | Path | IndicatorSystem, *, votes: str | Path | pd.DataFrame | None = None,
            data: str | Path | pd.DataFrame | None = None, operator: str = "weighted_average",
            n_experts: int | None = None) -> MonitorResult:
    """AHP-FCE from expert votes or from indicator values (exactly one of the two)."""
    sys_obj = system if isinstance(system, IndicatorSystem) else load_system(system)
    if (votes is None) == (data is None):
        raise ConfigError("give exactly one of votes or data", where="votes/data")
    monitor = Monitor(sys_obj, method="fce", operator=operator)
    if data is not None:
        return monitor.evaluate(data if isinstance(data, pd.DataFrame) else read_table(data))
    panel, membership = read_votes(votes, sys_obj, n_experts)
    return monitor.evaluate_memberships(membership, panel, membership @ sys_obj.grade_values)
