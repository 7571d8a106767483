"""Monitor and AHP-FCE pipelines: read a panel or expert votes, evaluate a system."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from finstab.core.columns import ColumnSpec, canonical_columns
from finstab.core.errors import ConfigError, DataError, FinstabError
from finstab.core.io import read_table
from finstab.core.validate import require_columns
from finstab.mcda.fce import membership_from_votes
from finstab.monitor.model import Monitor, MonitorResult
from finstab.monitor.panel import Panel
from finstab.monitor.systems import load_system
from finstab.monitor.systems.schema import IndicatorSystem


def run_monitor(system: str | Path | IndicatorSystem, data: str | Path | pd.DataFrame,
                method: str = "threshold", missing: str = "error", objective: str | None = None,
                alpha: float = 0.5) -> MonitorResult:
    """Load a system and a panel, then evaluate with the chosen evaluator and weights."""
    sys_obj = system if isinstance(system, IndicatorSystem) else load_system(system)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data)
    return Monitor(sys_obj, method=method, missing=missing, objective=objective, alpha=alpha).evaluate(frame)


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
