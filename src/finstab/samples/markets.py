"""SYNTHETIC cross-market sample: daily prices of 10 markets (8 domestic, 2 foreign) over 1,501
business days, drawn from a VAR(1) with a crisis regime, and 12 quarterly snapshots of a
multi-layer exposure network (banks, market and sector nodes, a foreign block). Seeded draws
at plausible magnitudes; nothing here is a real price or exposure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finstab.samples import sample_path

SEED = 15_2024
SYNTHETIC = f"synthetic: finstab.samples.markets seed={SEED}"
N_DAYS = 1_500  # returns; prices have one more row
START = "2019-01-02"
#: rows (of the returns) in the crisis regime
CRISIS = (820, 1_060)

#: market id -> (Chinese, English) display names
MARKET_LABELS: dict[str, tuple[str, str]] = {
    "equity": ("A股", "CN equity"), "bond": ("国债", "CN govt bonds"), "credit": ("信用债", "corporate credit"),
    "lgfv": ("城投债", "LGFV bonds"), "property": ("地产股", "property stocks"), "money": ("货币市场", "money market"),
    "commodity": ("大宗商品", "commodities"), "fx": ("人民币汇率", "CNY exchange rate"),
    "hk_equity": ("港股", "HK equity"), "us_equity": ("美股", "US equity"),
}
MARKETS = list(MARKET_LABELS)
FOREIGN_MARKETS = ("hk_equity", "us_equity")
VOL = np.array([1.3, 0.15, 0.25, 0.35, 2.0, 0.05, 1.1, 0.3, 1.4, 1.1]) / 100  # daily, calm
# equities and property move together, bonds with bonds, FX against equities
_BLOCK = {"equity": 0, "property": 0, "hk_equity": 0, "us_equity": 0, "commodity": 0,
          "bond": 1, "credit": 1, "lgfv": 1, "money": 1, "fx": 2}


def _regime(rng: np.random.Generator, crisis: bool) -> tuple[np.ndarray, np.ndarray]:
    """(Phi, Sigma) of the calm or the crisis regime."""
    k = len(MARKETS)
    blocks = np.array([_BLOCK[m] for m in MARKETS])
    same = blocks[:, None] == blocks[None, :]
    rho = np.where(same, 0.65 if crisis else 0.35, 0.35 if crisis else 0.05)
    fx = MARKETS.index("fx")
    rho[fx, :] = rho[:, fx] = -0.3 if crisis else -0.1
    np.fill_diagonal(rho, 1.0)
    w, v = np.linalg.eigh(rho)
    rho = v @ np.diag(np.maximum(w, 0.05)) @ v.T
    d = np.sqrt(np.diag(rho))
    rho = rho / d[:, None] / d[None, :]
    vol = VOL * (2.2 if crisis else 1.0)
    sigma = rho * vol[:, None] * vol[None, :]
    phi = np.diag(rng.uniform(0.0, 0.08, k)) + rng.normal(0, 0.015, (k, k)) * (1 - np.eye(k))
    if crisis:  # property and US stress lead everything else
        i = {m: n for n, m in enumerate(MARKETS)}
        scale = VOL[:, None] / VOL[None, :]
        for src, dst, b in [("property", "credit", 0.12), ("property", "lgfv", 0.15), ("property", "equity", 0.12),
                            ("property", "bond", -0.08), ("us_equity", "hk_equity", 0.3),
                            ("us_equity", "equity", 0.12), ("hk_equity", "equity", 0.1), ("lgfv", "credit", 0.15),
                            ("equity", "property", 0.08), ("commodity", "equity", 0.06), ("fx", "hk_equity", -0.1)]:
            phi[i[dst], i[src]] = b * scale[i[dst], i[src]]
    return phi, sigma


def make_prices(seed: int = SEED) -> pd.DataFrame:
    """Daily close prices (date, one column per market, source) of the crisis-regime VAR."""
    rng = np.random.default_rng(seed)
    k = len(MARKETS)
    calm, crisis = _regime(rng, False), _regime(rng, True)
    chol = {False: np.linalg.cholesky(calm[1]), True: np.linalg.cholesky(crisis[1])}
    r = np.zeros((N_DAYS, k))
    prev = np.zeros(k)
    dof = 6.0
    for t in range(N_DAYS):
        stressed = CRISIS[0] <= t < CRISIS[1]
        phi = crisis[0] if stressed else calm[0]
        z = rng.standard_t(dof, k) * np.sqrt((dof - 2) / dof)
        prev = phi @ prev + chol[stressed] @ z
        r[t] = prev
    r += np.where(np.arange(k) == MARKETS.index("money"), 0.0001, 0.0002)
    start = np.array([3800, 100, 100, 100, 1000, 100, 250, 6.9, 26000, 2500.0])
    prices = start * np.exp(np.vstack([np.zeros((1, k)), np.cumsum(r, axis=0)]))
    dates = pd.bdate_range(START, periods=N_DAYS + 1)
    df = pd.DataFrame(prices.round(4), columns=MARKETS)
    df.insert(0, "date", dates.strftime("%Y-%m-%d"))
    df["source"] = SYNTHETIC
    return df


def market_prices() -> pd.DataFrame:
    """The shipped SYNTHETIC prices (``markets/prices.csv``), indexed by date, with ``source``."""
    df = pd.read_csv(sample_path("markets/prices.csv"), comment="#", parse_dates=["date"])
    return df.set_index("date")


def market_returns() -> pd.DataFrame:
    """Daily log returns (1,500 x 10) of the shipped SYNTHETIC prices, indexed by date.

    Examples
    --------
    >>> r = market_returns()
    >>> r.shape, r.attrs["source"].startswith("synthetic")
    ((1500, 10), True)
    """
    p = market_prices()
    r = np.log(p[MARKETS]).diff().iloc[1:]
    r.attrs["source"] = SYNTHETIC
    r.attrs["note"] = SYNTHETIC
    return r


def crisis_dates() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date of the crisis regime in :func:`market_returns`."""
    idx = market_returns().index
    return idx[CRISIS[0]], idx[CRISIS[1] - 1]


def market_ohlc(seed: int = SEED, days: int = 400) -> pd.DataFrame:
    """SYNTHETIC daily open, high, low, close of the first ``days`` rows (long: date, market, ...).

    Generated on the fly (not shipped) to exercise range-based volatilities.
    """
    rng = np.random.default_rng(seed + 1)
    p = market_prices()[MARKETS].iloc[: days + 1]
    rows = []
    for m in MARKETS:
        close = p[m].to_numpy()
        sd = np.abs(np.diff(np.log(close))).mean() + 1e-4
        open_ = close[:-1] * np.exp(rng.normal(0, sd / 4, days))
        c = close[1:]
        high = np.maximum(open_, c) * np.exp(np.abs(rng.normal(0, sd / 2, days)))
        low = np.minimum(open_, c) * np.exp(-np.abs(rng.normal(0, sd / 2, days)))
        rows.append(pd.DataFrame({"date": p.index[1:], "market": m, "open": open_, "high": high, "low": low,
                                  "close": c}))
    out = pd.concat(rows, ignore_index=True)
    out["source"] = SYNTHETIC
    return out


# ----------------------------------------------------------------------------------------------
# quarterly multi-layer exposure snapshots
# ----------------------------------------------------------------------------------------------
QUARTERS = [f"{y}Q{q}" for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
REGIONS = ("BJ", "SH", "GD", "ZJ", "GZ", "TJ")
_NATIONAL = "CN"


def make_snapshots(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) with a ``quarter`` column: 16 banks, property and LGFV nodes per region,
    national bond, equity, FX and shadow-credit nodes, and two foreign nodes (100 million yuan)."""
    rng = np.random.default_rng(seed + 2)
    banks = [f"BK{j:02d}" for j in range(1, 17)]
    bank_region = ["BJ"] * 4 + [REGIONS[1 + j % 5] for j in range(12)]
    bank_size = np.r_[rng.lognormal(10.0, 0.2, 4), rng.lognormal(8.0, 0.4, 12)]
    markets = ([(f"property:{r}", r, "property") for r in REGIONS] + [(f"lgfv:{r}", r, "lgfv") for r in REGIONS]
               + [(m, _NATIONAL, m) for m in ("bond", "equity", "fx", "shadow_credit")])
    foreign = [("foreign:HK_banks", "HK", "bank"), ("foreign:US_investors", "US", "bond")]
    names = banks + [m[0] for m in markets] + [f[0] for f in foreign]
    kind = ["bank"] * len(banks) + ["market"] * len(markets) + ["foreign"] * len(foreign)
    region = bank_region + [m[1] for m in markets] + [f[1] for f in foreign]
    market = ["bank"] * len(banks) + [m[2] for m in markets] + [f[2] for f in foreign]
    idx = {n: k for k, n in enumerate(names)}
    base: list[tuple[str, str, float, str, str]] = []
    for a in range(len(banks)):  # interbank: dense among the big four, periphery to core
        for b in range(len(banks)):
            if a != b and ((a < 4 and b < 4) or (a < 4) != (b < 4)) and rng.random() < 0.6:
                base.append((banks[a], banks[b], 0.03 * min(bank_size[a], bank_size[b]) * rng.uniform(0.5, 1.5),
                             "interbank", "domestic"))
    for a, bank in enumerate(banks):
        s = bank_size[a]
        home = bank_region[a]
        targets = REGIONS if a < 4 else (home,)
        for r in targets:
            base.append((bank, f"property:{r}", 0.04 * s / len(targets) * rng.uniform(0.6, 1.4), "property",
                         "domestic"))
            base.append((bank, f"lgfv:{r}", (0.08 if r in ("GZ", "TJ") else 0.04) * s / len(targets)
                         * rng.uniform(0.6, 1.4), "lgfv", "domestic"))
        base.append((bank, "bond", 0.10 * s * rng.uniform(0.7, 1.3), "bond", "domestic"))
        base.append((bank, "shadow_credit", 0.03 * s * rng.uniform(0.5, 1.5), "shadow_credit", "domestic"))
        base.append((bank, "equity", 0.01 * s * rng.uniform(0.5, 1.5), "equity", "domestic"))
        base.append((bank, "fx", 0.01 * s * rng.uniform(0.5, 1.5), "fx", "fx"))
        base.append(("foreign:HK_banks", bank, (0.03 if a < 4 else 0.015) * s * rng.uniform(0.5, 1.5),
                     "cross_border", "fx"))
        if a < 8:
            base.append((bank, "foreign:HK_banks", 0.01 * s * rng.uniform(0.5, 1.5), "cross_border", "fx"))
    shadow_total = sum(e[2] for e in base if e[1] == "shadow_credit")
    for r in REGIONS:
        base.append(("shadow_credit", f"property:{r}", 0.10 * shadow_total * rng.uniform(0.5, 1.5), "shadow_credit",
                     "domestic"))
        base.append(("shadow_credit", f"lgfv:{r}", 0.05 * shadow_total * rng.uniform(0.5, 1.5), "shadow_credit",
                     "domestic"))
    base.append(("foreign:US_investors", "bond", 0.05 * sum(e[2] for e in base if e[1] == "bond"), "cross_border",
                 "domestic"))
    base.append(("foreign:US_investors", "property:GD", 300.0, "cross_border", "fx"))
    base.append(("foreign:US_investors", "property:SH", 200.0, "cross_border", "fx"))
    edges0 = pd.DataFrame(base, columns=["lender", "borrower", "amount", "layer", "currency"])
    equity_ratio = np.array([0.08 if k == "bank" else 0.3 if k == "foreign" else 0.15 for k in kind])
    node_rows, edge_rows = [], []
    for t, quarter in enumerate(QUARTERS):
        growth = 1.02 ** t * rng.lognormal(0, 0.03, len(edges0))
        amount = edges0["amount"].to_numpy() * growth
        if t >= 6:  # 2022Q3: GZ LGFVs borrow heavily from banks
            amount[(edges0["borrower"] == "lgfv:GZ").to_numpy()] *= 1.8
        if t >= 8:  # 2023Q1: cross-border funding of BK05 doubles
            amount[((edges0["lender"] == "foreign:HK_banks") & (edges0["borrower"] == "BK05")).to_numpy()] *= 2.2
        li = edges0["lender"].map(idx).to_numpy()
        bi = edges0["borrower"].map(idx).to_numpy()
        claims = np.bincount(li, weights=amount, minlength=len(names))
        owed = np.bincount(bi, weights=amount, minlength=len(names))
        ratio = equity_ratio.copy()
        prop = np.array([m == "property" for m in market])
        ratio[prop] = 0.15 - 0.009 * t  # developers' equity thins out quarter after quarter
        bank = np.array(kind) == "bank"
        total = np.where(bank, np.maximum(bank_size * 1.02**t, 1.05 * claims[: len(banks)]).tolist()
                         + [0.0] * (len(names) - len(banks)), 0.0)
        other = np.maximum(owed / (1 - ratio - 0.25), 1.05 * claims)  # 25 % owed outside the network
        total = np.where(bank, total, other)
        total[idx["foreign:HK_banks"]] += 20_000.0
        total[idx["foreign:US_investors"]] += 50_000.0
        ext_assets = total - claims
        equity = np.minimum(ratio * total, total - owed)
        ext_liab = total - owed - equity
        node_rows.append(pd.DataFrame({"quarter": quarter, "node": names, "kind": kind, "region": region,
                                       "market": market, "equity": equity.round(3),
                                       "external_assets": ext_assets.round(3),
                                       "external_liabilities": ext_liab.round(3)}))
        edge_rows.append(edges0.assign(quarter=quarter, amount=amount.round(3))[
            ["quarter", "lender", "borrower", "amount", "layer", "currency"]])
    nodes = pd.concat(node_rows, ignore_index=True).assign(source=SYNTHETIC)
    edges = pd.concat(edge_rows, ignore_index=True).assign(source=SYNTHETIC)
    return nodes, edges


def exposure_snapshots() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped SYNTHETIC quarterly snapshots (``markets/nodes.csv``, ``markets/edges.csv``).

    Examples
    --------
    >>> nodes, edges = exposure_snapshots()
    >>> nodes["quarter"].nunique(), sorted(nodes["kind"].unique())
    (12, ['bank', 'foreign', 'market'])
    """
    read = lambda name: pd.read_csv(sample_path(f"markets/{name}.csv"), comment="#")  # noqa: E731
    return read("nodes"), read("edges")


def write_samples() -> None:
    """Regenerate the shipped files."""
    from finstab.core.io import write_text

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    write_text(sample_path("markets/prices.csv"), header + make_prices().to_csv(index=False))
    nodes, edges = make_snapshots()
    write_text(sample_path("markets/nodes.csv"), header + nodes.to_csv(index=False))
    write_text(sample_path("markets/edges.csv"), header + edges.to_csv(index=False))


if __name__ == "__main__":  # regenerate the shipped files
    write_samples()
