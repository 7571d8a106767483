"""The monitor's result: scores of every indicator and node per (region, period)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from finstab.core.errors import DataError
from finstab.core.labels import display_frame
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.mcda.scoring import grade_keys
from finstab.monitor.systems.schema import IndicatorSystem

#: grade key of a score that could not be computed (every indicator below it missing)
NO_DATA = "no_data"
NO_DATA_LABEL = {"zh": "无数据", "en": "no data"}
ALERT_LABELS = {"zh": {"beyond": "超出临界值", "near": "接近临界值"},
                "en": {"beyond": "beyond the critical line", "near": "near a grade boundary"}}


@dataclass(frozen=True)
class MonitorResult(Result):
    """Scores of every indicator and node per (region, period); grades as canonical keys.

    Examples
    --------
    >>> import finstab as fs
    >>> res = fs.Monitor(fs.load_system("zibo")).evaluate(fs.sample_frame("zibo_sample.csv"))
    >>> res.to_frame().columns[:3].tolist()
    ['region', 'period', 'total']
    """

    kind: ClassVar[str] = "monitor"
    system: IndicatorSystem
    keys: pd.DataFrame
    indicator_values: np.ndarray
    indicator_scores: np.ndarray
    node_scores: np.ndarray
    #: FCE only: (obs x nodes x grades) membership vectors B of every node
    node_membership: np.ndarray | None = None
    indicator_membership: np.ndarray | None = None
    operator: str = "weighted_average"
    #: nodes x indicators weights used in aggregation (None: the system's own)
    node_weight_matrix: np.ndarray | None = None
    #: data-quality findings: what was missing, renormalised, suspicious
    quality: pd.DataFrame | None = None

    @property
    def method(self) -> str:
        return "threshold" if self.node_membership is None else "fce"

    @property
    def omega(self) -> np.ndarray:
        """Weight of each indicator within each node, as used for these scores."""
        return self.system.tree.node_weights() if self.node_weight_matrix is None else self.node_weight_matrix

    def _grades(self, scores: object) -> np.ndarray:
        keys = grade_keys(scores, self.system.grade_scale)
        return np.where(keys == "", NO_DATA, keys)

    # canonical tables ------------------------------------------------------------------------
    def node_frame(self) -> pd.DataFrame:
        """Long table: region, period, node, level, score, grade (key)."""
        nodes = self.system.tree.nodes
        n_obs, n_nodes = self.node_scores.shape
        frame = pd.DataFrame({
            "region": np.repeat(self.keys["region"].to_numpy(), n_nodes),
            "period": np.repeat(self.keys["period"].to_numpy(), n_nodes),
            "node": np.tile([n.id for n in nodes], n_obs),
            "level": np.tile([n.level for n in nodes], n_obs),
            "score": self.node_scores.ravel(),
        })
        frame["grade"] = self._grades(frame["score"])
        return frame

    def indicator_frame(self) -> pd.DataFrame:
        """Long table: region, period, indicator, parent, value, score, grade, global weight."""
        tree = self.system.tree
        n_obs, n_ind = self.indicator_scores.shape
        frame = pd.DataFrame({
            "region": np.repeat(self.keys["region"].to_numpy(), n_ind),
            "period": np.repeat(self.keys["period"].to_numpy(), n_ind),
            "indicator": np.tile([i.id for i in tree.indicators], n_obs),
            "parent": np.tile(tree.indicator_parent, n_obs),
            "value": self.indicator_values.ravel(),
            "score": self.indicator_scores.ravel(),
            "global_weight": np.tile(tree.global_weights, n_obs),
        })
        frame["grade"] = self._grades(frame["score"])
        return frame

    def wide_frame(self, max_level: int = 1) -> pd.DataFrame:
        """One row per (region, period), one score column per node down to ``max_level``."""
        nf = self.node_frame()
        nf = nf[nf["level"] <= max_level]
        wide = nf.pivot(index=["region", "period"], columns="node", values="score")
        wide = wide[[n.id for n in self.system.tree.nodes if n.level <= max_level]]
        order = self.keys[["region", "period"]].drop_duplicates()
        wide = order.merge(wide.reset_index(), on=["region", "period"], how="left")
        wide.columns.name = None
        wide["grade"] = self._grades(wide["total"])
        return wide

    def weights_frame(self) -> pd.DataFrame:
        """Local and global weights of every node and indicator."""
        tree = self.system.tree
        used = self.omega[0]  # the root row: every indicator's share of the total
        rows = [{"id": n.id, "kind": "node", "level": n.level, "parent": n.parent,
                 "local_weight": n.local_weight, "global_weight": float(tree.membership[k] @ used)}
                for k, n in enumerate(tree.nodes)]
        rows += [{"id": i.id, "kind": "indicator", "level": None, "parent": p, "local_weight": None,
                  "global_weight": float(w)}
                 for i, p, w in zip(tree.indicators, tree.indicator_parent, used, strict=True)]
        return pd.DataFrame(rows)

    def membership_frame(self) -> pd.DataFrame:
        """FCE: membership of every node in every grade (columns = grade keys), and the argmax grade."""
        if self.node_membership is None:
            raise DataError("this result was made by threshold scoring; no memberships",
                            where="membership_frame")
        nf = self.node_frame()
        grades = self.system.grade_scale
        b = self.node_membership.reshape(-1, len(grades))
        for g, col in zip(grades, b.T, strict=True):
            nf[g.key] = col
        nf["max_membership"] = [grades[k].key for k in b.argmax(axis=1)]
        return nf

    def attribution(self, from_period: object, to_period: object) -> pd.DataFrame:
        """Which indicators moved each node's score between two periods, in points.

        For node n, ``score_n(t2) - score_n(t1) = sum_j omega_nj * (s_j(t2) - s_j(t1))``
        exactly when no value is missing; ``contribution`` is each term, sorted by size.
        """
        if self.operator != "weighted_average":
            raise DataError(f"attribution needs the linear operator; this run used {self.operator}",
                            where="attribution")
        periods = list(dict.fromkeys(self.keys["period"]))
        for p in (from_period, to_period):
            if p not in periods:
                raise DataError(f"period {p} not in the results; have {', '.join(map(str, periods))}",
                                where="attribution")
        tree = self.system.tree
        pos = pd.Series(np.arange(len(self.keys)), index=pd.MultiIndex.from_frame(self.keys[["region", "period"]]))
        regions = [r for r in dict.fromkeys(self.keys["region"])
                   if (r, from_period) in pos.index and (r, to_period) in pos.index]
        if not regions:
            return pd.DataFrame(columns=["region", "node", "indicator", "score_from", "score_to",
                                         "weight_in_node", "contribution"])
        a = pos.loc[[(r, from_period) for r in regions]].to_numpy()
        b = pos.loc[[(r, to_period) for r in regions]].to_numpy()
        k_idx, j_idx = np.nonzero(tree.membership)
        delta = self.indicator_scores[b] - self.indicator_scores[a]  # regions x indicators
        contrib = self.omega[k_idx, j_idx][None, :] * delta[:, j_idx]
        n_r, n_pairs = contrib.shape
        out = pd.DataFrame({
            "region": np.repeat(regions, n_pairs),
            "node": np.tile([tree.nodes[k].id for k in k_idx], n_r),
            "indicator": np.tile([tree.indicators[j].id for j in j_idx], n_r),
            "score_from": self.indicator_scores[a][:, j_idx].ravel(),
            "score_to": self.indicator_scores[b][:, j_idx].ravel(),
            "weight_in_node": np.tile(self.omega[k_idx, j_idx], n_r),
            "contribution": contrib.ravel(),
        })
        out["abs"] = out["contribution"].abs()
        out = out.sort_values(["region", "node", "abs"], ascending=[True, True, False], kind="stable")
        return out.drop(columns="abs").reset_index(drop=True)

    def node_weights_frame(self) -> pd.DataFrame:
        """Long (node, indicator, weight): the aggregation weights actually used."""
        tree = self.system.tree
        k, j = np.nonzero(tree.membership)
        return pd.DataFrame({"node": [tree.nodes[i].id for i in k], "indicator": [tree.indicators[i].id for i in j],
                             "weight": self.omega[k, j]})

    def scores_frame(self) -> pd.DataFrame:
        """The main table: level-1 scores, the total's grade and the response level it calls for."""
        wide = self.wide_frame(1)
        wide["response"] = [getattr(self.system.response_for(g), "level", "") for g in wide["grade"]]
        return wide

    def alerts_frame(self) -> pd.DataFrame:
        """Indicators beyond the critical line or within ``alerts.near_points`` above a grade boundary."""
        rules = self.system.alerts
        bounds = np.array([g.lower for g in self.system.grade_scale[1:]])
        s = self.indicator_scores
        gap = s[..., None] - bounds  # points above each boundary
        above = np.where(gap >= 0, gap, np.inf).min(axis=-1)
        above[np.isinf(above)] = np.nan  # in the lowest grade: no boundary below the score
        beyond = s < rules.warning_line
        near = ~beyond & (above < rules.near_points)
        obs, ind = np.nonzero(beyond | near)
        tree = self.system.tree
        return pd.DataFrame({
            "region": self.keys["region"].to_numpy()[obs], "period": self.keys["period"].to_numpy()[obs],
            "indicator": [tree.indicators[j].id for j in ind], "value": self.indicator_values[obs, ind],
            "score": s[obs, ind], "alert": np.where(beyond[obs, ind], "beyond", "near"),
            "points_above_boundary": above[obs, ind]})

    def tables(self) -> dict[str, pd.DataFrame]:
        tables = {"scores": self.scores_frame(), "alerts": self.alerts_frame(), "nodes": self.node_frame(),
                  "indicators": self.indicator_frame(),
                  "weights": self.weights_frame(), "node_weights": self.node_weights_frame()}
        if self.node_membership is not None:
            tables["membership"] = self.membership_frame()
        if self.quality is not None and len(self.quality):
            tables["data_quality"] = self.quality
        return tables

    def config(self) -> dict:
        return self.system.model_dump(mode="json")

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: dict, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> MonitorResult:
        """Rebuild a stored monitor or FCE run from its tables and its system."""
        system = IndicatorSystem.model_validate(config)
        tree = system.tree
        keys = tables["scores"][["region", "period"]].reset_index(drop=True)
        rows = pd.MultiIndex.from_frame(keys)
        node_ids, ind_ids = [n.id for n in tree.nodes], [i.id for i in tree.indicators]

        def grid(frame: pd.DataFrame, column: str, ids: list[str], value: str) -> np.ndarray:
            wide = frame.pivot(index=["region", "period"], columns=column, values=value)
            return wide.reindex(index=rows, columns=ids).to_numpy(dtype=float)

        inds = tables["indicators"]
        membership = None
        if "membership" in tables:
            membership = np.stack([grid(tables["membership"], "node", node_ids, g.key) for g in system.grade_scale],
                                  axis=-1)
        omega = None
        if "node_weights" in tables:
            w = tables["node_weights"]
            omega = np.zeros(tree.membership.shape)
            omega[[node_ids.index(n) for n in w["node"]], [ind_ids.index(i) for i in w["indicator"]]] = w["weight"]
        quality = tables.get("data_quality")
        return cls(system, keys, grid(inds, "indicator", ind_ids, "value"), grid(inds, "indicator", ind_ids, "score"),
                   grid(tables["nodes"], "node", node_ids, "score"), membership, None,
                   provenance.parameters.get("operator", "weighted_average"), omega, quality,
                   provenance=provenance, warnings=tuple(warnings))

    # display ---------------------------------------------------------------------------------
    def names(self) -> dict[str, str]:
        """Node, indicator and grade names in ``self.lang`` by id."""
        tree, lang = self.system.tree, self.lang
        out = {n.id: n.name(lang) for n in tree.nodes}
        out.update({i.id: i.name(lang) for i in tree.indicators})
        return out

    def grade_labels(self) -> dict[str, str]:
        return {**{g.key: g.name(self.lang) for g in self.system.grade_scale}, NO_DATA: NO_DATA_LABEL[self.lang]}

    def label(self, df: pd.DataFrame) -> pd.DataFrame:
        """Canonical -> display values: node/indicator names beside ids, grade names, node columns named."""
        names, grades = self.names(), self.grade_labels()
        out = df.copy()
        for col in ("grade", "max_membership"):
            if col in out:
                out[col] = out[col].map(grades).fillna("")
        if "response" in out:
            levels = {r.level: r.name(self.lang) for r in
                      (self.system.response_for(g.key) for g in self.system.grade_scale) if r is not None}
            out["response"] = out["response"].map(levels).fillna(out["response"])
        if "alert" in out:
            out["alert"] = out["alert"].map(ALERT_LABELS[self.lang])
        for col in ("node", "indicator", "id", "parent"):
            if col in out:
                out.insert(out.columns.get_loc(col) + 1, f"{col}_name", out[col].map(names))
        out = out.rename(columns={c: names[c] for c in out.columns if c in names})
        return out.rename(columns={g: grades[g] for g in grades if g in out.columns})

    def level_frames(self) -> dict[str, pd.DataFrame]:
        """Wide sheets per level: region x node per period."""
        nf = self.node_frame()
        out = {}
        for lvl in sorted(nf["level"].unique()):
            ids = [n.id for n in self.system.tree.nodes if n.level == lvl]
            wide = nf[nf["level"] == lvl].pivot(index=["region", "period"], columns="node", values="score")
            out[f"level{lvl}"] = wide[ids].reset_index().rename_axis(columns=None)
        return out

    def display_tables(self, *, bilingual: bool = False) -> dict[str, pd.DataFrame]:
        tables = self.tables()
        sheets = {"scores": tables.pop("scores"), **self.level_frames(), **tables}
        periods = list(dict.fromkeys(self.keys["period"]))
        if len(periods) >= 2 and self.operator == "weighted_average":  # what moved the latest change
            sheets["attribution"] = self.attribution(periods[-2], periods[-1])
        return {k: self.display(v, bilingual=bilingual) for k, v in sheets.items()}

    def excel_fills(self) -> Mapping[str, Mapping[str, str]]:
        colours = {g.name(self.lang): g.color for g in self.system.grade_scale}
        return {display_frame(pd.DataFrame(columns=["grade"]), self.lang, bilingual=True).columns[0]: colours}

    def summary(self) -> str:
        table = self.scores_frame()
        if len(table) > 30:  # many regions: the latest period, worst first
            table = table[table["period"] == table["period"].iloc[-1]].nsmallest(30, "total")
        alerts = self.alerts_frame()
        zh = self.lang == "zh"
        count = (f"预警: {int((alerts['alert'] == 'beyond').sum())} 个指标值超出临界值, "
                 f"{int((alerts['alert'] == 'near').sum())} 个接近临界值" if zh else
                 f"alerts: {int((alerts['alert'] == 'beyond').sum())} indicator values beyond the critical line, "
                 f"{int((alerts['alert'] == 'near').sum())} near a grade boundary")
        return (f"{self.system.name(self.lang)}\n{self.label(table).round(2).to_string(index=False)}\n{count}\n"
                f"{self.footer()}")
