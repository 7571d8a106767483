"""Running methods from the web: request bodies and parameters checked, pipeline errors as 422,
uploaded indicator systems (checked with the CLI's messages, then run), run pages that render the
report's section under the drill-down, and errors as pages for people and JSON for programs."""

from __future__ import annotations

import html
import re
import warnings
from importlib import resources

import pandas as pd
import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from finstab.core.errors import ConfigError  # noqa: E402
from finstab.monitor.systems import load_system  # noqa: E402
from finstab.pipelines.methods import METHODS, run_method  # noqa: E402
from finstab.report.stored import run_section  # noqa: E402
from finstab.samples import sample_frame, sample_path  # noqa: E402
from finstab.store.database import Store, StoreUnavailable  # noqa: E402
from finstab.web.app import create_app  # noqa: E402
from finstab.web.runs import PARAMS  # noqa: E402
from finstab.web.uploads import SYSTEM_MAX_BYTES  # noqa: E402

ANALYST, READER = "analyst-token-0123456789", "reader-token-0123456789"
TOKENS = {ANALYST: "analyst", READER: "read"}
HOST = "http://testserver"


def bearer(token=ANALYST):
    return {"Authorization": f"Bearer {token}"}


def zibo_yaml() -> str:
    return (resources.files("finstab.monitor.systems.presets") / "zibo.yaml").read_text(encoding="utf-8")


def custom_yaml() -> str:
    """The Zibo system with other level-1 weights, under its own id."""
    return (zibo_yaml().replace("id: zibo\n", "id: zibo_custom\n", 1)
            .replace("weight: 0.0452", "weight: 0.1452").replace("weight: 0.4925", "weight: 0.3925"))


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "runs.duckdb")


@pytest.fixture
def app(store):
    return create_app(store, TOKENS, max_upload_bytes=2_000_000)


@pytest.fixture
def client(app):
    return TestClient(app, raise_server_exceptions=False)


def upload(client, name, data, kind="panel", headers=None):
    return client.post("/api/datasets", files={"file": (name, data, "application/octet-stream")},
                       data={"kind": kind}, headers=headers if headers is not None else bearer())


def upload_sample(client, name, kind="table"):
    res = upload(client, name.split("/")[-1], sample_path(name).read_bytes(), kind)
    assert res.status_code == 201, res.text
    return res.json()["id"]


def run(client, body, headers=None):
    return client.post("/api/runs", json=body, headers=headers if headers is not None else bearer())


# ------------------------------------------------------------------------- methods and parameters
def test_every_method_is_listed_with_its_inputs_and_parameters(client):
    assert set(PARAMS) == set(METHODS)
    listed = {m["name"]: m for m in client.get("/api/methods", headers=bearer(READER)).json()}
    assert set(listed) == set(METHODS)
    for name, spec in METHODS.items():
        assert listed[name]["inputs"] == list(spec.inputs) and listed[name]["optional"] == list(spec.optional)
    monitor = {p["name"]: p for p in listed["monitor"]["params"]}
    assert monitor["method"]["choices"] == ["threshold", "fce"] and monitor["alpha"]["numeric"]
    assert monitor["system"]["system"] and not {p["name"]: p for p in listed["early_warning"]["params"]}[
        "system"]["uploaded_systems"]
    spec = client.get("/openapi.json").json()["paths"]["/api/runs"]["post"]["requestBody"]
    assert len(spec["content"]["application/json"]["schema"]["oneOf"]) == len(METHODS) + 1


@pytest.mark.parametrize(("body", "where", "message"), [
    ({"method": "monitor", "datasets": {"data": "abcdef"}, "params": {"alpha": 2}}, "body.params.alpha",
     "less than or equal to 1"),
    ({"method": "monitor", "datasets": {"data": "abcdef"}, "params": {"alpha": "half"}}, "body.params.alpha",
     "valid number"),
    ({"method": "monitor", "datasets": {"data": "abcdef"}, "params": {"speed": 3}}, "body.params.speed",
     "Extra inputs"),
    ({"method": "monitor", "datasets": {"data": "abcdef"}, "params": {"method": "magic"}}, "body.params.method",
     "'threshold' or 'fce'"),
    ({"method": "monitor", "datasets": {}}, "body.datasets.data", "Field required"),
    ({"method": "monitor", "datasets": {"data": "../etc"}}, "body.datasets.data", "pattern"),
    ({"method": "contagion", "datasets": {"banks": "abcdef", "edges": "abcdef", "nodes": "abcdef"}},
     "body.datasets.nodes", "Extra inputs"),
    ({"method": "financing_plan", "params": {"n_sims": 10**7}}, "body.params.n_sims", "less than or equal"),
    ({"method": "spillover", "datasets": {"data": "abcdef"}, "params": {"lags": "guess"}}, "body.params.lags", ""),
    ({"method": "teleport"}, "body", "method must be one of monitor, fce"),
])
def test_bodies_and_parameters_are_checked(client, body, where, message):
    res = run(client, body)
    assert res.status_code == 422, res.text
    assert res.json()["detail"].startswith(where) and message in res.json()["detail"], res.json()


def test_unknown_datasets_and_systems_are_404_and_a_system_is_not_a_table(client):
    did = upload_sample(client, "zibo_sample.csv", "panel")
    res = run(client, {"method": "monitor", "datasets": {"data": "0123456789ab"}})
    assert res.status_code == 404 and "0123456789ab" in res.json()["detail"]
    res = run(client, {"method": "monitor", "datasets": {"data": did}, "params": {"system": "nowhere"}})
    assert res.status_code == 404 and "no system 'nowhere'" in res.json()["detail"]
    sid = upload(client, "custom.yaml", custom_yaml().encode()).json()["id"]
    res = run(client, {"method": "monitor", "datasets": {"data": sid}})
    assert res.status_code == 422 and "datasets.data: dataset" in res.json()["detail"]


def test_pipeline_refusals_are_422_with_the_pipeline_message(client):
    votes = upload_sample(client, "guangxi_votes.csv")
    res = run(client, {"method": "monitor", "datasets": {"data": votes}})
    assert res.status_code == 422 and "missing column(s) 'region'" in res.json()["detail"]
    assert f"dataset {votes} (guangxi_votes.csv)" in res.json()["detail"]
    res = run(client, {"method": "fce"})  # neither votes nor data
    assert res.status_code == 422 and "give exactly one of votes or data" in res.json()["detail"]


def test_the_monitor_s_first_body_still_works(client):
    did = upload_sample(client, "zibo_sample.csv", "panel")
    res = run(client, {"dataset_id": did, "preset": "zibo", "method": "fce"})
    assert res.status_code == 201, res.text
    detail = client.get(f"/api/runs/{res.json()['id']}", headers=bearer(READER)).json()
    assert detail["meta"]["kind"] == "monitor" and '"method": "fce"' in detail["parameters"]


# ------------------------------------------------------------------------- uploaded indicator systems
def test_an_uploaded_system_runs_the_monitor_and_fce_with_its_own_numbers(client, store, tmp_path):
    data = upload_sample(client, "zibo_sample.csv", "panel")
    res = upload(client, "zibo_custom.yaml", custom_yaml().encode(), kind="system")
    assert res.status_code == 201 and res.json()["kind"] == "system", res.text
    sid = res.json()["id"]
    path = tmp_path / "zibo_custom.yaml"
    path.write_text(custom_yaml(), encoding="utf-8")
    custom = load_system(path)  # as the CLI reads the file
    for method in ("monitor", "fce"):
        body = {"method": method, "datasets": {"data": data}, "params": {"system": sid}}
        res = run(client, body)
        assert res.status_code == 201, res.text
        assert "zibo_custom" in res.json()["label"]
        stored = store.load(res.json()["id"])
        assert stored.system.id == "zibo_custom"
        expected = run_method(method, {"data": sample_frame("zibo_sample.csv")}, {"system": custom})
        for name, table in expected.tables().items():
            pd.testing.assert_frame_equal(stored.tables()[name].reset_index(drop=True), table.reset_index(drop=True),
                                          check_dtype=False, rtol=1e-12, obj=f"{method}.{name}")
    preset = run(client, {"method": "monitor", "datasets": {"data": data}, "params": {"system": "zibo"}}).json()
    first = store.load(preset["id"]).tables()["scores"]["total"].iloc[0]
    assert first != pytest.approx(expected.tables()["scores"]["total"].iloc[0])  # the custom weights count
    res = run(client, {"method": "early_warning", "datasets": {"events": data}, "params": {"system": sid}})
    assert res.status_code == 422 and "shipped preset only" in res.json()["detail"]


@pytest.mark.parametrize("content", [
    b"id: x\n\tname_zh: a\n",  # a tab
    b"id: x\nname_zh: [unclosed\n",
    b"- just\n- a list\n",
    b"id: x\nname_zh: a\nname_en: b\nchildren: []\n",
    zibo_yaml().replace("weight: 0.0452", "weight: lots").encode(),
    zibo_yaml().replace("id: zibo\n", "id: zibo\nunknown_key: 1\n", 1).encode(),
    b"\x00\x01binary",
    "id: 甲\nname_zh: 乙\n".encode("gbk") + b"name_en: x\nchildren: []\n",
])
def test_system_uploads_fail_with_the_cli_messages(client, tmp_path, content):
    path = tmp_path / "mine.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as cli:
        load_system(path)
    res = upload(client, "mine.yaml", content, kind="system")
    assert res.status_code == 422, res.text
    assert res.json()["detail"] == str(cli.value).replace(str(path), "mine.yaml")


def test_hostile_system_uploads(client):
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    res = upload(client, "bomb.yaml", bomb.encode(), kind="system")
    assert res.status_code == 422 and "expands to more than" in res.json()["detail"]
    res = upload(client, "deep.yaml", b"[" * 50_000, kind="system")
    assert res.status_code == 422 and "nested too deeply" in res.json()["detail"]
    res = upload(client, "big.yaml", b"# " + b"x" * SYSTEM_MAX_BYTES, kind="system")
    assert res.status_code == 413 and "KB" in res.json()["detail"]
    res = upload(client, "evil.yaml", b"!!python/object/apply:os.system ['echo hi']\n", kind="system")
    assert res.status_code == 422 and "not valid YAML" in res.json()["detail"]
    assert upload(client, "table.csv", b"a,b\n1,2\n", kind="system").status_code == 415
    assert client.get("/api/datasets", headers=bearer()).json() == []  # nothing was stored


# ------------------------------------------------------------------------- run pages
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One stored run of every method (saved directly) and a client logged in as a reader."""
    store = Store(tmp_path_factory.mktemp("pages") / "runs.duckdb")
    ids = {}
    for method, tables, params in [
        ("monitor", {"data": sample_frame("zibo_sample.csv")}, {"system": "zibo"}),
        ("fce", {"votes": sample_frame("guangxi_votes.csv")}, {}),
        ("contagion", {"banks": sample_frame("network/banks.csv"), "edges": sample_frame("network/edges.csv")},
         {"shock": 0.2, "region": "SH"}),
        ("early_warning", {"events": sample_frame("banks/failures.csv")}, {}),
    ]:
        ids[method] = store.save(run_method(method, tables, params), method)
    client = TestClient(create_app(store, TOKENS), raise_server_exceptions=False)
    client.post("/login", data={"token": READER})
    return client, store, ids


def _texts(fragment: str) -> list[str]:
    return [html.unescape(t).strip() for t in re.findall(r"<t[dh](?:\s[^>]*)?>(.*?)</t[dh]>", fragment, re.S)]


@pytest.mark.parametrize("method", ["monitor", "fce", "contagion", "early_warning"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_run_pages_show_the_report_s_section_under_the_drill_down(runs, method, lang):
    client, store, ids = runs
    page = client.get(f"/runs/{ids[method]}?lang={lang}")
    assert page.status_code == 200
    text = page.text
    assert text.index('id="drill"') < text.index('id="section"') < text.index('id="tables"')
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}"' in text
    section = run_section(store.run(ids[method]), lang)  # what `finstab report` renders
    body = text[text.index('id="section"'):text.index('id="tables"')]
    for block in section.blocks:
        if block.kind == "image":
            assert block.content in body
        elif block.kind == "images":
            assert all(src in body for src in block.content)
        elif block.kind == "table":
            assert " ".join(_texts(block.content)) in " ".join(_texts(body))
        else:
            assert str(block.content) in html.unescape(body)
    assert section.title in html.unescape(text)
    scripts = re.findall(r"<script[^>]*>", text)
    assert scripts == ['<script src="/assets/tables.js" defer>']  # no inline script: the CSP forbids it
    assert ("完整表格" in text) == (lang == "zh") and ("Full tables" in text) == (lang == "en")


def test_drill_down_filters_the_full_tables(runs):
    client, _, ids = runs
    page = client.get(f"/runs/{ids['contagion']}?region=SH&lang=en").text
    assert '<option value="SH" selected>Shanghai (SH)</option>' in page
    banks = page.split('id="table-banks"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", banks.split("<tbody>")[1])
    assert len(rows) == 9 and all(">SH<" in r for r in rows)
    assert "9 / 200" in page


def test_static_assets_and_the_page_script(runs):
    client, _, _ = runs
    js = client.get("/assets/tables.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "table.data" in js.text and "http" not in js.text
    css = client.get("/assets/site.css")
    assert css.status_code == 200 and "finstab-cjk" in css.text
    assert client.get("/assets/../app.py").status_code == 404
    assert client.get("/assets/app.py").status_code == 404


# ------------------------------------------------------------------------- errors: pages and JSON
def is_page(res):
    return res.headers["content-type"].startswith("text/html") and 'id="error-box"' in res.text


def test_errors_are_pages_for_people_and_json_for_programs(runs):
    client, _, ids = runs
    res = client.get("/runs/0123456789ab")
    assert res.status_code == 404 and is_page(res) and 'id="back"' in res.text
    res = client.get("/nowhere?lang=en")
    assert res.status_code == 404 and is_page(res) and "Not found" in res.text
    res = client.get(f"/runs/{ids['monitor']}?lang=fr")
    assert res.status_code == 422 and is_page(res) and "lang" in res.text
    for path in ("/api/runs/0123456789ab", "/api/nowhere", f"/runs/{'0' * 12}/excel"):
        res = client.get(path)
        assert res.status_code == 404 and res.headers["content-type"] == "application/json", path
    res = client.get(f"/runs/{'0' * 12}/report", headers={"Accept": "text/html,*/*"})
    assert res.status_code == 404 and is_page(res)  # a browser following the link
    res = client.post("/run", data={"method": "fce"}, headers={"Origin": HOST})  # a reader may not run
    assert res.status_code == 403 and is_page(res)
    fresh = TestClient(client.app)
    res = fresh.get(f"/runs/{ids['monitor']}", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login"
    res = fresh.post("/run", data={"method": "fce"})
    assert res.status_code == 401 and is_page(res) and 'id="relogin"' in res.text


def test_run_form_errors_are_pages(client):
    client.post("/login", data={"token": ANALYST})
    res = client.post("/run", data={"method": "monitor", "ds.data": "", "p.alpha": "2"},
                      headers={"Referer": f"{HOST}/"})
    assert res.status_code == 422 and is_page(res)
    assert "datasets.data" in res.text and "params.alpha" in res.text and 'href="/"' in res.text
    votes = upload_sample(client, "guangxi_votes.csv")
    res = client.post("/run", data={"method": "monitor", "ds.data": votes})
    assert res.status_code == 422 and is_page(res) and "missing column(s)" in html.unescape(res.text)
    res = client.post("/upload", files={"file": ("x.txt", b"a")})
    assert res.status_code == 415 and is_page(res)
    res = client.post("/upload", files={"file": ("big.csv", b"x" * 2_200_000)})
    assert res.status_code == 413 and is_page(res)
    assert "default-src 'self'" in res.headers["content-security-policy"]


def test_internal_errors_and_a_busy_store(client, monkeypatch):
    client.post("/login", data={"token": ANALYST})

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("finstab.web.pages.method_catalogue", broken)
    res = client.get("/")
    assert res.status_code == 500 and is_page(res) and "secret internals" not in res.text
    assert res.headers["x-frame-options"] == "DENY"
    monkeypatch.setattr("finstab.web.api.method_catalogue", broken)
    res = client.get("/api/methods", headers=bearer())
    assert res.status_code == 500 and res.json() == {"detail": "internal error"}

    def busy(*args, **kwargs):
        raise StoreUnavailable("busy: another process kept the store open", where="store")

    monkeypatch.setattr(Store, "runs", busy)
    res = client.get("/", follow_redirects=False)
    assert res.status_code == 503 and is_page(res) and res.headers["retry-after"] == "5"
    res = client.get("/api/runs", headers=bearer())
    assert res.status_code == 503 and "busy" in res.json()["detail"]
