import re

from typer.testing import CliRunner

from finstab.cli.main import app

runner = CliRunner()


def test_demo_writes_report(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "区域金融风险监测" in html and "合成" in html
    assert len(re.findall(r"data:image/png;base64,", html)) >= 2
    assert "http://" not in html and "https://" not in html  # works offline
    assert (out / "monitor" / "results.xlsx").is_file()


def test_monitor_command(tmp_path, zibo_sample):
    res = runner.invoke(app, ["monitor", "--system", "zibo", "--data", str(zibo_sample),
                              "--out", str(tmp_path / "o"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "moderate" in res.output
    assert (tmp_path / "o" / "scores.csv").is_file()


def test_bad_input_exit_code_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("region,period,gdp_growth\nA,2019,x\n", encoding="utf-8")
    res = runner.invoke(app, ["monitor", "--data", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "bad.csv" in res.output and "missing indicator column" in res.output
    assert not (tmp_path / "o").exists()
    res = runner.invoke(app, ["monitor", "--system", "nope", "--data", str(bad)])
    assert res.exit_code == 2 and "unknown preset 'nope'" in res.output


def test_ahp_command(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("labels: [a, b, c]\nmatrix:\n- [1, 3, 5]\n- [1/3, 1, 2]\n- [1/5, 1/2, 1]\n",
                 encoding="utf-8")
    res = runner.invoke(app, ["ahp", str(f)])
    assert res.exit_code == 0, res.output
    assert "lambda_max" in res.output and "CR =" in res.output and "judgment (" in res.output
    f.write_text("matrix:\n- [1, 3]\n- [3, 1]\n", encoding="utf-8")
    res = runner.invoke(app, ["ahp", str(f)])
    assert res.exit_code == 2 and "not reciprocal" in res.output


def test_systems_commands():
    res = runner.invoke(app, ["systems", "list"])
    assert res.exit_code == 0 and "zibo" in res.output
    res = runner.invoke(app, ["systems", "show", "zibo", "--lang", "en"])
    assert res.exit_code == 0 and "capital adequacy" in res.output
