"""Hostile input against the web app: CSRF, sessions, login rate limit, headers, body limits,
damaged or hostile uploads, upload validation with the CLI's messages, tokens files."""

import asyncio
import io
import json
import warnings
import zipfile

import pandas as pd
import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from finstab.core.errors import ConfigError, DataError  # noqa: E402
from finstab.pipelines import run_monitor  # noqa: E402
from finstab.samples import sample_frame  # noqa: E402
from finstab.store.database import Store  # noqa: E402
from finstab.web import uploads  # noqa: E402
from finstab.web.app import COOKIE, create_app  # noqa: E402
from finstab.web.auth import load_tokens, parse_tokens  # noqa: E402

ANALYST, READER = "analyst-token-0123456789", "reader-token-0123456789"
TOKENS = {ANALYST: "analyst", READER: "read"}
HOST = "http://testserver"
EVIL = "https://evil.example"


@pytest.fixture
def app(tmp_path):
    return create_app(Store(tmp_path / "sec.duckdb"), TOKENS, max_upload_bytes=1_000_000)


@pytest.fixture
def client(app):
    return TestClient(app, raise_server_exceptions=False)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def logged_in(client, token=ANALYST):
    res = client.post("/login", data={"token": token}, follow_redirects=False)
    assert res.status_code == 303, res.text
    return client


def long_csv(rows):
    frame = pd.DataFrame(rows, columns=["region", "period", "indicator", "value"])
    return frame.to_csv(index=False).encode()


def zibo_csv(**changes) -> bytes:
    """The Zibo sample as plain CSV (no comment lines), with some values replaced."""
    frame = sample_frame("zibo_sample.csv").drop(columns="source")
    for (row, col), value in changes.get("cells", {}).items():
        frame[col] = frame[col].astype(object)
        frame.loc[row, col] = value
    if changes.get("duplicate"):  # the same key with another value (identical repeats are dropped with a warning)
        frame = pd.concat([frame, frame.iloc[[3]].assign(value=lambda f: f["value"] + 1)], ignore_index=True)
    return frame.to_csv(index=False).encode()


def upload(client, name, data, headers=None):
    return client.post("/api/datasets", files={"file": (name, data, "application/octet-stream")},
                       headers=headers if headers is not None else bearer(ANALYST))


# ------------------------------------------------------------------------- CSRF and sessions
def test_cookie_posts_from_a_foreign_origin_are_refused(client):
    logged_in(client)
    data = zibo_csv()
    for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/page"}, {"Origin": "null"}):
        res = client.post("/api/datasets", files={"file": ("z.csv", data)}, headers=headers)
        assert res.status_code == 403 and "cross-site" in res.json()["detail"], headers
        assert client.post("/upload", files={"file": ("z.csv", data)}, headers=headers).status_code == 403
        assert client.post("/run", data={"dataset_id": "abcdef", "preset": "zibo"}, headers=headers).status_code == 403
    assert client.get("/api/datasets").json() == []  # nothing was stored
    ok = client.post("/api/datasets", files={"file": ("z.csv", data)}, headers={"Origin": HOST})
    assert ok.status_code == 201, ok.text
    did = ok.json()["id"]
    run = client.post("/run", data={"dataset_id": did, "preset": "zibo"}, headers={"Referer": f"{HOST}/"},
                      follow_redirects=False)
    assert run.status_code == 303 and run.headers["location"].startswith("/runs/")


def test_token_in_header_needs_no_origin_check(client):
    res = upload(client, "z.csv", zibo_csv(), headers={**bearer(ANALYST), "Origin": EVIL})
    assert res.status_code == 201, res.text


def test_login_from_a_foreign_page_is_refused(client):
    res = client.post("/login", data={"token": ANALYST}, headers={"Origin": EVIL}, follow_redirects=False)
    assert res.status_code == 403 and COOKIE not in res.headers.get("set-cookie", "")


def test_session_cookie_is_signed_and_expires(client, monkeypatch):
    res = logged_in(client, READER).get("/api/runs")
    assert res.status_code == 200
    value = client.cookies.get(COOKIE)
    assert READER not in value
    client.cookies.set(COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert client.get("/api/runs").status_code == 401  # tampered
    client.cookies.set(COOKIE, READER)
    assert client.get("/api/runs").status_code == 401  # a raw token is not a session
    client.cookies.set(COOKIE, value)
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + 9 * 3600)
    assert client.get("/api/runs").status_code == 401  # 9 h later: expired (sessions last 8 h)


def test_secure_cookie_over_https(client):
    res = client.post("/login", data={"token": ANALYST}, headers={"X-Forwarded-Proto": "https"},
                      follow_redirects=False)
    assert res.status_code == 303 and "secure" in res.headers["set-cookie"].lower()
    https = TestClient(client.app, base_url="https://testserver")
    res = https.post("/login", data={"token": ANALYST}, follow_redirects=False)
    assert "secure" in res.headers["set-cookie"].lower()


def test_login_is_rate_limited(client):
    for _ in range(5):
        assert client.post("/login", data={"token": "wrong-token-000000"}).status_code == 401
    res = client.post("/login", data={"token": ANALYST}, follow_redirects=False)
    assert res.status_code == 429 and int(res.headers["Retry-After"]) > 0
    assert "too many failed logins" in res.text and ANALYST not in res.text


def test_security_headers_everywhere(client):
    for res in (client.get("/login"), client.get("/api/runs"), client.get("/api/runs", headers=bearer(READER)),
                client.get("/nowhere"), upload(client, "big.csv", b"x" * 1_200_000)):
        h = res.headers
        assert "default-src 'self'" in h["content-security-policy"] and "frame-ancestors 'none'" in h[
            "content-security-policy"], res.url
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"


# ------------------------------------------------------------------------- request size
def test_body_limit_by_content_length_and_while_streaming(client):
    res = upload(client, "big.csv", b"x" * 1_200_000)
    assert res.status_code == 413 and res.json()["detail"].startswith("request body larger than")

    def chunks():  # no Content-Length: the limit must hold while the body streams in
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
        for _ in range(100):
            yield b"y" * 20_000

    res = client.post("/api/datasets", content=chunks(), headers={
        **bearer(ANALYST), "Content-Type": "multipart/form-data; boundary=b"})
    assert res.status_code == 413, res.text
    res = client.post("/api/runs", content=b"{" + b" " * 100_000 + b"}",
                      headers={**bearer(ANALYST), "Content-Type": "application/json"})
    assert res.status_code == 413
    assert client.post("/api/runs", content=b"{}", headers={**bearer(ANALYST), "Content-Length": "x1",
                                                            "Content-Type": "application/json"}).status_code == 400


# ------------------------------------------------------------------------- hostile uploads
def xlsx(sheet: str, shared: str | None = None) -> bytes:
    """A minimal workbook around a sheet's XML (built by hand, so tests can make it hostile)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


BOMB = "<!DOCTYPE lolz [<!ENTITY a0 \"lol\">" + "".join(
    f"<!ENTITY a{i} \"{f'&a{i - 1};' * 10}\">" for i in range(1, 10)) + "]>"


def sheet_xml(rows: list[list], prolog: str = "") -> str:
    def cell(v):
        if isinstance(v, str):
            return f'<c t="inlineStr"><is><t>{v}</t></is></c>'
        return f"<c><v>{v}</v></c>"

    body = "".join(f"<row>{''.join(cell(v) for v in r)}</row>" for r in rows)
    return (f'<?xml version="1.0"?>{prolog}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            f'2006/main"><sheetData>{body}</sheetData></worksheet>')


def test_a_hand_made_workbook_is_read(client):
    rows = [["region", "period", "x"], ["A", 2020, 1.5], ["B", 2020, 2.5]]
    res = upload(client, "ok.xlsx", xlsx(sheet_xml(rows)))
    assert res.status_code == 201, res.text
    assert res.json()["rows"] == 2


@pytest.mark.parametrize(("name", "data", "status", "message"), [
    ("cut.xlsx", xlsx(sheet_xml([["region", "period", "x"], ["A", 2020, 1]]))[:300], 422, "damaged or truncated"),
    ("bomb.xlsx", xlsx(sheet_xml([["region", "period"], ["&a9;", 2020]], prolog=BOMB)), 422, "XML entities"),
    ("many.xlsx", xlsx(sheet_xml([["region", "period", "x"]] + [["A", k, 1] for k in range(120_000)])), 413,
     "rows"),
    ("binary.csv", bytes(range(256)) * 10, 422, "binary"),
    ("empty.csv", b"", 422, "empty"),
    ("notzip.xlsx", b"region,period\nA,1\n", 422, "not a readable .xlsx"),
    ("dupcols.csv", b"region,period,x,x\nA,2020,1,2\n", 201, None),  # pandas renames the second x.1
])
def test_hostile_uploads_give_clear_4xx(client, name, data, status, message):
    res = upload(client, name, data)
    assert res.status_code == status, res.text
    if message:
        assert message in res.json()["detail"] and name in res.json()["detail"]


def test_parsing_runs_off_the_event_loop(client, monkeypatch):
    seen = []
    real = uploads.parse_upload

    def spy(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("worker thread")
        return real(*args, **kwargs)

    monkeypatch.setattr("finstab.web.app.parse_upload", spy)
    assert upload(client, "z.csv", zibo_csv()).status_code == 201
    assert seen == ["worker thread"]


@pytest.mark.parametrize("change", [
    {"cells": {(4, "value"): "abc"}},
    {"cells": {(4, "value"): float("nan")}},
    {"cells": {(4, "value"): "inf"}},
    {"duplicate": True},
])
def test_uploads_are_validated_with_the_cli_messages(client, tmp_path, change):
    data = zibo_csv(**change)
    path = tmp_path / "panel.csv"
    path.write_bytes(data)
    with pytest.raises(DataError) as cli:
        run_monitor("zibo", path)
    res = upload(client, "panel.csv", data)
    assert res.status_code == 422, res.text
    assert res.json()["detail"] == str(cli.value).replace(str(path), "panel.csv")


def test_mathtext_region_names_do_not_break_anything(client):
    frame = sample_frame("zibo_sample.csv").drop(columns="source")
    frame["region"] = r"$\undefinedmacro$"
    did = upload(client, "tex.csv", frame.to_csv(index=False).encode()).json()["id"]
    run = client.post("/api/runs", json={"dataset_id": did, "preset": "zibo"}, headers=bearer(ANALYST))
    assert run.status_code == 201, run.text
    rid = run.json()["id"]
    for path in (f"/runs/{rid}", f"/runs/{rid}/excel", f"/api/runs/{rid}"):
        assert client.get(path, headers=bearer(READER)).status_code == 200, path
    report = client.get(f"/runs/{rid}/report", headers=bearer(READER))
    assert report.status_code == 200 and r"$\undefinedmacro$" in report.text


def test_ids_with_a_trailing_newline_are_not_ids(client):
    did = upload(client, "z.csv", zibo_csv()).json()["id"]
    rid = client.post("/api/runs", json={"dataset_id": did, "preset": "zibo"}, headers=bearer(ANALYST)).json()["id"]
    assert client.get(f"/api/runs/{rid}", headers=bearer(READER)).status_code == 200
    for path in (f"/api/runs/{rid}%0A", f"/runs/{rid}%0A", f"/runs/{rid}%0A/excel"):
        assert client.get(path, headers=bearer(READER)).status_code in (404, 422), path
    res = client.post("/api/runs", json={"dataset_id": did + "\n", "preset": "zibo"}, headers=bearer(ANALYST))
    assert res.status_code == 422 and res.json()["detail"].startswith("body.dataset_id")


# ------------------------------------------------------------------------- docs and schema
def test_docs_are_served_locally_and_the_schema_declares_security(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "//" not in page.text.replace("http://", "").replace("https://", "")
    for src in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/init.js"):
        if src in page.text:
            assert client.get(src).status_code == 200
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert all(op.get("security") for item in spec["paths"].values() for op in item.values())
    assert "422" in spec["paths"]["/api/runs"]["post"]["responses"]
    err = spec["paths"]["/runs/{run_id}/report"]["get"]["responses"]["404"]["content"]
    assert list(err) == ["application/json"]


def test_every_api_error_is_json_with_a_string_detail(client):
    for res in (client.get("/api/runs"), client.get("/api/runs/zz", headers=bearer(READER)),
                client.get("/api/runs/abcdef", headers=bearer(READER)),
                client.post("/api/runs", json={"preset": 3}, headers=bearer(ANALYST)),
                upload(client, "x.txt", b"a")):
        assert res.headers["content-type"].startswith("application/json")
        assert isinstance(res.json()["detail"], str) and res.json()["detail"], res.text


# ------------------------------------------------------------------------- tokens files
@pytest.mark.parametrize(("content", "message"), [
    (b"- secret-token-aaaaaaaa\n- analyst\n", "expected a mapping {token: role}, found a list"),
    (b"secret-token-aaaaaaaa: [analyst\n", "not valid YAML"),
    (b'{"secret-token-aaaaaaaa": "analyst"', "not valid YAML"),
    (b"\x00\x01secret-token-aaaaaaaa\xff", "binary"),
    (b"\xffsecret-token-aaaaaaaa: analyst", "not UTF-8"),
    (b"secret-token-aaaaaaaa: admin\n", "the role must be one of read, analyst"),
    (b"analyst: secret-token-aaaaaaaa\n", "the role must be one of read, analyst"),
    (b"short: analyst\n", "at least 12 characters"),
    (b"42\n", "found a number"),
])
def test_bad_tokens_files_are_one_clear_error_without_the_token(tmp_path, content, message):
    path = tmp_path / "tokens.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_tokens(path)
    text = str(err.value)
    assert message in text and text.startswith(f"{path}: ")
    assert "secret-token" not in text and "short" not in text.removeprefix(str(path))


def test_tokens_from_json_and_environment(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({ANALYST: "analyst"}))
    assert load_tokens(path) == {ANALYST: "analyst"}
    with pytest.raises(ConfigError) as err:
        parse_tokens("secret-token-bbbbbbbb:root")
    assert "secret-token" not in str(err.value)


def test_serve_with_a_bad_tokens_file_exits_2_with_one_line(tmp_path):
    from typer.testing import CliRunner

    from finstab.cli.main import app as cli

    path = tmp_path / "tokens.yaml"
    path.write_text("- secret-token-aaaaaaaa\n")
    res = CliRunner().invoke(cli, ["serve", "--tokens", str(path), "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 2 and "Traceback" not in res.output and "secret-token" not in res.output
    assert "found a list" in res.output
    res = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "runs.csv")])
    assert res.exit_code == 2 and "a new store file must end in .duckdb" in res.output
