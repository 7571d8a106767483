"""Sector conventions (YAML) and the compiler from book balance sheets to CCA balance sheets."""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import ndtr

from finstab.configs import config_path
from finstab.core.config import load_model
from finstab.core.errors import ConfigError, DataError
from finstab.core.io import describe_row
from finstab.core.validate import require_columns
from finstab.core.warnings import ConvergenceWarning, warn
from finstab.fund.merton import CONVERGED, SHOW, merton_solve

KEYS = ["province", "year", "sector"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EquitySpec(_Strict):
    field: str
    multiplier: str | None = None


class DebtDiscountSpec(_Strict):
    book: str
    loan_rate: str
    discount_rate: str
    term: str


class SectorConvention(_Strict):
    id: str
    name_zh: str
    name_en: str
    method: Literal["merton", "discounted_debt"] = "merton"
    equity: EquitySpec
    equity_vol: str | None = None
    asset_vol: str | None = None
    default_point: dict[str, float] = Field(min_length=1)
    debt_discount: DebtDiscountSpec | None = None
    fund_base: Literal["assets", "liabilities"]
    source: str = ""

    @model_validator(mode="after")
    def _check_method(self) -> SectorConvention:
        if self.method == "merton" and self.equity_vol is None:
            raise ValueError("merton sectors need equity_vol")
        if self.method == "discounted_debt" and (self.asset_vol is None or self.debt_discount is None):
            raise ValueError("discounted_debt sectors need asset_vol and debt_discount")
        return self

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def fields(self) -> set[str]:
        out = {self.equity.field, *self.default_point}
        out |= {f for f in (self.equity.multiplier, self.equity_vol, self.asset_vol) if f}
        if self.debt_discount:
            out |= set(self.debt_discount.model_dump().values())
        return out


class SectorConventions(_Strict):
    risk_free: str = "risk_free"
    horizon: float = Field(default=1.0, gt=0)
    sectors: list[SectorConvention] = Field(min_length=1)

    def sector(self, sid: str) -> SectorConvention:
        for s in self.sectors:
            if s.id == sid:
                return s
        raise ConfigError(f"unknown sector {sid!r}; have {[s.id for s in self.sectors]}",
                          where="sector")


def load_conventions(path: str | Path | None = None) -> SectorConventions:
    """The shipped conventions (read once per process), or a user YAML file."""
    return load_model(SectorConventions, path) if path is not None else _shipped_conventions()


@cache
def _shipped_conventions() -> SectorConventions:
    return load_model(SectorConventions, config_path("cca_sectors.yaml"))


def _column(frame: pd.DataFrame, name: str, source: str) -> np.ndarray:
    if name not in frame.columns:
        raise DataError(f"missing column {name!r}", where=source)
    col = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    if np.isnan(col).any():
        r = frame.iloc[int(np.flatnonzero(np.isnan(col))[0])]
        raise DataError(f"column {name!r} is empty or not a number at "
                        f"({r['province']}, {r['year']}, {r['sector']})", where=source)
    return col


def compile_cca(balance_sheets: pd.DataFrame, market: pd.DataFrame,
                conventions: SectorConventions | None = None) -> pd.DataFrame:
    """Contingent-claims balance sheet per (province, year, sector).

    Parameters
    ----------
    balance_sheets
        Book values per province, year and sector (columns named by the conventions).
    market
        Market inputs per year (risk-free rate, market/book ratios, volatilities, ...).
    conventions
        Sector conventions; the shipped ones by default.

    Returns
    -------
    pandas.DataFrame
        Keys plus equity, equity_vol, default_point, asset_value, asset_vol, debt_value,
        distance_to_default, default_probability, ``market_value`` (the value S the fund
        covers: assets for the financial sector, liabilities otherwise) and ``converged``
        (False where the Merton solve missed its tolerance; always True for closed forms).
        Unconverged rows raise one ConvergenceWarning naming how many and the first few.

    Examples
    --------
    >>> from finstab.core.io import read_table
    >>> from finstab.samples import sample_path
    >>> cca = compile_cca(read_table(sample_path("cca/balance_sheets.csv")),
    ...                   read_table(sample_path("cca/market.csv")))
    >>> bool(cca["converged"].all()), sorted(cca["sector"].unique())[:2]
    (True, ['corporate', 'financial'])
    """
    conv = conventions or load_conventions()
    bs_src = balance_sheets.attrs.get("source", "balance sheets")
    mk_src = market.attrs.get("source", "market inputs")
    require_columns(balance_sheets.columns, KEYS, bs_src)
    require_columns(market.columns, ["year", conv.risk_free], mk_src)
    if market["year"].duplicated().any():
        raise DataError(f"year {market['year'][market['year'].duplicated()].iloc[0]} appears twice",
                        where=mk_src)
    dup = balance_sheets.duplicated(KEYS)
    if dup.any():
        r = balance_sheets[dup].iloc[0]
        raise DataError(f"duplicate row ({r['province']}, {r['year']}, {r['sector']})", where=bs_src)
    missing_years = sorted(set(balance_sheets["year"]) - set(market["year"]))
    if missing_years:
        raise DataError(f"no market inputs for years {missing_years}", where=mk_src)
    unknown = sorted(set(balance_sheets["sector"]) - {s.id for s in conv.sectors})
    if unknown:
        raise DataError(f"sectors {unknown} have no convention", where=bs_src)
    check_plausible(market, conv)
    # every year has market inputs (checked above): the inner join keeps every balance-sheet row
    merged = balance_sheets.merge(market, on="year", suffixes=("", "_market"))
    merged.attrs["source"] = f"{bs_src} + {mk_src}"
    parts = [_compile_sector(merged[merged["sector"] == s.id], s, conv) for s in conv.sectors
             if (merged["sector"] == s.id).any()]
    out = pd.concat(parts).sort_values(KEYS, ignore_index=True)
    bad = out.loc[~out["converged"], KEYS]
    if len(bad):
        first = [f"({p}, {y}, {s})" for p, y, s in bad.head(SHOW).to_numpy().tolist()]
        more = f" and {len(bad) - len(first):,} more" if len(bad) > len(first) else ""
        warn(f"CCA: {len(bad):,} of {len(out):,} Merton balance sheets did not converge (relative "
             f"residual >= {CONVERGED:g} or an unreliable derived value): {', '.join(first)}{more}; "
             "column 'converged' is False for them", ConvergenceWarning)
    return out


def _compile_sector(rows: pd.DataFrame, sector: SectorConvention, conv: SectorConventions
                    ) -> pd.DataFrame:
    src = rows.attrs["source"]  # set by compile_cca
    col = lambda name: _column(rows, name, src)  # noqa: E731
    equity = col(sector.equity.field)
    if sector.equity.multiplier:
        equity = equity * col(sector.equity.multiplier)
    default_point = sum(w * col(f) for f, w in sector.default_point.items())
    r, t = col(conv.risk_free), np.full(len(rows), conv.horizon)
    labels = [f"({p}, {y}, {sector.id})" for p, y in rows[["province", "year"]].to_numpy().tolist()]
    out = rows[KEYS].reset_index(drop=True)
    if sector.method == "merton":
        with warnings.catch_warnings():  # compile_cca warns once for every sector
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = merton_solve(equity, col(sector.equity_vol), default_point, r, t, labels=labels)
        asset, vol, debt = res.asset_value, res.asset_vol, res.debt_value
        equity_vol, dd, converged = res.equity_vol, res.distance_to_default, res.converged
    else:
        dd_spec = sector.debt_discount
        term = col(dd_spec.term)
        debt = col(dd_spec.book) * ((1 + col(dd_spec.loan_rate)) / (1 + col(dd_spec.discount_rate))) ** term
        asset, vol = equity + debt, col(sector.asset_vol)
        equity_vol = np.full(len(rows), np.nan)
        dd = (np.log(asset / default_point) + (r - 0.5 * vol**2) * t) / (vol * np.sqrt(t))
        converged = np.ones(len(rows), dtype=bool)
    out = out.assign(equity=equity, equity_vol=equity_vol, default_point=default_point,
                     asset_value=asset, asset_vol=vol, debt_value=debt, distance_to_default=dd,
                     default_probability=ndtr(-dd),
                     market_value=asset if sector.fund_base == "assets" else debt, converged=converged)
    return out


#: plausible range of a continuously compounded risk-free rate per year (decimals)
RATE_RANGE = (-0.05, 0.30)


def check_plausible(market: pd.DataFrame, conv: SectorConventions) -> None:
    """Refuse market inputs no economy shows: a risk-free rate outside -5 %..30 % (often a percentage
    typed where a decimal is expected) or a loan term that is not a positive number of years."""
    lo, hi = RATE_RANGE
    checks = [(conv.risk_free, lambda v: (v < lo) | (v > hi),
               f"a continuously compounded rate per year between {lo:g} and {hi:g} (0.03 = 3 %)")]
    checks += [(s.debt_discount.term, lambda v: ~(v > 0), "a loan term of more than 0 years")
               for s in conv.sectors if s.debt_discount is not None]
    for column, bad, expected in checks:
        if column not in market:
            continue
        values = pd.to_numeric(market[column], errors="coerce").to_numpy(dtype=float)
        wrong = np.flatnonzero(bad(values))
        if wrong.size:
            k = int(wrong[0])
            raise DataError(f"column {column}, year {market['year'].iloc[k]}: {values[k]:g}; expected {expected}",
                            where=describe_row(market, k))
