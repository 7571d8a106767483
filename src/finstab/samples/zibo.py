"""Sample panel for the Zibo preset, 2015-2019.

Two national series are real public figures (first-release values of the NBS Statistical
Communiqués on National Economic and Social Development, 2015-2019):
GDP growth 6.9, 6.7, 6.9, 6.6, 6.1 % and CPI inflation 1.4, 2.0, 1.6, 2.1, 2.9 %.
Every other value is SYNTHETIC: seeded random indicator scores, adjusted as little as possible
(least squares) so that the preset reproduces every score the paper prints - the four
dimensions in all years, the level-2 groups it names (宏观经济发展水平 2015 16.94, 区域宏观经济
2017 39.75, 企业经营及信用 2015-2019) and the indicators it names (区域房价增长率/GDP增长率 2017
8.95 and 2018 0.72, 资本利润率 2019 2.69, 金融案件执结率 2015-2019) - then inverted through the
preset's cuts. Matching those scores says nothing about Zibo's data: the paper's indicator
values were not published. The region is labelled "Zibo (synthetic)".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from finstab.monitor.systems import load_system
from finstab.monitor.systems.schema import IndicatorSystem
from finstab.samples.synthetic import invert_score

SEED = 20151231
REGION = "Zibo (synthetic)"
YEARS = (2015, 2016, 2017, 2018, 2019)
NBS = "real: NBS Statistical Communiqué {year} (first release)"
PUBLIC: dict[str, tuple[float, ...]] = {
    "gdp_growth": (6.9, 6.7, 6.9, 6.6, 6.1),
    "cpi": (1.4, 2.0, 1.6, 2.1, 2.9),
}
#: The paper's published dimension (level-1) scores, used only as the generator's targets.
TARGET_DIMENSION_SCORES = {
    "macro": (28.53, 55.79, 59.54, 49.01, 52.61),
    "regional": (53.27, 56.62, 49.90, 40.84, 28.70),
    "banking": (62.26, 74.35, 66.69, 53.11, 48.12),
    "environment": (48.02, 34.92, 39.23, 55.47, 80.20),
}
#: Level-2 scores the paper prints (section 三): node id -> {year: score}.
TARGET_GROUP_SCORES: dict[str, dict[int, float]] = {
    "macro_development": {2015: 16.94},
    "regional_macro": {2017: 39.75},
    "enterprise": dict(zip(YEARS, (51.54, 59.92, 55.48, 31.16, 21.07), strict=True)),
}
#: Indicator scores the paper prints: indicator id -> {year: score}.
TARGET_INDICATOR_SCORES: dict[str, dict[int, float]] = {
    "reg_house_price_to_gdp": {2017: 8.95, 2018: 0.72},
    "roe": {2019: 2.69},
    "case_closure_rate": dict(zip(YEARS, (20.75, 36.73, 51.04, 81.39, 97.84), strict=True)),
}
SYNTHETIC = f"synthetic: finstab.samples.zibo seed={SEED}"
#: Bounds for the synthetic indicator scores and the spread of their random start.
SCORE_BOUNDS = (0.5, 99.5)
PRIOR_SD = 12.0
#: Decimals kept in the synthetic values: enough that rounding moves no printed score.
DECIMALS = 4


def node_targets(year: int) -> dict[str, float]:
    """Every node score the paper prints for ``year`` (dimensions and level-2 groups)."""
    k = YEARS.index(year)
    out = {node: scores[k] for node, scores in TARGET_DIMENSION_SCORES.items()}
    out.update({node: by_year[year] for node, by_year in TARGET_GROUP_SCORES.items() if year in by_year})
    return out


def _solve_scores(system: IndicatorSystem, year: int, prior: np.ndarray, fixed: dict[int, float]) -> np.ndarray:
    """Indicator scores closest to ``prior`` that hit every printed node score exactly."""
    tree = system.tree
    omega = tree.node_weights()
    node_index = {n.id: r for r, n in enumerate(tree.nodes)}
    targets = node_targets(year)
    for node in list(targets):  # a node whose groups are all pinned is implied by them (to rounding)
        kids = [n.id for n in tree.nodes if n.parent == node]
        if kids and all(k in targets for k in kids) and node not in tree.indicator_parent:
            del targets[node]
    free = np.array([j for j in range(len(prior)) if j not in fixed])
    base = np.zeros(len(prior))
    for j, v in fixed.items():
        base[j] = v
    rows = np.array([omega[node_index[n]] for n in targets])
    rhs = np.array(list(targets.values())) - rows @ base
    a = rows[:, free]

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        d = x - prior[free]
        return float(d @ d), 2 * d

    res = minimize(objective, np.clip(prior[free], *SCORE_BOUNDS), jac=True, method="SLSQP",
                   bounds=[SCORE_BOUNDS] * len(free),
                   constraints=[{"type": "eq", "fun": lambda x: a @ x - rhs, "jac": lambda x: a}],
                   options={"ftol": 1e-14, "maxiter": 500})
    if not res.success or np.max(np.abs(a @ res.x - rhs)) > 1e-8:  # pragma: no cover - generator guard
        raise RuntimeError(f"Zibo sample {year}: printed scores not reachable ({res.message})")
    out = base.copy()
    out[free] = res.x
    return out


def make_zibo_sample(seed: int = SEED) -> pd.DataFrame:
    """Long table (region, period, indicator, value, source) for the Zibo preset."""
    system = load_system("zibo")
    tree = system.tree
    scores = tuple(system.scores)
    rng = np.random.default_rng(seed)
    dim_of = _dimension_of_indicators(system)
    ids = [ind.id for ind in tree.indicators]
    values = np.empty((len(YEARS), len(ids)))
    for k, year in enumerate(YEARS):
        fixed: dict[int, float] = {}
        for j, ind in enumerate(tree.indicators):
            if ind.id in PUBLIC:
                fixed[j] = float(ind.score(np.array([PUBLIC[ind.id][k]]), scores)[0])
            elif year in TARGET_INDICATOR_SCORES.get(ind.id, {}):
                fixed[j] = TARGET_INDICATOR_SCORES[ind.id][year]
        prior = np.array([TARGET_DIMENSION_SCORES[dim_of[i]][k] for i in ids]) + rng.normal(0, PRIOR_SD, len(ids))
        target = _solve_scores(system, year, prior, fixed)
        for j, ind in enumerate(tree.indicators):
            if ind.id in PUBLIC:
                values[k, j] = PUBLIC[ind.id][k]
            else:
                values[k, j] = np.round(invert_score(ind, np.array([target[j]]), scores, rng)[0], DECIMALS)
    rows = []
    for j, iid in enumerate(ids):
        sources = [NBS.format(year=y) for y in YEARS] if iid in PUBLIC else [SYNTHETIC] * len(YEARS)
        rows += [{"region": REGION, "period": y, "indicator": iid, "value": float(values[k, j]), "source": s}
                 for k, (y, s) in enumerate(zip(YEARS, sources, strict=True))]
    return pd.DataFrame(rows)


def _dimension_of_indicators(system: IndicatorSystem) -> dict[str, str]:
    tree = system.tree
    dims = [k for k, n in enumerate(tree.nodes) if n.level == 1]
    return {ind.id: tree.nodes[k].id for k in dims
            for j, ind in enumerate(tree.indicators) if tree.membership[k, j]}


if __name__ == "__main__":  # regenerate the shipped file
    from finstab.core.io import write_text
    from finstab.samples import sample_path

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    write_text(sample_path("zibo_sample.csv"), header + make_zibo_sample().to_csv(index=False))
