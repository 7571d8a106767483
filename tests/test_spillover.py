"""Diebold-Yilmaz connectedness: hand-computed VAR(1) decompositions, statsmodels' orthogonalised
FEVD, the published Diebold-Yilmaz (2012) figure, rolling windows against statsmodels per window,
the pipeline, the CLI and the report section."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR
from statsmodels.tsa.vector_ar.var_model import VARProcess
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.contagion import connectedness, rolling_connectedness
from finstab.contagion.spillover import generalized_fevd, ma_coefficients, select_lags, var_is_stable
from finstab.core.errors import DataError, FinstabError, InputError
from finstab.core.warnings import FinstabWarning
from finstab.pipelines.spillover import prepare_series, run_spillover
from finstab.samples import sample_path
from finstab.samples.markets import MARKETS, crisis_dates, market_ohlc, market_prices, market_returns

# VAR(1) worked by hand below: Phi and Sigma
PHI = np.array([[0.5, 0.2], [0.1, 0.3]])
SIGMA = np.array([[1.0, 0.4], [0.4, 2.0]])


def shared_data() -> Path | None:
    """``shared/data`` beside the repository root (``/work/shared/data`` for ``/work/wt-x``)."""
    root = Path(__file__).resolve().parents[1]
    path = root.parent / "shared" / "data"
    return path if path.is_dir() else None


def simulate_var(phi: np.ndarray, sigma: np.ndarray, T: int, seed: int, mean: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = len(sigma)
    chol = np.linalg.cholesky(sigma)
    y = np.zeros((T, k))
    for t in range(1, T):
        y[t] = phi @ y[t - 1] + chol @ rng.normal(size=k)
    return y + mean


def hand_gfevd_h2(phi: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Normalised generalized FEVD of a 2-variable VAR(1) at H = 2 (A_0 = I, A_1 = Phi), written out."""
    a = phi @ s  # A_1 Sigma
    out = np.empty((2, 2))
    for i in range(2):
        den = s[i, i] + sum(a[i, m] * phi[i, m] for m in range(2))  # (Sigma + A_1 Sigma A_1')_ii
        row = [(s[i, j] ** 2 + a[i, j] ** 2) / s[j, j] / den for j in range(2)]
        out[i] = np.array(row) / sum(row)
    return out


def test_generalized_fevd_of_a_var1_by_hand():
    # A_1 Sigma = [[0.58, 0.60], [0.22, 0.64]]; row 1: numerators (1 + 0.58^2) / 1 = 1.3364 and
    # (0.4^2 + 0.6^2) / 2 = 0.26, denominator 1 + 0.58 * 0.5 + 0.6 * 0.2 = 1.41;
    # row 2: (0.4^2 + 0.22^2) / 1 = 0.2084, (2^2 + 0.64^2) / 2 = 2.2048, denominator 2.214
    raw = generalized_fevd(PHI[None], SIGMA, 2, normalize=False)
    np.testing.assert_allclose(raw, [[1.3364 / 1.41, 0.26 / 1.41], [0.2084 / 2.214, 2.2048 / 2.214]], rtol=1e-13)
    norm = generalized_fevd(PHI[None], SIGMA, 2)
    np.testing.assert_allclose(norm, [[1.3364 / 1.5964, 0.26 / 1.5964], [0.2084 / 2.4132, 2.2048 / 2.4132]],
                               rtol=1e-13)
    np.testing.assert_allclose(norm, hand_gfevd_h2(PHI, SIGMA), rtol=1e-13)


@pytest.mark.parametrize("horizon", [1, 3, 25])
def test_independent_ar1s_with_correlated_shocks_closed_form(horizon):
    # A_h diagonal: the unnormalised cross share is rho^2 at every horizon, rho^2 / (1 + rho^2) normalised
    rho = 0.6
    th = generalized_fevd(np.diag([0.2, 0.9])[None], np.array([[1.0, rho], [rho, 1.0]]), horizon)
    cross = rho**2 / (1 + rho**2)
    np.testing.assert_allclose(th, [[1 - cross, cross], [cross, 1 - cross]], rtol=1e-13)


def test_ma_coefficients_of_a_var2():
    phi1, phi2 = np.array([[0.5]]), np.array([[0.2]])
    # A_0 = 1, A_1 = 0.5, A_2 = 0.5^2 + 0.2 = 0.45, A_3 = 0.5 * 0.45 + 0.2 * 0.5 = 0.325
    np.testing.assert_allclose(ma_coefficients(np.stack([phi1, phi2]), 4).ravel(), [1, 0.5, 0.45, 0.325])


def test_connectedness_on_data_matches_hand_formula_on_statsmodels_fit():
    y = simulate_var(PHI, SIGMA, 3000, seed=1)
    fit = VAR(y).fit(1, trend="c")
    res = connectedness(pd.DataFrame(y, columns=["a", "b"]), lags=1, horizon=2)
    np.testing.assert_allclose(res.pairwise.to_numpy() / 100, hand_gfevd_h2(fit.coefs[0], fit.sigma_u), rtol=1e-10)
    off = hand_gfevd_h2(fit.coefs[0], fit.sigma_u) * 100
    assert res.tci == pytest.approx((off[0, 1] + off[1, 0]) / 2, rel=1e-10)
    assert res.to_others["a"] == pytest.approx(off[1, 0], rel=1e-10)
    assert res.from_others["a"] == pytest.approx(off[0, 1], rel=1e-10)
    assert res.net["a"] == pytest.approx(off[1, 0] - off[0, 1], rel=1e-10)


def test_cholesky_first_variable_and_diagonal_case_match_statsmodels():
    phi = np.array([[0.4, 0.1, 0.0], [0.2, 0.3, 0.1], [0.0, 0.2, 0.5]])
    sigma = np.array([[1.0, 0.5, 0.2], [0.5, 1.5, 0.3], [0.2, 0.3, 0.8]])
    fit = VAR(simulate_var(phi, sigma, 2000, seed=2)).fit(2, trend="c")
    H = 8
    # shocks to the first variable: its generalized and Cholesky impulses coincide, so the
    # unnormalised generalized share equals statsmodels' orthogonalised share (any row)
    raw = generalized_fevd(fit.coefs, fit.sigma_u, H, normalize=False)
    decomp = fit.fevd(H).decomp  # [i, h, j]: share of i's (h+1)-step variance due to j
    np.testing.assert_allclose(raw[:, 0], decomp[:, H - 1, 0], rtol=1e-10)
    # with a diagonal Sigma both decompositions are the same (and need no normalising)
    diag = np.diag(np.diag(fit.sigma_u))
    theta = VARProcess(fit.coefs, fit.intercept, diag).orth_ma_rep(H - 1)  # Theta_0 .. Theta_{H-1}
    orth = (theta**2).sum(axis=0)
    orth /= orth.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(generalized_fevd(fit.coefs, diag, H, normalize=False), orth, rtol=1e-10)
    np.testing.assert_allclose(generalized_fevd(fit.coefs, diag, H), orth, rtol=1e-10)


def test_diebold_yilmaz_2012_published_total_connectedness():
    data = shared_data()
    if data is None or not (data / "dy2012_volatility.csv").is_file():
        pytest.skip("shared/data/dy2012_volatility.csv is not available")
    dy = pd.read_csv(data / "dy2012_volatility.csv", index_col="date")
    res = connectedness(dy, lags=4, horizon=10)
    # ConnectednessApproach's vignette (Gabauer) prints TCI 12.59 % for VAR(4), H = 10 on these
    # log range volatilities, with rows normalised: the conventions settled here
    assert round(res.tci, 2) == 12.59
    assert res.stable
    np.testing.assert_allclose(res.pairwise.sum(axis=1), 100)


def test_lag_selection_matches_statsmodels():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(800, 2))
    y = np.zeros_like(e)
    for t in range(3, 800):
        y[t] = 0.4 * y[t - 1] - 0.3 * y[t - 3] + e[t] + 0.3 * e[t, ::-1]
    df = pd.DataFrame(y, columns=["a", "b"])
    sm = VAR(y).select_order(8, trend="c").selected_orders
    for crit in ("aic", "bic", "hqic"):
        assert select_lags(df, crit, max_lags=8) == max(sm[crit], 1)
    res = connectedness(df, lags="aic", horizon=10)
    assert res.lags == select_lags(df, "aic") and res.provenance.parameters["lags_requested"] == "aic"


@pytest.mark.parametrize(("k", "lags", "window", "mean"), [(3, 2, 60, -10.0), (2, 1, 25, 0.0), (4, 3, 90, 5.0)])
def test_rolling_equals_statsmodels_per_window(k, lags, window, mean):
    rng = np.random.default_rng(k)
    phi = np.diag(rng.uniform(0.3, 0.8, k)) + rng.normal(0, 0.05, (k, k))
    a = rng.normal(size=(k, k))
    y = simulate_var(phi, a @ a.T + np.eye(k), 160, seed=k, mean=mean)
    df = pd.DataFrame(y, columns=[f"m{j}" for j in range(k)], index=pd.date_range("2020-01-01", periods=160))
    roll = rolling_connectedness(df, window=window, lags=lags, horizon=6)
    assert list(roll.index) == list(df.index[window - 1:])
    for w in range(len(df) - window + 1):
        fit = VAR(y[w:w + window]).fit(lags, trend="c")
        th = generalized_fevd(fit.coefs, fit.sigma_u, 6) * 100
        off = th - np.diag(np.diag(th))
        row = roll.frame.iloc[w]
        np.testing.assert_allclose(row["tci"], off.sum() / k, atol=1e-8)
        np.testing.assert_allclose(row[[f"net:m{j}" for j in range(k)]].to_numpy(dtype=float),
                                   off.sum(axis=0) - off.sum(axis=1), atol=1e-8)
        np.testing.assert_allclose(row[[f"from:m{j}" for j in range(k)]].to_numpy(dtype=float), off.sum(axis=1),
                                   atol=1e-8)
        assert bool(row["stable"]) == fit.is_stable()


def test_rolling_flags_a_crisis_in_the_sample():
    r = market_returns()
    assert r.shape == (1500, 10) and len(MARKETS) >= 8
    roll = rolling_connectedness(r, window=200, lags=1, horizon=10)
    start, end = crisis_dates()
    inside = roll["tci"][(roll.index >= start + pd.Timedelta(days=280)) & (roll.index <= end)]
    calm = roll["tci"][roll.index < start]
    assert inside.mean() > calm.mean() + 10
    # a window's net spillovers add up to zero and TCI is the mean of "from"
    nets = roll.frame[[f"net:{m}" for m in MARKETS]].to_numpy()
    np.testing.assert_allclose(nets.sum(axis=1), 0, atol=1e-9)
    froms = roll.frame[[f"from:{m}" for m in MARKETS]].to_numpy()
    np.testing.assert_allclose(froms.mean(axis=1), roll["tci"], rtol=1e-12)


def test_static_identities_and_result_protocol(tmp_path):
    res = connectedness(market_returns(), lags=2, horizon=10)
    np.testing.assert_allclose(res.pairwise.sum(axis=1), 100)
    assert res.tci == pytest.approx(res.from_others.mean()) == pytest.approx(res.to_others.mean())
    assert res.net.sum() == pytest.approx(0, abs=1e-9)
    assert res.kind == "connectedness" and str(res) == res.summary()
    assert list(res.tables()) == ["pairwise", "directional", "connectedness"]
    assert list(res.to_frame().columns) == ["market", *MARKETS]
    assert res.provenance.synthetic and "SYNTHETIC" in res.summary()
    assert "total connectedness" in res.with_lang("en").summary()
    written = {p.name for p in res.write(tmp_path / "out")}
    assert {"pairwise.csv", "directional.csv", "results.xlsx", "summary.txt"} <= written
    roll = rolling_connectedness(market_returns().iloc[:260], window=200, lags=1, horizon=5)
    assert roll.kind == "rolling_connectedness" and len(roll) == 61
    assert list(roll.to_frame().columns[:2]) == ["date", "tci"]
    assert roll.markets == MARKETS


def test_var_stability_certificate_agrees_with_eigenvalues():
    rng = np.random.default_rng(5)
    coefs = rng.normal(0, 0.45, (400, 2, 3, 3))
    comp = np.zeros((400, 6, 6))
    comp[:, :3, :] = np.concatenate([coefs[:, 0], coefs[:, 1]], axis=-1)
    comp[:, 3:, :3] = np.eye(3)
    exact = np.abs(np.linalg.eigvals(comp)).max(axis=-1) < 1
    assert 0.1 < exact.mean() < 0.9
    np.testing.assert_array_equal(var_is_stable(coefs), exact)


def test_unstable_and_singular_windows_are_warned_and_marked():
    y = simulate_var(np.eye(2) * 0.5, np.eye(2), 200, seed=4)
    y[50:130, 1] = 1.0  # a constant stretch: windows inside it have singular regressors
    df = pd.DataFrame(y, columns=["a", "b"])
    with pytest.warns(FinstabWarning):
        roll = rolling_connectedness(df, window=40, lags=1, horizon=5)
    assert roll["tci"].isna().any() and not roll["stable"][roll["tci"].isna()].any()
    assert any("singular" in w for w in roll.warnings)
    explosive = simulate_var(np.array([[1.03, 0.0], [0.02, 1.01]]), np.eye(2), 300, seed=6)
    with pytest.warns(FinstabWarning, match="not stable"):
        res = connectedness(pd.DataFrame(explosive, columns=["x", "y"]), lags=1, horizon=5)
    assert not res.stable and any("not stable" in w for w in res.warnings)
    assert "not stable" in res.summary()


def test_input_errors_name_the_problem():
    good = market_returns().iloc[:300, :3]
    bad = good.copy()
    bad.iloc[5, 1] = np.nan
    with pytest.raises(DataError, match="bond"):
        connectedness(bad)
    with pytest.raises(InputError, match="lags"):
        connectedness(good, lags=0)
    with pytest.raises(InputError, match="lags"):
        connectedness(good, lags="aicc")
    with pytest.raises(InputError, match="horizon"):
        connectedness(good, horizon=0)
    with pytest.raises(DataError, match="window"):
        rolling_connectedness(good, window=400)
    with pytest.raises(DataError, match="too short"):
        rolling_connectedness(good, window=17, lags=4)
    with pytest.raises(DataError, match="at least 2"):
        connectedness(good[["equity"]])
    with pytest.raises(DataError, match="not numeric"):
        connectedness(good.assign(equity="x"))
    with pytest.raises(InputError):
        connectedness([[1, 2], [3, 4]])


def test_pipeline_transforms_prices_and_ranges(tmp_path):
    prices = market_prices()
    series = prepare_series(prices.reset_index(), "prices")
    expected = np.log(prices[MARKETS]).diff().iloc[1:]
    np.testing.assert_allclose(series.to_numpy(), expected.to_numpy(), rtol=1e-12)
    ohlc = market_ohlc(days=260)
    rv = prepare_series(ohlc, "range")
    one = ohlc[(ohlc["market"] == "bond")].iloc[3]
    h, lo, c = (np.log(one[x] / one["open"]) for x in ("high", "low", "close"))
    gk = 0.511 * (h - lo) ** 2 - 0.019 * (c * (h + lo) - 2 * h * lo) - 0.383 * c**2
    assert rv.loc[one["date"], "bond"] == pytest.approx(np.log(gk), rel=1e-12)
    parkinson = prepare_series(ohlc.drop(columns=["open", "close"]), "range")
    assert parkinson.loc[one["date"], "bond"] == pytest.approx(np.log(np.log(one["high"] / one["low"]) ** 2
                                                                      / (4 * np.log(2))), rel=1e-12)
    run = run_spillover(ohlc, kind="range", window=200, lags=1, horizon=5)
    assert run.kind == "spillover" and run.rolling is not None and len(run.rolling) == 61
    assert run.provenance.synthetic and run.static.provenance is run.provenance
    excel = tmp_path / "p.xlsx"
    prices.reset_index().drop(columns="source").iloc[:300].to_excel(excel, index=False)
    from_excel = run_spillover(excel, window=None, lags=1)
    assert from_excel.static.n_obs == 299 and from_excel.rolling is None
    with pytest.raises(DataError, match="not positive"):
        run_spillover(pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "a": [1.0, -1.0], "b": [1.0, 2.0]}))
    with pytest.raises(FinstabError, match="kind"):
        run_spillover(prices.reset_index(), kind="volume")


def test_cli_spillover(tmp_path):
    runner = CliRunner()
    out = tmp_path / "spill"
    res = runner.invoke(app, ["spillover", "--window", "300", "--lags", "1", "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "TCI =" in res.output and "SYNTHETIC" in res.output
    assert (out / "rolling.csv").is_file() and (out / "results.xlsx").is_file()
    rolling = pd.read_csv(out / "rolling.csv", encoding="utf-8-sig")
    assert len(rolling) == 1500 - 300 + 1 and "net:property" in rolling.columns
    bad = runner.invoke(app, ["spillover", "--lags", "many"])
    assert bad.exit_code == 2 and "--lags" in bad.output
    missing = runner.invoke(app, ["spillover", "--data", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "not found" in missing.output


def test_report_section_has_the_four_pictures():
    from finstab.report.html import render_report
    from finstab.report.spillover_section import market_label, spillover_section

    run = run_spillover(sample_path("markets/prices.csv"), window=250, lags=1, horizon=5)
    sec = spillover_section(run, "zh")
    images = sum(1 if b.kind == "image" else len(b.content) for b in sec.blocks if b.kind in ("image", "images"))
    assert images == 4 and sec.synthetic
    assert market_label("property") == "地产股 property"
    page = render_report("t", [sec], "zh")
    assert "总体关联度" in page and "finstab-cjk" in page
