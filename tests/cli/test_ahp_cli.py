"""`finstab ahp` reads the files analysts write: GBK YAML from a Chinese Windows editor included."""

from typer.testing import CliRunner

from finstab.cli.main import app


def test_gbk_yaml_is_read(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes("labels: [甲, 乙]\nmatrix: [[1, 3], [1/3, 1]]\n".encode("gbk"))
    res = CliRunner().invoke(app, ["ahp", str(path)])
    assert res.exit_code == 0, res.output
    assert "甲: 0.7500" in res.output and "乙: 0.2500" in res.output  # w = (3/4, 1/4) for a 3:1 judgment


def test_tabs_get_a_hint(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("matrix:\n\t- [1, 3]\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["ahp", str(path)])
    assert res.exit_code == 2 and "line 2" in res.output and "spaces, not tabs" in res.output
