"""SYNTHETIC samples for the Guangxi AHP-FCE preset: ten experts' votes and indicator values.

The paper's expert votes and indicator values were not published; these are drawn by a
seeded generator and labelled synthetic in the files and in every output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finstab.monitor.systems import load_system
from finstab.samples.synthetic import invert_score

SEED = 3_2020
N_EXPERTS = 10
REGION = "Guangxi (synthetic)"
YEARS = tuple(range(2015, 2021))
SYNTHETIC = f"synthetic: finstab.samples.guangxi seed={SEED}"


def make_votes(seed: int = SEED) -> pd.DataFrame:
    """One row per indicator: how many of 10 experts put it in each grade."""
    system = load_system("guangxi")
    rng = np.random.default_rng(seed)
    keys = [g.key for g in system.grades]
    lean = np.array([0.05, 0.15, 0.45, 0.35])  # the paper's evaluation leant to 基本安全
    rows = []
    for ind in system.tree.indicators:
        counts = rng.multinomial(N_EXPERTS, rng.dirichlet(lean * 12))
        rows.append({"indicator": ind.id, **dict(zip(keys, counts.tolist(), strict=True)),
                     "source": SYNTHETIC})
    return pd.DataFrame(rows)


def make_values(seed: int = SEED) -> pd.DataFrame:
    """Long table of indicator values 2015-2020 whose scores drift from safe toward risk."""
    system = load_system("guangxi")
    rng = np.random.default_rng(seed + 1)
    trend = np.linspace(72, 52, len(YEARS))
    rows = []
    for ind in system.tree.indicators:
        target = np.clip(trend + rng.normal(0, 10, len(YEARS)), 2, 98)
        values = np.round(invert_score(ind, target, tuple(system.scores), rng), 2)
        rows += [{"region": REGION, "period": y, "indicator": ind.id, "value": float(v),
                  "source": SYNTHETIC} for y, v in zip(YEARS, values, strict=True)]
    return pd.DataFrame(rows)


if __name__ == "__main__":  # regenerate the shipped files
    from finstab.core.io import write_text
    from finstab.samples import sample_path

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    write_text(sample_path("guangxi_votes.csv"), header + make_votes().to_csv(index=False))
    write_text(sample_path("guangxi_values.csv"), header + make_values().to_csv(index=False))
