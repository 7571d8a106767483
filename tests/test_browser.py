"""End to end in a real browser: Playwright driving the system Chromium headless."""

import socket
import threading
import time

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")

from browser_support import FLAGS, require_chromium  # noqa: E402
from finstab.samples import sample_path  # noqa: E402
from finstab.store.database import Store  # noqa: E402
from finstab.web.app import create_app  # noqa: E402

TOKEN = "browser-analyst-token-42"

CHROMIUM = require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    store = Store(tmp_path_factory.mktemp("web") / "browser.duckdb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(store, {TOKEN: "analyst"}), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_login_upload_run_download(server, tmp_path):
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(accept_downloads=True)
        blocked = []  # the pages must work under their own Content-Security-Policy
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{server}/")
        assert page.url.endswith("/login")
        page.fill("#token", TOKEN)
        page.click("#login")
        page.wait_for_selector("#file")
        page.set_input_files("#file", str(sample_path("zibo_sample.csv")))
        page.click("#upload")
        did = page.wait_for_selector("#message").inner_text().split()[-1]
        page.click("#method-monitor summary")
        page.select_option("#monitor-ds-data", did)
        page.select_option("#monitor-p-system", "zibo")
        page.click("#run-monitor")
        page.wait_for_selector("#table-scores")
        scores = page.inner_text("#table-scores")
        assert "中度风险" in scores and "Zibo (synthetic)" in scores
        assert "合成" in page.inner_text("#synthetic")
        with page.expect_download() as info:
            page.click("#excel")
        saved = tmp_path / "run.xlsx"
        info.value.save_as(saved)
        assert saved.read_bytes()[:2] == b"PK"
        page.screenshot(path=str(tmp_path / "run.png"))
        assert not blocked, blocked
        browser.close()


def test_api_docs_render_from_local_files(server):
    from finstab.web.app import _swagger_dir

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        blocked, remote = [], []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(server) else None)
        page.goto(f"{server}/docs")
        if _swagger_dir() is not None:  # Swagger UI from the swagger-ui-bundle package
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            assert "/api/runs" in page.inner_text("#swagger-ui")
        else:
            assert "/api/runs" in page.inner_text("table")
        assert not blocked, blocked
        assert not [u for u in remote if not u.startswith("data:")], remote
        browser.close()
