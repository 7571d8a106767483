"""finstab.fund.sectors: book balance sheets to CCA balance sheets on a hand-made table.

Every compiled row is checked against the sector conventions with independent arithmetic:
the Merton equations recomputed from the reported asset value and volatility (scipy ndtr),
the household debt D_b ((1 + i_D) / (1 + i_t))^T and its distance to default in closed form.
"""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy.special import ndtr

from finstab.core.errors import ConfigError, DataError
from finstab.core.warnings import ConvergenceWarning
from finstab.fund.sectors import (
    EquitySpec,
    SectorConvention,
    SectorConventions,
    check_plausible,
    compile_cca,
    load_conventions,
)

PROVINCES = ["GD", "BJ"]
YEARS = [2011, 2010]
SECTORS = ["household", "corporate", "financial", "government"]


def balance_sheets() -> pd.DataFrame:
    rows = []
    for p, prov in enumerate(PROVINCES):
        for y, year in enumerate(YEARS):
            for sector in SECTORS:
                k = 1 + p + 0.5 * y
                rows.append({"province": prov, "year": year, "sector": sector, "equity_book": 40.0 * k,
                             "total_liabilities": 300.0 * k, "deposits": 500.0 * k, "market_cap": 80.0 * k,
                             "current_liabilities": 150.0 * k, "noncurrent_liabilities": 90.0 * k,
                             "net_worth": 600.0 * k})
    return pd.DataFrame(rows)


def market() -> pd.DataFrame:
    return pd.DataFrame({"year": [2010, 2011], "risk_free": [0.03, 0.025], "treasury_market_to_book": [0.9, 1.1],
                         "treasury_repo_vol": [0.35, 0.45], "financials_market_to_book": [2.0, 1.5],
                         "financials_equity_vol": [0.3, 0.4], "corporate_equity_vol": [0.5, 0.6],
                         "household_asset_vol": [0.09, 0.12], "mortgage_rate": [0.05, 0.06],
                         "household_discount_rate": [0.04, 0.035], "household_loan_term": [6.0, 7.5]})


def merton_residual(row) -> float:
    a, s, d, j, sj, r, t = (row[c] for c in ("asset_value", "asset_vol", "default_point", "equity", "equity_vol",
                                             "r", "T"))
    d1 = (np.log(a / d) + (r + s * s / 2) * t) / (s * np.sqrt(t))
    d2 = d1 - s * np.sqrt(t)
    e1 = (a * ndtr(d1) - d * np.exp(-r * t) * ndtr(d2)) / j - 1
    e2 = ndtr(d1) * s * a / (sj * j) - 1
    return max(abs(e1), abs(e2))


def test_every_sector_follows_its_convention():
    bs, mk = balance_sheets(), market()
    cca = compile_cca(bs, mk)
    assert list(cca.columns) == ["province", "year", "sector", "equity", "equity_vol", "default_point",
                                 "asset_value", "asset_vol", "debt_value", "distance_to_default",
                                 "default_probability", "market_value", "converged"]
    keys = list(zip(cca["province"], cca["year"], cca["sector"], strict=True))
    assert keys == sorted(keys) and len(cca) == 16 and cca.index.tolist() == list(range(16))
    assert cca["converged"].dtype == bool and cca["converged"].all()
    for _, row in cca.iterrows():
        book = bs[(bs["province"] == row["province"]) & (bs["year"] == row["year"])
                  & (bs["sector"] == row["sector"])].iloc[0]
        m = mk[mk["year"] == row["year"]].iloc[0]
        if row["sector"] == "household":
            debt = book["total_liabilities"] * ((1 + m["mortgage_rate"]) / (1 + m["household_discount_rate"])) ** m[
                "household_loan_term"]
            asset, vol = book["net_worth"] + debt, m["household_asset_vol"]
            dd = (np.log(asset / book["total_liabilities"]) + (m["risk_free"] - vol * vol / 2)) / vol
            assert row["equity"] == book["net_worth"] and np.isnan(row["equity_vol"])
            assert row["debt_value"] == pytest.approx(debt, rel=1e-14)
            assert row["asset_value"] == pytest.approx(asset, rel=1e-14) and row["asset_vol"] == vol
            assert row["distance_to_default"] == pytest.approx(dd, rel=1e-13)
            assert row["default_point"] == book["total_liabilities"]
            assert row["market_value"] == row["debt_value"]
        else:
            equity, vol, point = {
                "government": (book["equity_book"] * m["treasury_market_to_book"], m["treasury_repo_vol"],
                               book["total_liabilities"]),
                "financial": (book["equity_book"] * m["financials_market_to_book"], m["financials_equity_vol"],
                              book["deposits"]),
                "corporate": (book["market_cap"], m["corporate_equity_vol"],
                              book["current_liabilities"] + 0.5 * book["noncurrent_liabilities"]),
            }[row["sector"]]
            assert row["equity"] == pytest.approx(equity, rel=1e-15) and row["equity_vol"] == vol
            assert row["default_point"] == pytest.approx(point, rel=1e-15)
            full = dict(row, r=m["risk_free"], T=1.0)
            assert merton_residual(full) < 1e-10
            assert row["debt_value"] == pytest.approx(row["asset_value"] - row["equity"], rel=1e-12)
            s = row["asset_vol"]
            d2 = (np.log(row["asset_value"] / point) + (m["risk_free"] - s * s / 2)) / s
            assert row["distance_to_default"] == pytest.approx(d2, rel=1e-10, abs=1e-12)
            base = "asset_value" if row["sector"] == "financial" else "debt_value"
            assert row["market_value"] == row[base]
        assert row["default_probability"] == pytest.approx(ndtr(-row["distance_to_default"]), rel=1e-12)


def test_own_conventions_name_the_rate_and_horizon(tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text("risk_free: rf\nhorizon: 2.5\nsectors:\n"
                    "  - {id: firms, name_zh: 企业, name_en: firms, equity: {field: market_cap}, "
                    "equity_vol: corporate_equity_vol, default_point: {current_liabilities: 0.25, deposits: 2.0}, "
                    "fund_base: assets}\n", encoding="utf-8")
    conv = load_conventions(path)
    assert conv.risk_free == "rf" and conv.horizon == 2.5 and conv.sector("firms").name() == "企业"
    bs = balance_sheets().assign(sector="firms").drop_duplicates(["province", "year"])
    mk = market().rename(columns={"risk_free": "rf"})
    cca = compile_cca(bs, mk, conv)
    assert cca["sector"].tolist() == ["firms"] * 4
    for _, row in cca.iterrows():
        book = bs[(bs["province"] == row["province"]) & (bs["year"] == row["year"])].iloc[0]
        m = mk[mk["year"] == row["year"]].iloc[0]
        assert row["default_point"] == pytest.approx(0.25 * book["current_liabilities"] + 2.0 * book["deposits"])
        assert merton_residual(dict(row, r=m["rf"], T=2.5)) < 1e-10
        assert row["market_value"] == row["asset_value"]
        s = row["asset_vol"]
        d2 = (np.log(row["asset_value"] / row["default_point"]) + (m["rf"] - s * s / 2) * 2.5) / (s * np.sqrt(2.5))
        assert row["distance_to_default"] == pytest.approx(d2, rel=1e-10)


def test_only_sectors_present_are_compiled():
    bs = balance_sheets()
    cca = compile_cca(bs[bs["sector"] == "government"], market())
    assert cca["sector"].unique().tolist() == ["government"] and len(cca) == 4


def test_shipped_conventions():
    conv = load_conventions()
    assert conv is load_conventions(None)
    assert [s.id for s in conv.sectors] == ["government", "financial", "corporate", "household"]
    assert conv.risk_free == "risk_free" and conv.horizon == 1.0
    hh = conv.sector("household")
    assert hh.fields() == {"net_worth", "total_liabilities", "household_asset_vol", "mortgage_rate",
                           "household_discount_rate", "household_loan_term"}
    assert conv.sector("government").fields() == {"equity_book", "treasury_market_to_book", "treasury_repo_vol",
                                                  "total_liabilities"}
    assert conv.sector("corporate").fields() == {"market_cap", "corporate_equity_vol", "current_liabilities",
                                                 "noncurrent_liabilities"}
    assert (hh.name(), hh.name("zh"), hh.name("en")) == ("家庭部门", "家庭部门", "household")
    with pytest.raises(ConfigError) as exc:
        conv.sector("banks")
    assert str(exc.value) == ("sector: unknown sector 'banks'; "
                              "have ['government', 'financial', 'corporate', 'household']")


def test_sector_conventions_refuse_missing_inputs():
    common = dict(id="x", name_zh="x", name_en="x", equity=EquitySpec(field="e"), default_point={"d": 1.0},
                  fund_base="assets")
    with pytest.raises(ValidationError) as exc:
        SectorConvention(**common)
    assert "merton sectors need equity_vol" in str(exc.value)
    dd = {"book": "b", "loan_rate": "l", "discount_rate": "i", "term": "t"}
    for extra in ({"asset_vol": "v"}, {"debt_discount": dd}, {}):
        with pytest.raises(ValidationError) as exc:
            SectorConvention(**common, method="discounted_debt", **extra)
        assert "discounted_debt sectors need asset_vol and debt_discount" in str(exc.value)
    ok = SectorConvention(**common, method="discounted_debt", asset_vol="v", debt_discount=dd)
    assert ok.fields() == {"e", "d", "v", "b", "l", "i", "t"}
    assert SectorConvention(**common, equity_vol="s").fields() == {"e", "d", "s"}


# ---------------------------------------------------------------- bad input


def test_table_problems_exact_messages():
    bs, mk = balance_sheets(), market()
    bs.attrs["source"] = "bs.csv"
    mk.attrs["source"] = "mk.csv"
    cases = [
        (bs.drop(columns="sector"), mk, "bs.csv: missing column(s) 'sector'"),
        (bs, mk.drop(columns="risk_free"), "mk.csv: missing column(s) 'risk_free'"),
        (bs, pd.concat([mk, mk.iloc[[1]]]), "mk.csv: year 2011 appears twice"),
        (pd.concat([bs, bs.iloc[[5]]]), mk, "bs.csv: duplicate row (GD, 2010, corporate)"),
        (bs.assign(year=bs["year"] + 1), mk, "mk.csv: no market inputs for years [2012]"),
        (bs.assign(sector=bs["sector"].replace({"corporate": "zeta", "financial": "alpha"})), mk,
         "bs.csv: sectors ['alpha', 'zeta'] have no convention"),
        (bs.drop(columns="deposits"), mk, "bs.csv + mk.csv: missing column 'deposits'"),
        (bs.assign(deposits=bs["deposits"].astype(object).where(bs.index != 6, "n/a")), mk,
         "bs.csv + mk.csv: column 'deposits' is empty or not a number at (GD, 2010, financial)"),
    ]
    for b, m, text in cases:
        b.attrs.setdefault("source", "bs.csv")
        m.attrs.setdefault("source", "mk.csv")
        with pytest.raises(DataError) as exc:
            compile_cca(b, m)
        assert str(exc.value).startswith(text), (str(exc.value), text)


def test_default_sources_in_messages():
    bs, mk = balance_sheets(), market()
    with pytest.raises(DataError) as exc:
        compile_cca(pd.concat([bs, bs.iloc[[0]]]), mk)
    assert str(exc.value) == "balance sheets: duplicate row (GD, 2011, household)"
    with pytest.raises(DataError) as exc:
        compile_cca(bs, mk[mk["year"] == 2011])
    assert str(exc.value) == "market inputs: no market inputs for years [2010]"
    with pytest.raises(DataError) as exc:
        compile_cca(bs.drop(columns="market_cap"), mk)
    assert str(exc.value) == "balance sheets + market inputs: missing column 'market_cap'"


def test_implausible_market_inputs():
    bs, mk = balance_sheets(), market()
    mk.attrs["source"] = "mk.csv"
    with pytest.raises(DataError) as exc:
        compile_cca(bs, mk.assign(risk_free=[0.03, 3.0]))
    assert str(exc.value) == ("mk.csv row 2 of the table: column risk_free, year 2011: 3; expected a continuously "
                              "compounded rate per year between -0.05 and 0.3 (0.03 = 3 %)")
    with pytest.raises(DataError) as exc:
        compile_cca(bs, mk.assign(risk_free=[-0.0501, 0.03]))
    assert "column risk_free, year 2010: -0.0501; expected" in str(exc.value)
    with pytest.raises(DataError) as exc:
        compile_cca(bs, mk.assign(household_loan_term=[6.0, 0.0]))
    assert str(exc.value) == ("mk.csv row 2 of the table: column household_loan_term, year 2011: 0; expected a loan "
                              "term of more than 0 years")
    with pytest.raises(DataError) as exc:
        compile_cca(bs, mk.assign(household_loan_term=[np.nan, 5.0]))
    assert "column household_loan_term, year 2010: nan; expected a loan term of more than 0 years" in str(exc.value)
    # the edges of the range are plausible
    assert compile_cca(bs, mk.assign(risk_free=[-0.05, 0.3]))["converged"].all()


def test_plausibility_skips_columns_the_table_does_not_have():
    conv = load_conventions()
    check_plausible(pd.DataFrame({"year": [2010], "risk_free": [0.02]}), conv)
    check_plausible(pd.DataFrame({"year": [2010], "household_loan_term": [3.0]}), conv)
    with pytest.raises(DataError) as exc:
        check_plausible(pd.DataFrame({"year": [2010], "risk_free": ["7"]}), conv)
    assert str(exc.value) == ("data row 1 of the table: column risk_free, year 2010: 7; expected a continuously "
                              "compounded rate per year between -0.05 and 0.3 (0.03 = 3 %)")
    firms = SectorConventions(sectors=[SectorConvention(id="f", name_zh="f", name_en="f", equity=EquitySpec(
        field="e"), equity_vol="s", default_point={"d": 1.0}, fund_base="assets")])
    check_plausible(pd.DataFrame({"year": [2010], "risk_free": [0.02], "household_loan_term": [-1.0]}), firms)


def test_unconverged_rows_warn_once_naming_the_first_five():
    bs, mk = balance_sheets(), market()
    corp = bs["sector"] == "corporate"
    bs.loc[corp, "market_cap"] = bs.loc[corp, "current_liabilities"] * 1e-13
    with pytest.warns(ConvergenceWarning) as caught:
        cca = compile_cca(bs, mk)
    texts = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert texts == ["CCA: 4 of 16 Merton balance sheets did not converge (relative residual >= 1e-08 or an "
                     "unreliable derived value): (BJ, 2010, corporate), (BJ, 2011, corporate), (GD, 2010, corporate), "
                     "(GD, 2011, corporate); column 'converged' is False for them"]
    assert (~cca["converged"]).sum() == 4
    bs2 = pd.concat([bs, bs[bs["province"] == "GD"].assign(province="SH"), bs[bs["province"] == "GD"].assign(
        province="AH")], ignore_index=True)
    with pytest.warns(ConvergenceWarning) as caught:
        compile_cca(bs2, mk)
    texts = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert texts == ["CCA: 8 of 32 Merton balance sheets did not converge (relative residual >= 1e-08 or an "
                     "unreliable derived value): (AH, 2010, corporate), (AH, 2011, corporate), (BJ, 2010, corporate), "
                     "(BJ, 2011, corporate), (GD, 2010, corporate) and 3 more; column 'converged' is False for them"]


def test_household_distance_to_default_over_a_longer_horizon(tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text("horizon: 2.5\nsectors:\n"
                    "  - {id: household, name_zh: 家庭, name_en: households, method: discounted_debt, "
                    "equity: {field: net_worth}, asset_vol: household_asset_vol, debt_discount: {book: "
                    "total_liabilities, loan_rate: mortgage_rate, discount_rate: household_discount_rate, "
                    "term: household_loan_term}, default_point: {total_liabilities: 1.0}, fund_base: liabilities}\n",
                    encoding="utf-8")
    bs = balance_sheets()
    cca = compile_cca(bs[bs["sector"] == "household"], market(), load_conventions(path))
    for _, row in cca.iterrows():
        m = market().set_index("year").loc[row["year"]]
        vol, asset = m["household_asset_vol"], row["asset_value"]
        dd = (np.log(asset / row["default_point"]) + (m["risk_free"] - vol * vol / 2) * 2.5) / (vol * np.sqrt(2.5))
        assert row["distance_to_default"] == pytest.approx(dd, rel=1e-13)


def test_whole_number_inputs_give_float_columns():
    bs = balance_sheets()
    for c in ("market_cap", "current_liabilities", "noncurrent_liabilities"):
        bs[c] = bs[c].round().astype(int)
    cca = compile_cca(bs[bs["sector"] == "corporate"], market())
    assert cca["equity"].dtype == float and cca["default_point"].dtype == float
    assert cca["converged"].all()


def test_duplicate_keys_are_refused_even_with_different_values():
    bs = balance_sheets()
    again = bs.iloc[[5]].assign(market_cap=1.0)
    with pytest.raises(DataError) as exc:
        compile_cca(pd.concat([bs, again]), market())
    assert str(exc.value) == "balance sheets: duplicate row (GD, 2010, corporate)"


def test_a_balance_sheet_column_wins_over_the_market_column_of_the_same_name():
    """A provincial rate in the balance sheets overrides the national one; other shared columns
    (a note) do not get in the way of the join on the year."""
    bs = balance_sheets()
    gov = bs[bs["sector"] == "government"].assign(risk_free=0.01, note="bs")
    own = compile_cca(gov, market().assign(note="market"))
    national = compile_cca(gov.drop(columns="risk_free"), market().assign(risk_free=0.01))
    for name in ("asset_value", "asset_vol", "debt_value", "distance_to_default"):
        np.testing.assert_array_equal(own[name], national[name])
    assert len(own) == 4 and own["converged"].all()


def test_bad_book_values_name_the_balance_sheet():
    from finstab.core.errors import InputError

    bs = balance_sheets()
    bs.loc[6, "deposits"] = -5.0  # (GD, 2010, financial)
    with pytest.raises(InputError) as exc:
        compile_cca(bs, market())
    assert str(exc.value) == "default_point: entity '(GD, 2010, financial)' has value -5; expected > 0"


def test_short_loan_terms_are_plausible():
    cca = compile_cca(balance_sheets(), market().assign(household_loan_term=[0.5, 0.25]))
    hh = cca[cca["sector"] == "household"]
    assert hh["converged"].all() and len(hh) == 4
