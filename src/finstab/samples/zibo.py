"""Sample panel for the Zibo preset, 2015-2019.

Two national series are real public figures (first-release values of the NBS Statistical
Communiqués on National Economic and Social Development, 2015-2019):
GDP growth 6.9, 6.7, 6.9, 6.6, 6.1 % and CPI inflation 1.4, 2.0, 1.6, 2.1, 2.9 %.
Every other value is SYNTHETIC: drawn by a seeded generator so that each dimension scores
near the level the paper published for that year, then inverted through the preset's cuts.
The region is labelled "Zibo (synthetic)" so no output can pass it off as real.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finstab.monitor.systems import load_system
from finstab.samples.synthetic import invert_score

SEED = 20151231
REGION = "Zibo (synthetic)"
YEARS = (2015, 2016, 2017, 2018, 2019)
NBS = "real: NBS Statistical Communiqué {year} (first release)"
PUBLIC: dict[str, tuple[float, ...]] = {
    "gdp_growth": (6.9, 6.7, 6.9, 6.6, 6.1),
    "cpi": (1.4, 2.0, 1.6, 2.1, 2.9),
}
#: The paper's published dimension scores, used only as the generator's targets.
TARGET_DIMENSION_SCORES = {
    "macro": (28.53, 55.79, 59.54, 49.01, 52.61),
    "regional": (53.27, 56.62, 49.90, 40.84, 28.70),
    "banking": (62.26, 74.35, 66.69, 53.11, 48.12),
    "environment": (48.02, 34.92, 39.23, 55.47, 80.20),
}
SYNTHETIC = f"synthetic: finstab.samples.zibo seed={SEED}"


def make_zibo_sample(seed: int = SEED) -> pd.DataFrame:
    """Long table (region, period, indicator, value, source) for the Zibo preset."""
    system = load_system("zibo")
    rng = np.random.default_rng(seed)
    rows = []
    dim_of = _dimension_of_indicators(system)
    for ind in system.tree.indicators:
        if ind.id in PUBLIC:
            values = np.array(PUBLIC[ind.id])
            sources = [NBS.format(year=y) for y in YEARS]
        else:
            target = np.array(TARGET_DIMENSION_SCORES[dim_of[ind.id]])
            target = np.clip(target + rng.normal(0, 12, len(YEARS)), 1, 99)
            values = np.round(invert_score(ind, target, tuple(system.scores), rng), 2)
            sources = [SYNTHETIC] * len(YEARS)
        rows += [{"region": REGION, "period": y, "indicator": ind.id, "value": float(v),
                  "source": s} for y, v, s in zip(YEARS, values, sources, strict=True)]
    return pd.DataFrame(rows)


def _dimension_of_indicators(system) -> dict[str, str]:
    tree = system.tree
    dims = [k for k, n in enumerate(tree.nodes) if n.level == 1]
    return {ind.id: tree.nodes[k].id for k in dims
            for j, ind in enumerate(tree.indicators) if tree.membership[k, j]}


if __name__ == "__main__":  # regenerate the shipped file
    from finstab.core.io import write_text
    from finstab.samples import sample_path

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    write_text(sample_path("zibo_sample.csv"), header + make_zibo_sample().to_csv(index=False))
