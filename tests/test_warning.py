import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import DataError
from finstab.early_warning import evaluate_signal, klr_signals, pre_crisis_labels
from finstab.pipelines import run_monitor, run_warning
from finstab.samples import sample_path


def planted_panel(seed=0, n_entities=40, n_periods=30, horizon=4):
    rng = np.random.default_rng(seed)
    keys = pd.DataFrame({"entity": np.repeat(np.arange(n_entities), n_periods),
                         "period": np.tile(np.arange(n_periods), n_entities)})
    events = {e: int(rng.integers(10, n_periods)) for e in range(0, n_entities, 4)}
    labels = pre_crisis_labels(keys, events, horizon)
    signal = rng.normal(0, 1, len(keys)) + np.where(labels == 1, 3.0, 0.0)  # planted: high before events
    noise = rng.normal(0, 1, len(keys))
    low = -signal  # the same information, but low values are risky
    return keys.assign(signal=signal, noise=noise, low=low), labels, events


def test_labels_by_hand():
    keys = pd.DataFrame({"entity": ["a"] * 6, "period": range(6)})
    lab = pre_crisis_labels(keys, {"a": 4}, horizon=2)
    np.testing.assert_array_equal(lab.to_numpy(), [0, 0, 1, 1, np.nan, np.nan])


def test_counts_and_nsr_by_hand():
    data = pd.DataFrame({"x": [0, 1, 2, 3, 4, 5, 6, 7]})
    labels = pd.Series([0, 0, 0, 0, 0, 1, 1, 1])
    res = klr_signals(data, labels, ["x"], quantiles=[0.5])  # threshold = median 3.5
    r = res.table.iloc[0]
    assert r["threshold"] == 3.5
    assert (r["A"], r["B"], r["C"], r["D"]) == (3, 1, 0, 4)
    assert r["nsr"] == pytest.approx((1 / 5) / (3 / 3))
    assert r["usefulness"] == pytest.approx(0.5 - (0.5 * 0 + 0.5 * 0.2))


def test_klr_recovers_planted_signal():
    data, labels, events = planted_panel()
    res = klr_signals(data, labels, ["noise", "signal", "low"], {"low": -1})
    table = res.table.set_index("indicator")
    assert table.loc["signal", "nsr"] < 0.1 < table.loc["noise", "nsr"]
    assert 1.0 < table.loc["signal", "threshold"] < 3.0
    assert table.loc["low", "nsr"] == pytest.approx(table.loc["signal", "nsr"], rel=0.2)
    ev = evaluate_signal(res.signals(data)["signal"], data[["entity", "period"]], events, 4)
    assert ev["events_warned"] == len(events) and ev["mean_lead"] > 1


def test_labels_that_never_flag():
    data, labels, _ = planted_panel()
    with pytest.raises(DataError, match="never flag a crisis"):
        klr_signals(data, labels * 0, ["signal"])
    with pytest.raises(DataError, match="missing indicator column 'nope'"):
        klr_signals(data, labels, ["nope"])


def test_warning_on_bank_and_debt_panels():
    banks = run_warning(events=sample_path("banks/failures.csv"))
    assert banks.evaluation["events"] == 8 and banks.evaluation["hit_rate"] > 0.5
    assert banks.provenance.synthetic
    debt = run_warning(system="local_debt", data=sample_path("themes/local_debt.csv"),
                       events=sample_path("themes/local_debt_events.csv"), horizon=2)
    assert debt.evaluation["events"] == 5
    assert set(debt.signals["indicator"]) == {
        "debt_ratio", "lgfv_debt_gdp", "hidden_debt_proxy", "interest_burden", "refinancing_share",
        "special_bond_share", "issuance_spread", "land_revenue_share"}


def test_theme_presets_score_their_samples():
    debt = run_monitor("local_debt", sample_path("themes/local_debt.csv"))
    assert debt.keys["region"].nunique() == 31
    small = run_monitor("small_banks", sample_path("themes/small_banks.csv")).to_frame()
    last = small[small["period"] == "2024Q4"].set_index("region")["total"]
    assert last.filter(like="农商行").iloc[0] < last.filter(like="大型").iloc[0]


def test_cli_warn():
    res = CliRunner().invoke(app, ["warn", "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "KLR" in res.output and "mean lead" in res.output and "recorded run" in res.output
    res = CliRunner().invoke(app, ["warn", "--system", "local_debt", "--horizon", "2"])
    assert res.exit_code == 0, res.output


def test_cli_warn_with_system_needs_data(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("region,event_period\nAH,2020\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["warn", "--system", "zibo", "--events", str(events)])
    assert res.exit_code == 2 and "data" in res.output and "Traceback" not in res.output
