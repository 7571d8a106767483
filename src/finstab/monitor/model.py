"""The regional risk monitor: indicator system + panel -> scores, grades, attribution.

Aggregation follows the Zibo paper: a node's score is the weighted mean of the scores of
the indicators below it, their global weights renormalised within the node,
omega_j = W_j / sum_{k in node} W_k. Every level therefore maps onto the same grades.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finstab.core.errors import ConfigError, DataError
from finstab.core.io import write_csv, write_excel
from finstab.core.provenance import Provenance, hash_arrays, hash_object
from finstab.mcda import fce
from finstab.mcda.scoring import grade_names
from finstab.mcda.weights import combine_weights, critic_weights, entropy_weights
from finstab.monitor.panel import Panel, build_panel
from finstab.monitor.systems.schema import IndicatorSystem


def aggregate_scores(indicator_scores: np.ndarray, node_weights: np.ndarray) -> np.ndarray:
    """Node scores from indicator scores (obs x ind) and node weights (nodes x ind).

    ``score = sum_j omega_j s_j``. Missing indicator scores (NaN) drop out and the weights
    of the present ones are scaled up to the node's full weight.
    """
    present = ~np.isnan(indicator_scores)
    if present.all():
        return indicator_scores @ node_weights.T
    filled = np.where(present, indicator_scores, 0.0)
    num = filled @ node_weights.T
    den = (present.astype(float) @ node_weights.T) / node_weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class MonitorResult:
    """Scores of every indicator and node per (region, period)."""

    system: IndicatorSystem
    keys: pd.DataFrame
    indicator_values: np.ndarray
    indicator_scores: np.ndarray
    node_scores: np.ndarray
    provenance: Provenance
    #: FCE only: (obs x nodes x grades) membership vectors B of every node
    node_membership: np.ndarray | None = None
    indicator_membership: np.ndarray | None = None
    operator: str = "weighted_average"
    #: nodes x indicators weights used in aggregation (None: the system's own)
    node_weight_matrix: np.ndarray | None = None

    @property
    def omega(self) -> np.ndarray:
        """Weight of each indicator within each node, as used for these scores."""
        return self.system.tree.node_weights() if self.node_weight_matrix is None else self.node_weight_matrix

    @property
    def _tree(self):
        return self.system.tree

    def node_frame(self, lang: str = "zh") -> pd.DataFrame:
        """Long table: region, period, node, name, level, score, grade."""
        nodes = self._tree.nodes
        n_obs, n_nodes = self.node_scores.shape
        frame = pd.DataFrame({
            "region": np.repeat(self.keys["region"].to_numpy(), n_nodes),
            "period": np.repeat(self.keys["period"].to_numpy(), n_nodes),
            "node": np.tile([n.id for n in nodes], n_obs),
            "name": np.tile([n.name(lang) for n in nodes], n_obs),
            "level": np.tile([n.level for n in nodes], n_obs),
            "score": self.node_scores.ravel(),
        })
        frame["grade"] = grade_names(frame["score"], lang, self.system.grade_scale)
        return frame

    def indicator_frame(self, lang: str = "zh") -> pd.DataFrame:
        """Long table: region, period, indicator, value, score, grade, global weight."""
        tree = self._tree
        n_obs, n_ind = self.indicator_scores.shape
        frame = pd.DataFrame({
            "region": np.repeat(self.keys["region"].to_numpy(), n_ind),
            "period": np.repeat(self.keys["period"].to_numpy(), n_ind),
            "indicator": np.tile([i.id for i in tree.indicators], n_obs),
            "name": np.tile([i.name(lang) for i in tree.indicators], n_obs),
            "parent": np.tile(tree.indicator_parent, n_obs),
            "value": self.indicator_values.ravel(),
            "score": self.indicator_scores.ravel(),
            "global_weight": np.tile(tree.global_weights, n_obs),
        })
        frame["grade"] = grade_names(frame["score"], lang, self.system.grade_scale)
        return frame

    def to_frame(self, max_level: int = 1, lang: str = "zh") -> pd.DataFrame:
        """Wide table of scores: one row per (region, period), one column per node."""
        nf = self.node_frame(lang)
        nf = nf[nf["level"] <= max_level]
        wide = nf.pivot(index=["region", "period"], columns="node", values="score")
        order = [n.id for n in self._tree.nodes if n.level <= max_level]
        wide = wide[order].reset_index()
        wide.columns.name = None
        wide["grade"] = grade_names(wide["total"], lang, self.system.grade_scale)
        return wide

    def weights_frame(self, lang: str = "zh") -> pd.DataFrame:
        """Local and global weights of every node and indicator."""
        tree = self._tree
        used = self.omega[0]  # the root row: every indicator's share of the total
        rows = [{"id": n.id, "name": n.name(lang), "kind": "node", "level": n.level,
                 "parent": n.parent, "local_weight": n.local_weight,
                 "global_weight": float(tree.membership[k] @ used)}
                for k, n in enumerate(tree.nodes)]
        rows += [{"id": i.id, "name": i.name(lang), "kind": "indicator", "level": None,
                  "parent": p, "local_weight": None, "global_weight": float(w)}
                 for i, p, w in zip(tree.indicators, tree.indicator_parent, used, strict=True)]
        return pd.DataFrame(rows)

    def attribution(self, from_period: object, to_period: object,
                    lang: str = "zh") -> pd.DataFrame:
        """Which indicators moved each node's score between two periods, in points.

        For node n, ``score_n(t2) - score_n(t1) = sum_j omega_nj * (s_j(t2) - s_j(t1))``
        exactly when no value is missing; ``contribution`` is each term, sorted by size.
        """
        if self.operator != "weighted_average":
            raise DataError(f"attribution needs the linear operator; this run used {self.operator!r}",
                            where="attribution")
        periods = set(self.keys["period"])
        for p in (from_period, to_period):
            if p not in periods:
                raise DataError(f"period {p!r} not in the results; have {sorted(periods)}",
                                where="attribution")
        tree = self._tree
        omega = self.omega
        rows = []
        for region in self.keys["region"].unique():
            sel = self.keys["region"] == region
            idx = {p: int(np.flatnonzero(sel & (self.keys["period"] == p))[0])
                   for p in (from_period, to_period) if (sel & (self.keys["period"] == p)).any()}
            if len(idx) < 2:
                continue
            delta = self.indicator_scores[idx[to_period]] - self.indicator_scores[idx[from_period]]
            contrib = omega * delta[None, :]
            for k, node in enumerate(tree.nodes):
                for j in np.flatnonzero(tree.membership[k]):
                    rows.append({"region": region, "node": node.id, "node_name": node.name(lang),
                                 "indicator": tree.indicators[j].id,
                                 "indicator_name": tree.indicators[j].name(lang),
                                 "score_from": self.indicator_scores[idx[from_period], j],
                                 "score_to": self.indicator_scores[idx[to_period], j],
                                 "weight_in_node": omega[k, j],
                                 "contribution": contrib[k, j]})
        out = pd.DataFrame(rows)
        if out.empty:
            return out
        out["abs"] = out["contribution"].abs()
        out = out.sort_values(["region", "node", "abs"], ascending=[True, True, False])
        return out.drop(columns="abs").reset_index(drop=True)

    def membership_frame(self, lang: str = "zh") -> pd.DataFrame:
        """FCE: membership of every node in every grade, with the maximum-membership grade."""
        if self.node_membership is None:
            raise DataError("this result was made by threshold scoring; no memberships",
                            where="membership_frame")
        nf = self.node_frame(lang)
        grades = self.system.grade_scale
        b = self.node_membership.reshape(-1, len(grades))
        for g, col in zip(grades, b.T, strict=True):
            nf[g.name(lang)] = col
        nf["max_membership"] = [grades[k].name(lang) for k in b.argmax(axis=1)]
        return nf

    def summary(self, lang: str = "zh") -> str:
        table = self.to_frame(1, lang).round(2)
        return f"{self.system.name(lang)}\n{table.to_string(index=False)}\n{self.provenance.describe()}"

    def to_excel(self, path: str | Path, lang: str = "zh") -> Path:
        """Formatted workbook: one sheet per level, indicators, weights, provenance."""
        nf = self.node_frame(lang)
        sheets = {f"level{lvl}": nf[nf["level"] == lvl].drop(columns="level")
                  for lvl in sorted(nf["level"].unique())}
        sheets["indicators"] = self.indicator_frame(lang)
        sheets["weights"] = self.weights_frame(lang)
        sheets["provenance"] = pd.DataFrame(
            [{"key": k, "value": str(v)} for k, v in self.provenance.to_dict().items()])
        colours = {g.name(lang): g.color for g in self.system.grade_scale}
        return write_excel(_bilingual_headers(sheets), path, fills={_HEADERS["grade"]: colours})

    def write(self, out_dir: str | Path, lang: str = "zh") -> list[Path]:
        """Write scores.csv, indicators.csv, weights.csv and results.xlsx into ``out_dir``."""
        out = Path(out_dir)
        return [write_csv(self.to_frame(2, lang), out / "scores.csv"),
                write_csv(self.indicator_frame(lang), out / "indicators.csv"),
                write_csv(self.weights_frame(lang), out / "weights.csv"),
                self.to_excel(out / "results.xlsx", lang)]


_HEADERS = {"region": "地区 region", "period": "期间 period", "node": "节点 node",
            "name": "名称 name", "score": "得分 score", "grade": "等级 grade",
            "indicator": "指标 indicator", "value": "数值 value", "parent": "上级 parent",
            "global_weight": "全局权重 global weight", "local_weight": "局部权重 local weight"}


def _bilingual_headers(sheets: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: v.rename(columns=_HEADERS) for k, v in sheets.items()}


class Monitor:
    """Score a panel with an indicator system.

    Parameters
    ----------
    system
        A validated :class:`~finstab.monitor.systems.schema.IndicatorSystem`.
    method
        ``"threshold"``: critical-value scoring and weighted aggregation (Zibo paper);
        ``"fce"``: memberships of each indicator's score in the grade intervals, composed
        layer by layer with the AHP weights, B . v per node (Guangxi paper).
    missing
        ``"error"`` (default): an empty cell is an error. ``"renormalise"``: the indicator
        drops out and the weights of the others are scaled up within each node.
    operator, shape
        FCE composition operator (see :mod:`finstab.mcda.fce`) and membership shape.
    objective, alpha
        ``"entropy"`` or ``"critic"``: blend the AHP weights with objective weights computed
        from the panel's indicator scores, ``alpha`` x AHP + (1 - alpha) x objective;
        threshold method only. finstab's extension: the Zibo paper weights by AHP alone.
    """

    def __init__(self, system: IndicatorSystem, method: str = "threshold", missing: str = "error",
                 operator: str = "weighted_average", shape: str = "trapezoidal",
                 objective: str | None = None, alpha: float = 0.5) -> None:
        if objective not in (None, "entropy", "critic"):
            raise ConfigError(f"objective = {objective!r}; expected 'entropy' or 'critic'", where="objective")
        if objective is not None and (method != "threshold" or missing != "error"):
            raise ConfigError("objective weights need the threshold method and complete data", where="objective")
        if missing not in ("error", "renormalise"):
            raise ConfigError(f"missing = {missing!r}; expected 'error' or 'renormalise'", where="missing")
        if method not in ("threshold", "fce"):
            raise ConfigError(f"unknown method {method!r}; expected 'threshold' or 'fce'",
                              where="method")
        if method == "fce" and missing != "error":
            raise ConfigError("fce needs every indicator value (missing='error')", where="missing")
        if method == "fce" and len(system.grade_values) != len(system.scores) - 1:
            raise ConfigError(f"fce needs one grade per score interval: {len(system.scores) - 1} "
                              f"intervals, {len(system.grade_values)} grades", where=system.id)
        fce._check_operator(operator)
        self.system, self.method, self.missing = system, method, missing
        self.operator, self.shape = operator, shape
        self.objective, self.alpha = objective, alpha

    def score_indicators(self, values: np.ndarray) -> np.ndarray:
        scores = tuple(self.system.scores)
        out = np.empty(values.shape, order="F")
        for k, ind in enumerate(self.system.tree.indicators):
            out[:, k] = ind.score(values[:, k], scores)
        return out

    def _blended(self, scores: np.ndarray) -> np.ndarray:
        """AHP global weights blended with entropy or CRITIC weights of the indicator scores
        (scores are already oriented: bigger is safer)."""
        tree = self.system.tree
        objective = (entropy_weights if self.objective == "entropy" else critic_weights)(scores)
        return tree.renormalised(combine_weights(tree.global_weights, objective, self.alpha))

    def compose_memberships(self, indicator_membership: np.ndarray) -> np.ndarray:
        """Layer by layer: B_node = A_node o [R or B of its children] (obs x nodes x grades)."""
        tree = self.system.tree
        n_obs, _, m = indicator_membership.shape
        out = np.zeros((n_obs, len(tree.nodes), m))
        for k in reversed(range(len(tree.nodes))):  # pre-order reversed: children first
            kids = tree.children[k]
            stack = np.stack([indicator_membership[:, i] if leaf else out[:, i]
                              for leaf, i, _ in kids], axis=1)
            a = np.array([w for _, _, w in kids])
            out[:, k] = fce.normalise_rows(fce.compose(a / a.sum(), stack, self.operator))
        return out

    def _provenance(self, panel: Panel, method: str) -> Provenance:
        return Provenance(
            method=f"monitor/{method}",
            config_hash=hash_object(self.system.model_dump(mode="json")),
            data_hash=hash_arrays(pd.util.hash_pandas_object(panel.keys, index=False).to_numpy(),
                                  panel.values),
            parameters={"system": self.system.id, "missing": self.missing, "method": method,
                        "operator": self.operator, "shape": self.shape, "objective": self.objective,
                        "alpha": self.alpha if self.objective else None},
            data_notes=panel.notes)

    def evaluate(self, data: pd.DataFrame | Panel, *, entity: str = "region",
                 period: str = "period") -> MonitorResult:
        """Score every indicator and node of every (region, period) row of ``data``."""
        tree = self.system.tree
        panel = data if isinstance(data, Panel) else build_panel(
            data, [i.id for i in tree.indicators], entity=entity, period=period,
            missing="error" if self.missing == "error" else "allow")
        scores = self.score_indicators(panel.values)
        if self.method == "threshold":
            omega = tree.node_weights() if self.objective is None else self._blended(scores)
            return MonitorResult(self.system, panel.keys, panel.values, scores, aggregate_scores(scores, omega),
                                 self._provenance(panel, "threshold"), node_weight_matrix=omega)
        edges = np.tile(np.asarray(self.system.scores, dtype=float), (len(tree.indicators), 1))
        membership = fce.membership_from_values(scores, edges, self.shape)
        return self.evaluate_memberships(membership, panel, scores)

    def evaluate_memberships(self, membership: np.ndarray, panel: Panel,
                             indicator_values: np.ndarray | None = None) -> MonitorResult:
        """FCE from given indicator memberships (obs x indicators x grades), e.g. expert votes."""
        v = self.system.grade_values
        node_b = self.compose_memberships(membership)
        values = panel.values if indicator_values is None else indicator_values
        return MonitorResult(self.system, panel.keys, values, membership @ v, node_b @ v,
                             self._provenance(panel, "fce"), node_b, membership, self.operator)
