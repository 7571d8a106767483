"""Fund sizing from a CCA table: tiers by relative size and Jarque-Bera on log market values.

These tests pin down two readings of the CCA paper (seed 004) that a mutant could silently
change: provinces are tiered by the fund relative to the market value (not by the absolute
fund), and lognormality is tested on the logarithms of the market values (not the raw values).
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from finstab.fund.sizing import size_funds

YEARS = list(range(2008, 2016))
# Six provinces: the biggest markets are the calmest, so ranking by the absolute fund
# reverses the ranking by relative size.
PROVINCES = {"P1": (1e6, 0.01), "P2": (3e5, 0.02), "P3": (2e4, 0.05),
             "P4": (1e4, 0.08), "P5": (2e3, 0.12), "P6": (1e3, 0.20)}


def cca_frame() -> pd.DataFrame:
    rows = []
    for prov, (size, vol) in PROVINCES.items():
        changes = 0.03 + vol * np.array([1, -1, 1, 1, -1, -1, 1])  # deterministic, sd grows with vol
        path = size * np.exp(np.concatenate([[0.0], np.cumsum(changes)]))
        rows += [{"province": prov, "sector": "financial", "year": y, "market_value": float(v)}
                 for y, v in zip(YEARS, path, strict=True)]
    return pd.DataFrame(rows)


def tertiles(values: np.ndarray) -> np.ndarray:
    """1 + floor(3 (rank - 1) / N), equal values sharing the lower rank."""
    ranks = stats.rankdata(values, method="min")
    return 1 + np.floor(3 * (ranks - 1) / len(values)).astype(int)


def test_tiers_follow_relative_size_not_the_absolute_fund():
    res = size_funds(cca_frame())
    last = res.table[res.table["year"] == YEARS[-1]].set_index("province").loc[list(PROVINCES)]
    relative = (last["fund"] / last["market_value"]).to_numpy()  # recomputed, not read back
    np.testing.assert_allclose(last["relative"], relative)
    np.testing.assert_array_equal(last["tier"].to_numpy(), tertiles(relative))
    np.testing.assert_array_equal(last["tier"].to_numpy(), [1, 1, 2, 2, 3, 3])
    # the absolute fund ranks the provinces the other way round
    assert np.all(np.diff(last["fund"].to_numpy()) < 0)
    assert not np.array_equal(tertiles(last["fund"].to_numpy()), last["tier"].to_numpy())


def test_jarque_bera_runs_on_log_market_values():
    cca = cca_frame()
    # make the log series clearly non-normal in a different way from the raw series
    cca.loc[(cca["province"] == "P6") & (cca["year"] == YEARS[-1]), "market_value"] *= 40.0
    res = size_funds(cca)
    normality = res.normality
    keys = [c for c in ("province", "sector") if c in normality.columns]
    assert keys, "the normality table names the series it tested"
    checked = 0
    for _, row in normality.iterrows():
        mask = np.logical_and.reduce([cca[k] == row[k] for k in keys])
        series = cca.loc[mask].sort_values("year")["market_value"].to_numpy()
        on_logs = stats.jarque_bera(np.log(series))
        on_raw = stats.jarque_bera(series)
        assert row["jb_stat"] == pytest.approx(on_logs.statistic, rel=1e-9)
        assert row["p_value"] == pytest.approx(on_logs.pvalue, rel=1e-9)
        assert abs(on_logs.statistic - on_raw.statistic) > 1e-6 * max(1.0, on_logs.statistic)
        checked += 1
    assert checked >= len(PROVINCES) if "province" in keys else checked >= 1
