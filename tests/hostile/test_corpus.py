"""Every hostile input stops with exit code 2, one clear message, no traceback and nothing written."""

import pytest
from corpus import CASES, write_corpus
from typer.testing import CliRunner

from finstab.cli.main import app


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_fails_cleanly(case, corpus):
    folder = corpus[case]
    before = {p for p in folder.rglob("*")}
    args = [a.replace("{dir}", str(folder)) for a in CASES[case][1]]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, f"{case}: exit {res.exit_code}\n{res.output}\n{res.exception!r}"
    assert "Traceback" not in res.output and (res.exception is None or isinstance(res.exception, SystemExit))
    assert res.output.strip(), f"{case}: no message"
    assert {p for p in folder.rglob("*")} == before, f"{case}: wrote {set(folder.rglob('*')) - before}"
