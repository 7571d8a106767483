"""Same inputs, same numbers: every method run through the web, by the JSON API (POST /api/runs)
and by the browser's form (POST /run, every value sent as text), then read back from the store,
gives the tables ``run_method`` gives on the sample files as the CLI reads them."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from web_cases import CASES  # noqa: E402

from finstab.pipelines.methods import METHODS, run_method  # noqa: E402
from finstab.samples import sample_frame, sample_path  # noqa: E402
from finstab.store.database import Store  # noqa: E402
from finstab.web.app import create_app  # noqa: E402

TOKEN = "analyst-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("same") / "web.duckdb")
    client = TestClient(create_app(store, {TOKEN: "analyst"}, max_upload_bytes=4 * 1024 * 1024),
                        raise_server_exceptions=False)
    ids: dict[str, str] = {}
    for case in CASES.values():
        for name, kind in case.uploads.values():
            if name not in ids:
                res = client.post("/api/datasets", data={"kind": kind}, headers=AUTH,
                                  files={"file": (name.split("/")[-1], sample_path(name).read_bytes(), "text/csv")})
                assert res.status_code == 201, res.text
                ids[name] = res.json()["id"]
    return client, store, ids


def test_every_method_has_a_case():
    assert set(CASES) == set(METHODS)


def run_by_api(client, method, datasets, params):
    res = client.post("/api/runs", json={"method": method, "datasets": datasets, "params": params}, headers=AUTH)
    assert res.status_code == 201, res.text
    return res.json()["id"]


def run_by_form(client, method, datasets, params):
    form = {"method": method, **{f"ds.{k}": v for k, v in datasets.items()},
            **{f"p.{k}": str(v) for k, v in params.items()}}
    client.post("/login", data={"token": TOKEN})
    res = client.post("/run", data=form, follow_redirects=False)
    assert res.status_code == 303, res.text
    return res.headers["location"].split("/runs/")[1].split("?")[0]


@pytest.mark.parametrize("face", ["api", "form"])
@pytest.mark.parametrize("method", sorted(CASES))
def test_the_web_gives_the_numbers_of_run_method(web, method, face):
    client, store, ids = web
    case = CASES[method]
    datasets = {k: ids[f] for k, (f, _) in case.uploads.items()}
    rid = (run_by_api if face == "api" else run_by_form)(client, method, datasets, case.params)
    stored = store.load(rid)
    expected = run_method(method, {k: sample_frame(f) for k, (f, _) in case.uploads.items()}, case.params)
    assert stored.kind == expected.kind
    assert stored.provenance.parameters == expected.provenance.parameters
    assert list(stored.tables()) == list(expected.tables())
    for name, table in expected.tables().items():
        got = stored.tables()[name]
        assert len(table) or name == "watch_list", f"{method}.{name} is empty: nothing compared"
        pd.testing.assert_frame_equal(got.reset_index(drop=True), table.reset_index(drop=True), check_dtype=False,
                                      check_exact=False, rtol=1e-12, obj=f"{method}.{name}")
