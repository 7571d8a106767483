"""finstab.fund.sizing on a hand-made CCA table: every number recomputed here with plain loops.

Five provinces x two sectors x twelve years of market values built from known log changes;
moments by hand (expanding and rolling windows), funds from scipy.stats.lognorm, tiers by
hand tertiles and brute-force Fisher-Jenks, shares and trends by plain sums.
"""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.fund.montecarlo import monte_carlo_fund
from finstab.fund.sizing import FundSizing, province_names, series_moments, size_funds, system_monte_carlo

YEARS = list(range(2009, 2021))
PROVINCES = ["BJ", "SH", "GD", "ZJ", "JS"]
SECTORS = ["financial", "household"]
PATTERN = np.array([1, -1, 1, 1, -1, -1, 1, -1, 1, 1, -1])  # 11 changes
# uneven volatilities (natural breaks differ from tertiles); big provinces are the calm ones
VOLS = [0.03, 0.035, 0.04, 0.12, 0.3]


def changes_of(p: int, s: int) -> np.ndarray:
    """Log changes of series (province p, sector s): different drift and volatility for each."""
    drift = 0.02 + 0.01 * p - 0.005 * s
    vol = VOLS[p] + 0.01 * s
    c = drift + vol * PATTERN * (1 + 0.1 * np.arange(PATTERN.size) * (s + 1) / (p + 1))
    if (p, s) == (4, 1):
        c[5] += 3.0  # one year far out in the log values: Jarque-Bera rejects this one
        c[6] -= 3.0
    return c


def make_cca() -> pd.DataFrame:
    rows = []
    for p, prov in enumerate(PROVINCES):
        for s, sector in enumerate(SECTORS):
            path = (1e4 / (p + 1) ** 3 + 10 * s) * np.exp(np.concatenate([[0.0], np.cumsum(changes_of(p, s))]))
            for k, year in enumerate(YEARS):
                rows.append({"province": prov, "sector": sector, "year": year, "market_value": float(path[k]),
                             "asset_vol": 0.05 + 0.01 * p + 0.002 * k})
    return pd.DataFrame(rows)


def hand_moments(c: np.ndarray, k: int, window=None, min_obs: int = 3):
    """mu, sigma at year index k from the first k changes (or the last ``window`` of them)."""
    used = c[:k] if window is None else c[max(0, k - window):k]
    if used.size < min_obs:
        return np.nan, np.nan
    mean = sum(used) / used.size
    sd = (sum((x - mean) ** 2 for x in used) / (used.size - 1)) ** 0.5
    return mean + sd * sd / 2, sd


def hand_tertiles(values) -> list[int]:
    v = list(values)
    return [1 + (3 * sum(w < x for w in v)) // len(v) for x in v]


def jenks_by_enumeration(x: np.ndarray, n: int = 3) -> np.ndarray:
    order = np.sort(x)
    best, cuts = np.inf, None
    for split in itertools.combinations(range(1, order.size), n - 1):
        parts = np.split(order, split)
        ss = sum(((q - q.mean()) ** 2).sum() for q in parts)
        if ss < best:
            best, cuts = ss, [q.max() for q in parts[:-1]]
    return 1 + np.sum(x[:, None] > np.array(cuts)[None, :], axis=1)


@pytest.fixture(scope="module")
def cca() -> pd.DataFrame:
    return make_cca()


@pytest.fixture  # not module-wide: mutation testing maps each test to the kernels it calls itself
def sized(cca) -> FundSizing:
    shuffled = cca.sample(frac=1.0, random_state=3)  # size_funds sorts by itself
    return size_funds(shuffled, alpha=0.01, T=2.0)


def lookup(df: pd.DataFrame, **keys) -> pd.Series:
    mask = np.logical_and.reduce([df[k] == v for k, v in keys.items()])
    assert mask.sum() == 1
    return df[mask].iloc[0]


# ---------------------------------------------------------------- moments


def interleaved(cca: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by year (series interleaved) under an index that is not 0..n-1."""
    out = cca.sort_values(["year", "sector", "province"]).copy()
    out.index = 1000 + 7 * np.arange(len(out))[::-1]
    return out


@pytest.mark.parametrize(("window", "min_obs"), [("expanding", 3), ("expanding", 2), (4, 3), (3, 3), (2, 2)])
def test_series_moments_by_hand(cca, window, min_obs):
    frame = interleaved(cca)
    got = series_moments(frame, window=window, min_obs=min_obs)
    assert list(got.columns) == ["mu", "sigma"] and got.index.equals(frame.index)
    for idx, row in frame.iterrows():
        p, s, k = PROVINCES.index(row["province"]), SECTORS.index(row["sector"]), YEARS.index(row["year"])
        mu, sd = hand_moments(changes_of(p, s), k, None if window == "expanding" else window, min_obs)
        if np.isnan(sd):
            assert np.isnan(got.loc[idx, "mu"]) and np.isnan(got.loc[idx, "sigma"])
        else:
            assert got.loc[idx, "sigma"] == pytest.approx(sd, rel=1e-9)
            assert got.loc[idx, "mu"] == pytest.approx(mu, rel=1e-9)


def test_series_moments_with_the_merton_asset_volatility(cca):
    frame = interleaved(cca)
    got = series_moments(frame, sigma="merton_asset_vol")
    for idx, row in frame.iterrows():
        p, s, k = PROVINCES.index(row["province"]), SECTORS.index(row["sector"]), YEARS.index(row["year"])
        if k < 3:
            assert np.isnan(got.loc[idx, "sigma"]) and np.isnan(got.loc[idx, "mu"])
            continue
        mean = float(np.mean(changes_of(p, s)[:k]))
        assert got.loc[idx, "sigma"] == row["asset_vol"]
        assert got.loc[idx, "mu"] == pytest.approx(mean + row["asset_vol"] ** 2 / 2, rel=1e-12)


def test_series_moments_docstring_example_is_exact_growth():
    f = pd.DataFrame({"province": "A", "sector": "x", "year": range(5),
                      "market_value": [100.0, 110.0, 121.0, 133.1, 146.41]})
    m = series_moments(f)
    assert m["sigma"].iloc[:3].isna().all()
    assert m["sigma"].iloc[3] == pytest.approx(0.0, abs=1e-12)
    assert m["mu"].iloc[4] == pytest.approx(np.log(1.1), rel=1e-12)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"window": 2}, "window: 2; expected 'expanding' or a whole number of years >= 3"),
    ({"window": 2, "min_obs": 4}, "window: 2; expected 'expanding' or a whole number of years >= 4"),
    ({"window": 1, "min_obs": 2}, "window: 1; expected 'expanding' or a whole number of years >= 2"),
    ({"window": "rolling"}, "window: 'rolling'; expected 'expanding' or a whole number of years >= 3"),
    ({"window": 3.0}, "window: 3.0; expected 'expanding' or a whole number of years >= 3"),
    ({"min_obs": 1}, "min_obs: 1; a volatility needs at least 2 changes"),
    ({"sigma": "garch"}, "sigma: 'garch' is not one of 'log_changes', 'merton_asset_vol'"),
])
def test_series_moments_refuse_bad_options(cca, kwargs, text):
    with pytest.raises(InputError) as exc:
        series_moments(cca, **kwargs)
    assert str(exc.value) == text


def test_smallest_windows_are_accepted(cca):
    frame = cca.sort_values(["province", "sector", "year"], ignore_index=True)
    assert series_moments(frame, window=3)["sigma"].notna().sum() == 10 * 9
    assert series_moments(frame, window=2, min_obs=2)["sigma"].notna().sum() == 10 * 10


# ---------------------------------------------------------------- fund sizes


def test_funds_relative_sizes_and_shares_by_hand(sized):
    t = sized.table
    assert len(t) == 10 * 9  # years with at least three changes
    assert sized.alpha == 0.01 and sized.tier_method == "quantile"
    for i, (_, row) in enumerate(t.iterrows()):
        p, s, k = PROVINCES.index(row["province"]), SECTORS.index(row["sector"]), YEARS.index(row["year"])
        mu, sd = hand_moments(changes_of(p, s), k)
        dist = stats.lognorm(s=sd * np.sqrt(2.0), scale=row["market_value"] * np.exp((mu - sd * sd / 2) * 2.0))
        assert row["fund"] == pytest.approx(dist.mean() - dist.ppf(0.01), rel=1e-8)
        if i % 7 == 0:  # the numerical tail integral is slow: every seventh row
            tail = dist.expect(lambda x: x, ub=dist.ppf(0.01)) / 0.01
            assert row["es_fund"] == pytest.approx(dist.mean() - tail, rel=1e-6)
        assert row["relative"] == pytest.approx(row["fund"] / row["market_value"], rel=1e-14)
    for year in YEARS[3:]:
        one = t[t["year"] == year]
        for prov in PROVINCES:
            part = one[one["province"] == prov]
            np.testing.assert_allclose(part["share_in_province"], part["fund"] / sum(part["fund"]), rtol=1e-13)
        for sector in SECTORS:
            part = one[one["sector"] == sector]
            np.testing.assert_allclose(part["share_in_sector"], part["fund"] / sum(part["fund"]), rtol=1e-13)


def test_tiers_are_tertiles_of_relative_size_per_year_and_sector(sized):
    t = sized.table
    for (year, sector), part in t.groupby(["year", "sector"]):
        assert part["tier"].tolist() == hand_tertiles(part["relative"]), (year, sector)
    # the tiers of the absolute fund differ somewhere: the table ranks relative size
    assert any(part["tier"].tolist() != hand_tertiles(part["fund"]) for _, part in t.groupby(["year", "sector"]))


def test_jenks_tiers_follow_the_tier_method(cca):
    res = size_funds(cca, tier_method="jenks")
    assert res.tier_method == "jenks"
    differs = False
    for _, part in res.table.groupby(["year", "sector"]):
        want = jenks_by_enumeration(part["relative"].to_numpy())
        np.testing.assert_array_equal(part["tier"].to_numpy(), want)
        differs |= want.tolist() != hand_tertiles(part["relative"])
    assert differs


def test_default_alpha_and_horizon(cca):
    res = size_funds(cca)
    row = lookup(res.table, province="GD", sector="financial", year=2016)
    mu, sd = hand_moments(changes_of(2, 0), YEARS.index(2016))
    dist = stats.lognorm(s=sd, scale=row["market_value"] * np.exp(mu - sd * sd / 2))
    assert row["fund"] == pytest.approx(dist.mean() - dist.ppf(0.05), rel=1e-9)
    assert res.alpha == 0.05 and res.tier_method == "quantile"


def test_sizing_options_reach_the_moments(cca):
    rolling = size_funds(cca, window=3, min_obs=2)
    assert len(rolling.table) == 10 * 10
    row = lookup(rolling.table, province="SH", sector="household", year=2015)
    mu, sd = hand_moments(changes_of(1, 1), YEARS.index(2015), window=3, min_obs=2)
    assert row["mu"] == pytest.approx(mu, rel=1e-12) and row["sigma"] == pytest.approx(sd, rel=1e-12)
    merton = size_funds(cca, sigma="merton_asset_vol")
    row = lookup(merton.table, province="SH", sector="household", year=2015)
    assert row["sigma"] == row["asset_vol"]


def test_jarque_bera_on_the_log_values_of_every_series(cca, sized):
    n = sized.normality
    assert list(n.columns) == ["province", "sector", "jb_stat", "p_value", "lognormal_not_rejected_5pct"]
    assert len(n) == 10
    for _, row in n.iterrows():
        logs = np.log(cca[(cca["province"] == row["province"]) & (cca["sector"] == row["sector"])]["market_value"])
        d = logs.to_numpy() - logs.mean()
        skew, kurt = (d**3).mean() / (d**2).mean() ** 1.5, (d**4).mean() / (d**2).mean() ** 2
        jb = len(d) / 6 * (skew**2 + (kurt - 3) ** 2 / 4)
        assert row["jb_stat"] == pytest.approx(jb, rel=1e-10)
        assert row["p_value"] == pytest.approx(np.exp(-jb / 2), rel=1e-10)
        assert row["lognormal_not_rejected_5pct"] == (np.exp(-jb / 2) > 0.05)
    flags = n.set_index(["province", "sector"])["lognormal_not_rejected_5pct"]
    assert not flags[("JS", "household")] and flags.sum() == 9


def test_too_short_series_are_refused(cca):
    short = cca[cca["year"] <= 2012]  # four years: three changes
    assert len(size_funds(short).table) == 10
    with pytest.raises(InputError) as exc:
        size_funds(short, min_obs=4)
    assert str(exc.value) == "data: each series needs at least 5 years"
    with pytest.raises(InputError) as exc:
        size_funds(cca[cca["year"] <= 2011])
    assert str(exc.value) == "data: each series needs at least 4 years"


# ---------------------------------------------------------------- the result's tables


def test_years_shown_and_refused(sized):
    assert sized.shown_year == 2020 and sized.year is None
    earlier = sized.at(2015)
    assert earlier.shown_year == 2015 and earlier.year == 2015 and type(earlier.year) is int
    assert earlier.rows()["year"].eq(2015).all() and len(earlier.rows()) == 10
    assert sized.at(np.int64(2016)).year == 2016
    with pytest.raises(InputError) as exc:
        sized.at(2009)
    assert str(exc.value) == ("year: no fund sizes for 2009; sized years: "
                              "2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020")


def test_province_ranking_by_hand(sized):
    for year in (None, 2014):
        y = sized.rows(year)
        ranking = sized.province_ranking(year)
        assert list(ranking.columns) == ["province", "fund", "share", "tier_financial", "tier_household"]
        totals = {p: sum(y[y["province"] == p]["fund"]) for p in PROVINCES}
        order = sorted(PROVINCES, key=lambda p: -totals[p])
        assert ranking["province"].tolist() == order
        np.testing.assert_allclose(ranking["fund"], [totals[p] for p in order], rtol=1e-13)
        np.testing.assert_allclose(ranking["share"], [totals[p] / sum(totals.values()) for p in order], rtol=1e-13)
        for sector in SECTORS:
            want = [lookup(y, province=p, sector=sector)["tier"] for p in order]
            assert ranking[f"tier_{sector}"].tolist() == want


def test_sector_allocation_by_hand(sized):
    y = sized.rows(2017)
    alloc = sized.sector_allocation(2017)
    assert list(alloc.columns) == ["sector", "fund", "mean_fund", "mean_relative", "share"]
    total = sum(y["fund"])
    want = sorted(((s, sum(y[y["sector"] == s]["fund"])) for s in SECTORS), key=lambda item: -item[1])
    assert alloc["sector"].tolist() == [s for s, _ in want]
    for i, (s, fund) in enumerate(want):
        part = y[y["sector"] == s]
        assert alloc["fund"].iloc[i] == pytest.approx(fund, rel=1e-13)
        assert alloc["mean_fund"].iloc[i] == pytest.approx(fund / 5, rel=1e-13)
        assert alloc["mean_relative"].iloc[i] == pytest.approx(sum(part["relative"]) / 5, rel=1e-13)
        assert alloc["share"].iloc[i] == pytest.approx(fund / total, rel=1e-13)
    assert sized.sector_allocation()["fund"].sum() == pytest.approx(sum(sized.rows(2020)["fund"]), rel=1e-13)


def test_tier_table_lists_every_sector_by_tier_and_relative_size(sized):
    table = sized.tier_table(2018)
    assert list(table.columns) == ["sector", "province", "relative", "fund", "tier"]
    assert table.index.tolist() == list(range(10))
    keys = list(zip(table["sector"], table["tier"], table["relative"], strict=True))
    assert keys == sorted(keys)
    y = sized.rows(2018)
    for _, row in table.iterrows():
        assert row["fund"] == lookup(y, province=row["province"], sector=row["sector"])["fund"]
    assert sized.tier_table()["relative"].tolist() != table["relative"].tolist()  # default: 2020


def test_trends_by_hand(sized):
    trends = sized.trends()
    assert list(trends.columns) == ["year", "sector", "fund", "mean_relative", "share"]
    assert len(trends) == 9 * 2
    t = sized.table
    for _, row in trends.iterrows():
        part = t[(t["year"] == row["year"]) & (t["sector"] == row["sector"])]
        year_total = sum(t[t["year"] == row["year"]]["fund"])
        assert row["fund"] == pytest.approx(sum(part["fund"]), rel=1e-13)
        assert row["mean_relative"] == pytest.approx(sum(part["relative"]) / len(part), rel=1e-13)
        assert row["share"] == pytest.approx(sum(part["fund"]) / year_total, rel=1e-13)


def test_normality_by_sector(sized):
    by = sized.normality_by_sector()
    assert list(by.columns) == ["sector", "series", "not_rejected_5pct", "min_p_value"]
    assert by["sector"].tolist() == SECTORS and by["series"].tolist() == [5, 5]
    assert by["not_rejected_5pct"].tolist() == [5, 4]
    n = sized.normality
    for i, s in enumerate(SECTORS):
        assert by["min_p_value"].iloc[i] == min(n[n["sector"] == s]["p_value"])


def test_tables_and_their_round_trip(sized):
    tables = sized.tables()
    assert list(tables) == ["provinces", "sectors", "tiers", "trends", "funds", "jarque_bera",
                            "jarque_bera_by_sector"]
    assert tables["funds"] is sized.table and tables["jarque_bera"] is sized.normality
    mc = pd.DataFrame({"group": ["system"], "var_fund": [1.0]})
    with_mc = FundSizing(sized.table, sized.normality, 0.01, "jenks", mc, 2015)
    assert list(with_mc.tables())[-1] == "monte_carlo" and with_mc.tables()["monte_carlo"] is mc
    prov = Provenance("fund/var", "c", "d", parameters={"alpha": 0.01, "tier_method": "jenks", "year": 2015})
    back = FundSizing.from_tables(with_mc.tables(), None, provenance=prov, warnings=("w",))
    assert (back.alpha, back.tier_method, back.year, back.warnings) == (0.01, "jenks", 2015, ("w",))
    assert back.monte_carlo is mc and back.table is sized.table and back.normality is sized.normality
    assert back.provenance is prov
    bare = FundSizing.from_tables(sized.tables(), None, provenance=Provenance("fund/var", "c", "d"))
    assert (bare.alpha, bare.tier_method, bare.year, bare.monte_carlo) == (0.05, "quantile", None, None)


def test_labels_in_both_languages(sized):
    df = pd.DataFrame({"sector": ["financial", "household", "government", "corporate", "other"],
                       "province": ["BJ", "GD", "SH", "XX", "ZJ"]})
    zh = sized.label(df)
    assert zh["sector"].tolist() == ["金融部门", "家庭部门", "政府部门", "非金融企业部门", "other"]
    assert zh["province"].tolist() == ["北京", "广东", "上海", "XX", "浙江"]
    en = sized.with_lang("en").label(df)
    assert en["sector"].tolist() == ["financial", "household", "government", "non-financial corporate", "other"]
    assert en["province"].tolist() == ["Beijing", "Guangdong", "Shanghai", "XX", "Zhejiang"]
    assert df["sector"].tolist()[0] == "financial"  # the input is not changed
    assert sized.label(pd.DataFrame({"x": [1]})).equals(pd.DataFrame({"x": [1]}))


def test_province_names():
    zh, en = province_names("zh"), province_names("en")
    assert len(zh) == len(en) == 31
    assert (zh["BJ"], en["BJ"], zh["XJ"], en["XJ"]) == ("北京", "Beijing", "新疆", "Xinjiang")


def test_summary_heads(sized):
    zh = sized.summary().splitlines()
    assert zh[0] == "金融稳定保障基金规模 (alpha 0.01, tiers quantile), 2020"
    assert "金融部门" in sized.summary() and "financial" not in zh[1:4]
    en = sized.with_lang("en").at(2015).summary()
    assert en.splitlines()[0] == "Stability-fund sizing (alpha 0.01, tiers quantile), 2015"
    # the allocation table: a header, one row per sector led by its name (no index), four decimals
    lines = en.splitlines()
    assert lines[1].split() == ["sector", "fund", "mean_fund", "mean_relative", "share"]
    assert [line.split()[0] for line in lines[2:4]] == ["household", "financial"]
    alloc = sized.sector_allocation(2015).set_index("sector")
    for line in lines[2:4]:
        cells = line.split()
        assert cells[-1] == f"{alloc.loc[cells[0], 'share']:.4f}".rstrip("0")
        assert all(len(c.partition(".")[2]) <= 4 for c in cells[1:])


# ---------------------------------------------------------------- system Monte Carlo


def test_system_monte_carlo_groups_parts_of_the_year(cca):
    cca = cca.copy()
    # BJ household does not move: zero volatility and an undefined correlation (taken as 0)
    steady = (cca["province"] == "BJ") & (cca["sector"] == "household")
    cca.loc[steady, "market_value"] = 50.0
    res = size_funds(cca, alpha=0.02)
    later = cca[cca["year"] == 2020].assign(year=2021, market_value=lambda d: d["market_value"] * 7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        mc = system_monte_carlo(res, pd.concat([cca, later]), 2016, n_sims=2_000, chunk=1_000, seed=7)
    sectors, provinces = sorted(SECTORS), sorted(PROVINCES)
    assert mc.group_names == ("system", *[f"sector:{s}" for s in sectors], *[f"province:{p}" for p in provinces])
    assert (mc.n_sims, mc.seed, mc.alpha) == (2_000, 7, 0.02)
    y = res.rows(2016)
    members = [y.index] + [y.index[y["sector"] == s] for s in sectors] + [y.index[y["province"] == p]
                                                                           for p in provinces]
    for g, idx in enumerate(members):
        part = y.loc[idx]
        assert mc.expected[g] == pytest.approx(sum(part["market_value"] * np.exp(part["mu"])), rel=1e-12)
        assert mc.sum_of_parts[g] == pytest.approx(sum(part["fund"]), rel=1e-12)
    # the same simulation set up by hand: parts in (province, sector) order, correlation of the
    # log changes up to the year, zero where a series does not move
    keys = sorted(zip(y["province"], y["sector"], strict=True))
    hist = {k: np.log(cca[(cca["province"] == k[0]) & (cca["sector"] == k[1]) & (cca["year"] <= 2016)]
                      .sort_values("year")["market_value"].to_numpy()) for k in keys}
    changes = np.column_stack([np.diff(hist[k]) for k in keys])
    corr = np.eye(len(keys))
    for i, j in itertools.combinations(range(len(keys)), 2):
        a, b = changes[:, i] - changes[:, i].mean(), changes[:, j] - changes[:, j].mean()
        denom = np.sqrt((a * a).sum() * (b * b).sum())
        corr[i, j] = corr[j, i] = (a * b).sum() / denom if denom > 0 else 0.0
    rows = [lookup(y, province=p, sector=s) for p, s in keys]
    groups = np.array([[1.0] * len(keys)] + [[float(k[1] == s) for k in keys] for s in sectors]
                      + [[float(k[0] == p) for k in keys] for p in provinces])
    ref = monte_carlo_fund([r["market_value"] for r in rows], [r["mu"] for r in rows], [r["sigma"] for r in rows],
                           corr, groups=groups, alpha=0.02, n_sims=2_000, seed=7)
    np.testing.assert_allclose(mc.var_fund, ref.var_fund, rtol=1e-9)
    np.testing.assert_allclose(mc.es_fund, ref.es_fund, rtol=1e-9)


def test_system_monte_carlo_defaults(cca):
    res = size_funds(cca)
    mc = system_monte_carlo(res, cca, 2020)
    assert (mc.n_sims, mc.seed, mc.alpha) == (100_000, 0, 0.05)
    y = res.rows(2020).sort_values(["province", "sector"])
    assert mc.sum_of_parts[0] == pytest.approx(y["fund"].sum(), rel=1e-12)
    same = system_monte_carlo(res, cca, 2020, n_sims=100_000, seed=0, chunk=50_000)
    np.testing.assert_array_equal(mc.var_fund, same.var_fund)


def test_system_monte_carlo_goes_through_a_client(cca):
    class Client:
        def __init__(self):
            self.tasks = []

        def map(self, fn, tasks, *, pure):
            self.tasks = list(tasks)
            return [fn(task) for task in tasks]

        def gather(self, futures):
            return futures

    res = size_funds(cca)
    local = system_monte_carlo(res, cca, 2018, n_sims=9_000, chunk=4_096, seed=4)
    client = Client()
    remote = system_monte_carlo(res, cca, 2018, n_sims=9_000, chunk=4_096, seed=4, client=client)
    assert len(client.tasks) == 3  # one task per 4,096 scenarios
    np.testing.assert_allclose(remote.var_fund, local.var_fund, rtol=1e-12)
    one = Client()
    system_monte_carlo(res, cca, 2018, n_sims=9_000, seed=4, client=one)
    assert len(one.tasks) == 1  # the default chunk of 10,000 scenarios holds all three blocks


def test_sizing_index_provenance_and_other_columns(cca):
    twice = pd.concat([cca.iloc[:60], cca.iloc[60:]])  # as given, with an index that repeats
    twice.index = np.arange(len(twice)) % 60
    extra = twice.assign(equity_vol=np.where(twice["sector"] == "household", np.nan, 0.3))
    res = size_funds(extra)
    ref = size_funds(cca)
    assert res.table.index.tolist() == list(range(90)) and "index" not in res.table.columns
    np.testing.assert_array_equal(res.table["fund"], ref.table["fund"])  # NaN elsewhere keeps the row
    assert list(ref.table.columns) == ["province", "sector", "year", "market_value", "asset_vol", "mu", "sigma",
                                       "fund", "es_fund", "relative", "tier", "share_in_province",
                                       "share_in_sector"]
    assert ref.provenance.method == "unrecorded"
    prov = Provenance("fund/var", "c", "d")
    assert size_funds(cca, provenance=prov).provenance is prov
