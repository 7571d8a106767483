"""SYNTHETIC sample for contingent-claims fund sizing: 31 provinces x 4 sectors x 2008-2020.

Book balance sheets (100 million yuan) and national market inputs are drawn by a seeded
generator at plausible national magnitudes (deposits, local-government and household
liabilities, listed market capitalisation of the order seen in China's 2008-2020
statistics). They are not real figures: the paper's Wind data are proprietary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finstab.configs import provinces
from finstab.samples import sample_path

SEED = 4_2020
YEARS = np.arange(2008, 2021)
SYNTHETIC = f"synthetic: finstab.samples.cca seed={SEED}"
# National totals in 2008 and yearly log growth (rough orders of magnitude, 100 million yuan)
NATIONAL_2008 = {"deposits": 470_000, "gov_liabilities": 60_000, "corp_current": 150_000,
                 "hh_liabilities": 57_000, "market_cap": 120_000}
GROWTH = {"deposits": 0.12, "gov_liabilities": 0.14, "corp_current": 0.10,
          "hh_liabilities": 0.18, "market_cap": 0.12}
# Province-level noise of yearly growth: drives each sector's fund size
NOISE = {"deposits": 0.006, "gov_liabilities": 0.12, "corp_current": 0.04,
         "hh_liabilities": 0.08, "market_cap": 0.20}
LARGE = {"GD": 3.0, "JS": 2.6, "ZJ": 2.2, "SD": 2.0, "BJ": 2.2, "SH": 2.0, "HA": 1.4, "SC": 1.4}


def _province_series(rng: np.random.Generator, size: np.ndarray, key: str) -> np.ndarray:
    """(provinces x years) positive series with common growth and province noise."""
    share = size / size.sum()
    growth = GROWTH[key] + rng.normal(0, NOISE[key], (len(size), len(YEARS) - 1))
    path = np.concatenate([np.zeros((len(size), 1)), np.cumsum(growth, axis=1)], axis=1)
    return NATIONAL_2008[key] * share[:, None] * np.exp(path)


def make_balance_sheets(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prov = provinces()
    size = rng.lognormal(0, 0.5, len(prov)) * prov["code"].map(LARGE).fillna(1.0).to_numpy()
    deposits = _province_series(rng, size, "deposits")
    gov = _province_series(rng, size, "gov_liabilities")
    corp = _province_series(rng, size, "corp_current")
    hh = _province_series(rng, size, "hh_liabilities")
    cap = _province_series(rng, size, "market_cap")
    # balance-sheet ratios are a province trait with small yearly jitter
    gov_eq, fin_eq = rng.uniform(1.2, 1.8, len(prov)), rng.uniform(0.07, 0.10, len(prov))
    noncur, hh_nw = rng.uniform(0.5, 0.9, len(prov)), rng.uniform(5, 8, len(prov))
    jitter = lambda: rng.normal(1, 0.01)  # noqa: E731
    rows = []
    for p, code in enumerate(prov["code"]):
        for t, year in enumerate(YEARS):
            base = {"province": code, "year": int(year)}
            rows.append(base | {"sector": "government", "total_liabilities": gov[p, t],
                                "equity_book": gov[p, t] * gov_eq[p] * jitter()})
            rows.append(base | {"sector": "financial", "deposits": deposits[p, t],
                                "equity_book": deposits[p, t] * fin_eq[p] * jitter()})
            rows.append(base | {"sector": "corporate", "current_liabilities": corp[p, t],
                                "noncurrent_liabilities": corp[p, t] * noncur[p] * jitter(),
                                "market_cap": cap[p, t]})
            rows.append(base | {"sector": "household", "total_liabilities": hh[p, t],
                                "net_worth": hh[p, t] * hh_nw[p] * jitter()})
    df = pd.DataFrame(rows).round(2)
    df["source"] = SYNTHETIC
    return df


def make_market(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    n = len(YEARS)
    return pd.DataFrame({
        "year": YEARS,
        "risk_free": np.round(rng.uniform(0.022, 0.036, n), 4),
        "treasury_market_to_book": np.round(rng.uniform(0.97, 1.04, n), 4),
        "treasury_repo_vol": np.round(rng.uniform(0.25, 0.6, n), 4),
        "financials_market_to_book": np.round(np.linspace(2.4, 0.75, n) * rng.uniform(0.98, 1.02, n), 4),
        "financials_equity_vol": np.round(rng.uniform(0.18, 0.45, n), 4),
        "corporate_equity_vol": np.round(rng.uniform(0.22, 0.55, n), 4),
        "household_asset_vol": np.round(rng.uniform(0.08, 0.16, n), 4),
        "mortgage_rate": np.round(rng.uniform(0.045, 0.065, n), 4),
        "household_discount_rate": np.round(rng.uniform(0.035, 0.05, n), 4),
        "household_loan_term": np.round(rng.uniform(5, 8, n), 2),
        "source": SYNTHETIC,
    })


if __name__ == "__main__":  # regenerate the shipped files
    from finstab.core.io import write_text

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    write_text(sample_path("cca/balance_sheets.csv"), header + make_balance_sheets().to_csv(index=False))
    write_text(sample_path("cca/market.csv"), header + make_market().to_csv(index=False))
