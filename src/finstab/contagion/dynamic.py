"""Dynamic networks: exposure snapshots over time -> systemic measures, node risk paths, alerts.

Each period's snapshot (one per quarter, say) is a multi-layer network
(:mod:`finstab.contagion.multilayer`). For every period finstab runs the stress scenario
(clearing and DebtRank on the whole network) and ranks every node by its DebtRank impact
(the loss its own default would cause) and vulnerability (its mean distress over all
single-node defaults). Alerts flag jumps between consecutive periods.

Spillover connectedness feeds the early-warning module: :func:`spillover_indicators` turns
a rolling TCI and net spillovers into one row per period with indicator columns that
:func:`finstab.early_warning.klr_signals` reads directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from finstab.contagion.debtrank import rank_nodes
from finstab.contagion.multilayer import Shock, multilayer_network, run_multilayer
from finstab.contagion.spillover import RollingConnectedness
from finstab.core.errors import DataError, InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option, require_columns
from finstab.core.warnings import collect

NODE_MEASURES = ("impact", "vulnerability", "distress")
SYSTEM_MEASURES = ("total_exposure", "cross_border_exposure", "defaults", "shortfall", "debtrank_loss",
                   "max_impact")
AGGREGATIONS = ("mean", "last", "max")
#: resample frequency -> period frequency of the labels ("Q", "M", "Y" are pandas 2 aliases)
PERIOD_LABELS = {"QE": "Q", "ME": "M", "YE": "Y", "Q": "Q", "M": "M", "Y": "Y"}

_TXT = {
    "zh": {"title": "动态网络：各期系统性风险与节点风险轨迹", "periods": "期数", "alerts": "跃升预警",
           "none": "无", "last": "最新一期"},
    "en": {"title": "Dynamic network: systemic risk per period and node risk paths", "periods": "periods",
           "alerts": "jump alerts", "none": "none", "last": "latest period"},
}


@dataclass(frozen=True)
class DynamicResult(Result):
    """Per-period systemic measures (``systemic``), node risk paths (``trajectories``) and ``alerts``."""

    kind: ClassVar[str] = "dynamic_network"
    systemic: pd.DataFrame
    trajectories: pd.DataFrame
    alerts: pd.DataFrame
    jump: float
    min_change: float

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"systemic": self.systemic, "trajectories": self.trajectories, "alerts": self.alerts}

    def trajectory(self, node: str, measure: str = "impact") -> pd.Series:
        """One node's measure over the periods."""
        check_option(measure, NODE_MEASURES, "measure")
        t = self.trajectories[self.trajectories["node"] == node]
        if t.empty:
            raise InputError(f"node {node!r} is in no snapshot", where="node")
        return t.set_index("period")[measure]

    def indicators(self, spillover: pd.DataFrame | None = None, entity: str = "system") -> pd.DataFrame:
        """System measures (and, when given, :func:`spillover_indicators` rows) as KLR indicator columns."""
        out = self.systemic.assign(entity=entity)
        if spillover is not None:
            out = out.merge(spillover.drop(columns=["entity"], errors="ignore"), on="period", how="left")
        return out[["entity", "period", *[c for c in out.columns if c not in ("entity", "period")]]]

    def summary(self) -> str:
        t = _TXT[self.lang]
        cols = ["period", "total_exposure", "cross_border_exposure", "defaults", "debtrank_loss", "max_impact",
                "top_node"]
        alerts = self.alerts.head(12)
        lines = [f"{t['title']} ({t['periods']}: {len(self.systemic)})",
                 self.systemic[cols].round(4).to_string(index=False),
                 f"{t['alerts']} ({len(self.alerts)}):",
                 alerts.round(4).to_string(index=False) if len(alerts) else t["none"],
                 self.footer()]
        return "\n".join(lines)


def _jumps(frame: pd.DataFrame, key: str, measures: Sequence[str], jump: float, min_change: float) -> pd.DataFrame:
    """Rows where a measure rose by at least ``jump`` (relative) and ``min_change`` (absolute); a rise
    from zero or below always counts as relative enough (a count such as defaults appearing)."""
    rows = []
    for measure in measures:
        wide = frame.pivot_table(index="period", columns=key, values=measure, aggfunc="sum")  # sorted periods
        prev, cur = wide.shift(1), wide
        change = cur - prev
        rel = change / prev.abs()
        hit = (change > 0) & (change >= min_change) & ((prev <= 0) | (rel >= jump))
        hit &= prev.notna()
        for period, who in np.argwhere(hit.to_numpy()):
            rows.append({"period": wide.index[period], "node": wide.columns[who], "measure": measure,
                         "previous": prev.iat[period, who], "value": cur.iat[period, who],
                         "change": change.iat[period, who],
                         "relative_change": rel.iat[period, who] if prev.iat[period, who] > 0 else np.inf})
    cols = ["period", "node", "measure", "previous", "value", "change", "relative_change"]
    return pd.DataFrame(rows, columns=cols)


def dynamic_network(nodes: pd.DataFrame, edges: pd.DataFrame, shocks: Sequence[Shock] = (), *,
                    period: str = "quarter", variant: str = "battiston2012", jump: float = 0.5,
                    min_change: float = 0.02) -> DynamicResult:
    """Systemic measures, node risk trajectories and jump alerts over exposure snapshots.

    Parameters
    ----------
    nodes, edges
        Node and edge tables as for :func:`~finstab.contagion.multilayer.multilayer_network`,
        each with a ``period`` column (default name ``quarter``) naming its snapshot.
    shocks
        The stress scenario run on every snapshot (may be empty: only the rankings then).
    period
        Name of the period column; periods are taken in sorted order.
    variant
        DebtRank variant.
    jump, min_change
        A node alert fires when impact, vulnerability or scenario distress rises by at least
        ``jump`` (relative, 0.5 = +50 %) *and* ``min_change`` (absolute, on the 0-1 scale) from
        one period to the next. A system alert fires on the same relative rise of a system
        measure, or when defaults appear.

    Returns
    -------
    DynamicResult
        ``systemic`` (one row per period), ``trajectories`` (period x node), ``alerts``.

    Examples
    --------
    >>> from finstab.samples.markets import exposure_snapshots
    >>> from finstab.contagion.multilayer import market_shock
    >>> nodes, edges = exposure_snapshots()
    >>> res = dynamic_network(nodes, edges, [market_shock("property", 0.3)])
    >>> len(res.systemic), "lgfv:GZ" in set(res.alerts["node"])
    (12, True)
    """
    for name, df in (("nodes", nodes), ("edges", edges)):
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"expected a DataFrame, got {type(df).__name__}", where=name)
        require_columns(list(df.columns), [period], df.attrs.get("source", name))
    check_option(variant, ("battiston2012", "bardoscia2015"), "variant")
    if not jump > 0 or not min_change >= 0:
        raise InputError(f"jump = {jump}, min_change = {min_change}; expected jump > 0 and min_change >= 0",
                         where="jump/min_change")
    periods = sorted(pd.unique(nodes[period]))
    missing = set(pd.unique(edges[period])) - set(periods)
    if missing:
        raise DataError(f"edges for period(s) {sorted(map(str, missing))} that have no nodes", where="edges")
    system_rows, paths = [], []
    with collect() as seen:
        for p in periods:
            n_p = nodes[nodes[period] == p].drop(columns=[period])
            e_p = edges[edges[period] == p].drop(columns=[period])
            n_p.attrs, e_p.attrs = dict(nodes.attrs), dict(edges.attrs)
            net = multilayer_network(n_p, e_p)
            res = run_multilayer(net, shocks=shocks, variant=variant)
            equity = net.nodes["equity"].to_numpy()  # floats: multilayer_network converts them
            size = (net.nodes["external_assets"].to_numpy()
                    + np.bincount(net.edges["i_lender"], weights=net.edges["amount"].to_numpy(),
                                  minlength=net.n))
            ranks = rank_nodes(net.liabilities().T.tocsr(), equity, np.where(size > 0, size, 1e-12), variant=variant,
                               labels=list(net.nodes["node"])).set_index("node").loc[net.nodes["node"]]
            nt = res.node_table
            path = nt[["node", "kind", "region", "market", "border", "equity"]].copy()
            path.insert(0, "period", p)
            path["impact"] = ranks["impact"].to_numpy()
            path["vulnerability"] = ranks["vulnerability"].to_numpy()
            path["distress"] = nt["distress"].to_numpy()
            path["defaulted"] = nt["defaulted"].to_numpy()
            paths.append(path)
            ed = res.edge_table
            cross = (ed["lender_border"] != ed["borrower_border"]).to_numpy()
            top = int(np.argmax(path["impact"].to_numpy()))
            system_rows.append({
                "period": p, "nodes": net.n, "edges": len(net.edges),
                "total_exposure": float(net.edges["amount"].sum()),
                "cross_border_exposure": float(net.edges["amount"].to_numpy()[cross].sum()),
                "defaults": int(nt["defaulted"].sum()), "shortfall": float(nt["shortfall"].sum()),
                "debtrank_loss": float(nt["debtrank_loss"].sum()), "debtrank": res.debtrank_result.debtrank,
                "max_impact": float(path["impact"].max()), "top_node": path["node"].iat[top],
                "mean_vulnerability": float(path["vulnerability"].mean())})
    systemic = pd.DataFrame(system_rows)
    trajectories = pd.concat(paths, ignore_index=True)
    node_alerts = _jumps(trajectories, "node", NODE_MEASURES, jump, min_change)
    sys_long = systemic.assign(node="system")
    # no absolute minimum for system measures, so defaults (a count) need no special rule
    system_alerts = _jumps(sys_long, "node", SYSTEM_MEASURES, jump, 0.0)
    alerts = pd.concat([system_alerts, node_alerts], ignore_index=True).sort_values(
        ["period", "measure", "relative_change"], ascending=[True, True, False], ignore_index=True)
    prov = Provenance.from_inputs("contagion/dynamic_network", inputs={"nodes": nodes, "edges": edges},
                                  params={"shocks": [s.describe() for s in shocks], "variant": variant,
                                          "period": period, "jump": jump, "min_change": min_change})
    result = DynamicResult(systemic, trajectories, alerts, jump, min_change, provenance=prov)
    return result.with_warnings(seen)


def spillover_indicators(rolling: RollingConnectedness | pd.DataFrame, freq: str = "QE", how: str = "mean",
                         entity: str = "system") -> pd.DataFrame:
    """Rolling TCI and net spillovers as one row per period: indicator columns for KLR signals.

    Parameters
    ----------
    rolling
        :func:`~finstab.contagion.spillover.rolling_connectedness` output (or its frame),
        indexed by dates.
    freq
        pandas frequency of the periods (``"QE"`` quarters, ``"ME"`` months, ``"YE"`` years).
    how
        ``"mean"``, ``"last"`` or ``"max"`` of the windows ending in each period.
    entity
        The ``entity`` column :func:`finstab.early_warning.klr_signals` groups by.

    Returns
    -------
    pandas.DataFrame
        ``entity``, ``period`` (e.g. ``"2022Q3"``), ``tci`` and ``net:<market>`` columns.

    Examples
    --------
    >>> idx = pd.date_range("2022-01-03", periods=200, freq="B")
    >>> roll = pd.DataFrame({"tci": np.linspace(40, 60, 200), "net:a": 1.0, "net:b": -1.0}, index=idx)
    >>> spillover_indicators(roll)[["period", "tci"]].round(2).values.tolist()[:2]
    [['2022Q1', 43.17], ['2022Q2', 49.65]]
    """
    check_option(how, AGGREGATIONS, "how")
    frame = rolling.frame if isinstance(rolling, RollingConnectedness) else rolling
    if not isinstance(frame, pd.DataFrame) or "tci" not in frame.columns:
        raise InputError("expected a rolling connectedness frame with a 'tci' column", where="rolling")
    try:
        index = pd.DatetimeIndex(frame.index)
    except (TypeError, ValueError):
        raise DataError("the rolling frame is not indexed by dates", where="rolling") from None
    cols = ["tci", *[c for c in frame.columns if c.startswith("net:")]]
    try:
        grouped = frame[cols].set_axis(index).resample(freq)
    except ValueError as exc:
        raise InputError(f"{freq!r} is not a pandas frequency: {exc}", where="freq") from None
    agg = getattr(grouped, how)().dropna(how="all")
    period_freq = PERIOD_LABELS.get(freq)
    labels = (agg.index.to_period(period_freq).astype(str) if period_freq else agg.index.astype(str))
    out = agg.reset_index(drop=True)
    out.insert(0, "period", list(labels))
    out.insert(0, "entity", entity)
    return out
