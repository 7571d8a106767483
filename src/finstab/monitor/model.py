"""The regional risk monitor: indicator system + panel -> scores, grades, attribution.

Aggregation follows the Zibo paper: a node's score is the weighted mean of the scores of
the indicators below it, their global weights renormalised within the node,
omega_j = W_j / sum_{k in node} W_k. Every level therefore maps onto the same grades.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace

import numpy as np
import pandas as pd

from finstab.core.errors import ConfigError
from finstab.core.provenance import Provenance
from finstab.core.validate import check_option
from finstab.core.warnings import DataQualityWarning, warn
from finstab.mcda import fce
from finstab.mcda.weights import combine_weights, critic_weights, entropy_weights
from finstab.monitor.panel import Panel, build_panel
from finstab.monitor.result import MonitorResult
from finstab.monitor.systems.schema import IndicatorSystem

#: rows scored (and aggregated with missing values) per block: 40 indicators of a block stay in cache
#: when the values are row-major; column-major values are read in longer runs
BLOCK_ROWS, BLOCK_ROWS_COLUMN_MAJOR = 8192, 65536
#: value matrices at least this large are hashed for provenance while they are being scored
CONCURRENT_HASH_BYTES = 1 << 24


def _has_nan(a: np.ndarray) -> bool:
    """Whether ``a`` holds a NaN: one pass, no temporary (``min`` propagates NaN)."""
    return bool(a.size) and bool(np.isnan(np.min(a)))


def aggregate_scores(indicator_scores: np.ndarray, node_weights: np.ndarray) -> np.ndarray:
    """Node scores from indicator scores (obs x ind) and node weights (nodes x ind).

    ``score = sum_j omega_j s_j``. Missing indicator scores (NaN) drop out and the weights
    of the present ones are scaled up to the node's full weight.

    Examples
    --------
    >>> w = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> aggregate_scores(np.array([[40.0, 80.0], [np.nan, 80.0]]), w)
    array([[60., 40.],
           [80., nan]])
    """
    # One fused multiply-add per (indicator, node) pair, indicators in ascending order: every row is
    # summed the same way however the panel is split (dask chunks give bit-identical scores), which a
    # BLAS product does not promise.
    n_obs, n_nodes = indicator_scores.shape[0], node_weights.shape[0]
    pairs = [(j, np.flatnonzero(node_weights[:, j])) for j in range(node_weights.shape[1])]
    num = np.zeros((n_obs, n_nodes), order="F")
    if not _has_nan(indicator_scores):
        for j, nodes in pairs:
            for k in nodes:
                num[:, k] += node_weights[k, j] * indicator_scores[:, j]
        return num
    den = np.zeros((n_obs, n_nodes), order="F")
    mass = np.zeros(n_nodes)
    for j, nodes in pairs:
        column = indicator_scores[:, j]
        present = ~np.isnan(column)
        filled = np.where(present, column, 0.0)
        for k in nodes:
            num[:, k] += node_weights[k, j] * filled
            den[:, k] += node_weights[k, j] * present
            mass[k] += node_weights[k, j]
    den /= mass
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _scoring_plan(system: IndicatorSystem) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """Each indicator's score as one ``np.interp``: (xp, fp, negate the values first).

    The same arithmetic as :func:`~finstab.mcda.scoring.threshold_score` and
    :func:`~finstab.mcda.scoring.band_score`: a moderate indicator's two sides are one
    increasing function (rising to the top score at the band's lower edge, flat inside the
    band, falling from its upper edge), so ``min`` of the two sides is one interpolation.
    """
    s = np.asarray(system.scores, dtype=float)
    plan = []
    for ind in system.tree.indicators:
        cuts = np.asarray(ind.cuts, dtype=float)
        if ind.type == "moderate":
            plan.append((np.r_[cuts, np.asarray(ind.high_cuts, dtype=float)], np.r_[s, s[::-1]], False))
        elif cuts[-1] < cuts[0]:  # falling cuts: scored on the negated value, as threshold_score does
            plan.append((-cuts, s, True))
        else:
            plan.append((cuts, s, False))
    return plan


METHODS = ("threshold", "fce")
MISSING = ("error", "renormalise")
OBJECTIVES = (None, "entropy", "critic")


def renormalised_rows(result: MonitorResult) -> pd.DataFrame:
    """Data-quality rows for every node whose weights were renormalised over present indicators,
    with the score change the renormalisation caused (against scoring the missing indicators 0)."""
    missing = np.isnan(result.indicator_scores)
    zero_filled = np.where(missing, 0.0, result.indicator_scores) @ result.omega.T
    touched = (missing.astype(float) @ (result.omega > 0).T) > 0
    obs, node = np.nonzero(touched)
    ids = [n.id for n in result.system.tree.nodes]
    change = result.node_scores[obs, node] - zero_filled[obs, node]
    return pd.DataFrame({
        "check": "renormalised", "severity": "warning", "where": "", "region": result.keys["region"].to_numpy()[obs],
        "period": result.keys["period"].to_numpy()[obs], "indicator": "", "column": [ids[k] for k in node],
        "value": result.node_scores[obs, node],
        "detail": [f"node {ids[k]}: weights renormalised over present indicators, {d:+.2f} points against "
                   "scoring the missing ones 0" for k, d in zip(node, change, strict=True)],
        "treatment": "renormalised"})


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
        check_option(method, METHODS, "method")
        check_option(missing, MISSING, "missing")
        check_option(operator, fce.OPERATORS, "operator")
        check_option(shape, fce.SHAPES, "shape")
        check_option(objective, OBJECTIVES, "objective")
        if not 0 <= alpha <= 1:
            raise ConfigError(f"{alpha}; expected a share in [0, 1]", where="alpha")
        if objective is not None and (method != "threshold" or missing != "error"):
            raise ConfigError("objective weights need the threshold method and complete data", where="objective")
        if method == "fce" and missing != "error":
            raise ConfigError("fce needs every indicator value (missing='error')", where="missing")
        if method == "fce" and len(system.grade_values) != len(system.scores) - 1:
            raise ConfigError(f"fce needs one grade per score interval: {len(system.scores) - 1} "
                              f"intervals, {len(system.grade_values)} grades", where=system.id)
        self.system, self.method, self.missing = system, method, missing
        self.operator, self.shape = operator, shape
        self.objective, self.alpha = objective, alpha

    def score_indicators(self, values: np.ndarray) -> np.ndarray:
        """Scores of every indicator (obs x indicators, column-major), NaN where a value is missing.

        Row blocks are scored in cache whatever the layout of ``values``; each indicator is one
        ``np.interp`` (see :func:`_scoring_plan`).
        """
        plan = _scoring_plan(self.system)
        out = np.empty(values.shape, order="F")
        rows = BLOCK_ROWS_COLUMN_MAJOR if values.flags.f_contiguous else BLOCK_ROWS
        for start in range(0, values.shape[0], rows):
            block = values[start:start + rows]
            for k, (xp, fp, negate) in enumerate(plan):
                column = block[:, k]
                out[start:start + rows, k] = np.interp(-column if negate else column, xp, fp)
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

    def provenance_for(self, panel: Panel, method: str) -> Provenance:
        """The provenance of a run of this monitor on ``panel`` (every key and value hashed)."""
        return Provenance.from_inputs(
            f"monitor/{method}", config=self.system,
            inputs={"keys": pd.util.hash_pandas_object(panel.keys, index=False).to_numpy(), "values": panel.values},
            params={"system": self.system.id, "missing": self.missing, "method": method,
                    "operator": self.operator, "shape": self.shape, "objective": self.objective,
                    "alpha": self.alpha if self.objective else None},
            notes=panel.notes)

    def finish(self, result: MonitorResult) -> MonitorResult:
        """Flag what may be wrong: renormalised nodes and rows without any data."""
        messages = []
        if _has_nan(result.indicator_values):
            missing = np.isnan(result.indicator_values)
            rows = int(missing.any(axis=1).sum())
            messages.append(f"DataQualityWarning: {int(missing.sum())} missing value(s) in {rows} region-period "
                            "row(s); node weights renormalised over the indicators present")
            result = replace(result, quality=pd.concat([result.quality, renormalised_rows(result)], ignore_index=True))
        empty = np.isnan(result.node_scores[:, 0])
        if empty.any():
            who = ", ".join(f"{r} {p}" for r, p in result.keys[empty].itertuples(index=False, name=None))
            messages.append(f"DataQualityWarning: no data at all for {who}; graded 'no data'")
        for message in messages:
            warn(message.split(": ", 1)[1], DataQualityWarning, stacklevel=3)
        return result.with_warnings(messages) if messages else result

    def evaluate(self, data: pd.DataFrame | Panel, *, entity: str = "region",
                 period: str = "period") -> MonitorResult:
        """Score every indicator and node of every (region, period) row of ``data``."""
        tree = self.system.tree
        panel = data if isinstance(data, Panel) else build_panel(
            data, tree.indicators, entity=entity, period=period,
            missing="error" if self.missing == "error" else "allow")
        if self.method == "threshold":
            # SHA-256 lets go of the GIL: a big panel is hashed while it is scored
            with ThreadPoolExecutor(1) if panel.values.nbytes >= CONCURRENT_HASH_BYTES else nullcontext() as pool:
                provenance = pool.submit(self.provenance_for, panel, "threshold") if pool else None
                scores = self.score_indicators(panel.values)
                omega = tree.node_weights() if self.objective is None else self._blended(scores)
                node_scores = aggregate_scores(scores, omega)
                provenance = provenance.result() if pool else self.provenance_for(panel, "threshold")
            return self.finish(MonitorResult(
                self.system, panel.keys, panel.values, scores, node_scores,
                node_weight_matrix=omega, quality=panel.quality, provenance=provenance))
        scores = self.score_indicators(panel.values)
        edges = np.tile(np.asarray(self.system.scores, dtype=float), (len(tree.indicators), 1))
        membership = fce.membership_from_values(scores, edges, self.shape)
        return self.evaluate_memberships(membership, panel, scores)

    def evaluate_memberships(self, membership: np.ndarray, panel: Panel,
                             indicator_values: np.ndarray | None = None) -> MonitorResult:
        """FCE from given indicator memberships (obs x indicators x grades), e.g. expert votes."""
        v = self.system.grade_values
        node_b = self.compose_memberships(membership)
        values = panel.values if indicator_values is None else indicator_values
        return self.finish(MonitorResult(
            self.system, panel.keys, values, membership @ v, node_b @ v, node_b, membership, self.operator,
            quality=panel.quality, provenance=self.provenance_for(panel, "fce")))
