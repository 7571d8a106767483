"""Every method in a real browser (Playwright driving the system Chromium headless, one browser for
the module): log in, upload the sample files, run the method from its form, read the run page
(the report's section under the drill-down, full tables sorted and paginated by the page's
script), drill down, download the workbook, and meet the friendly error page when the method
refuses its input. Each run page is saved as a screenshot in the test's tmp folder; every text
on every page is drawn with the embedded CJK face, and nothing is blocked by the page's CSP."""

from __future__ import annotations

import io
import re
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")

from web_cases import CASES, sample_files  # noqa: E402

from browser_support import FLAGS, require_chromium  # noqa: E402
from finstab.pipelines.methods import METHODS  # noqa: E402
from finstab.samples import sample_path  # noqa: E402
from finstab.store.database import Store  # noqa: E402
from finstab.web.app import create_app  # noqa: E402

TOKEN = "browser-analyst-token-42"
READER = "browser-reader-token-42"

CHROMIUM = require_chromium()

#: every element with text of its own (and every form control) is drawn with the finstab CJK face
FONT_CHECK = """async () => {
  await document.fonts.ready;
  const faces = [...document.fonts].filter(f => f.family.replace(/["']/g, "") === "finstab-cjk");
  const own = el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const controls = new Set(["INPUT", "SELECT", "BUTTON", "TEXTAREA", "OPTION"]);
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll("body, body *")) {
    if (!own(el) && !controls.has(el.tagName)) continue;
    checked += 1;
    const family = getComputedStyle(el).fontFamily.replace(/["']/g, "");
    if (!family.startsWith("finstab-cjk")) bad.push(el.tagName + ": " + family);
  }
  return {faces: faces.map(f => f.status), checked: checked, bad: bad.slice(0, 5),
          body: getComputedStyle(document.body).fontFamily};
}"""


def assert_cjk_font(page) -> None:
    found = page.evaluate(FONT_CHECK)
    assert "loaded" in found["faces"], found  # the face was downloaded and used
    assert found["checked"] > 5 and not found["bad"], found
    assert found["body"].replace('"', "").startswith("finstab-cjk"), found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    store = Store(tmp_path_factory.mktemp("web") / "methods.duckdb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(store, {TOKEN: "analyst", READER: "read"}, max_upload_bytes=4 * 1024 * 1024)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def session(server, browser):
    """A logged-in analyst's page, with every sample file uploaded through the upload form."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{server}/")
    assert page.url.endswith("/login")
    assert_cjk_font(page)
    page.fill("#token", TOKEN)
    page.click("#login")
    page.wait_for_selector("#file")
    ids: dict[str, str] = {}
    for name, kind in sample_files().items():
        page.set_input_files("#file", str(sample_path(name)))
        page.select_option("#kind", kind)
        page.click("#upload")
        message = page.wait_for_selector("#message").inner_text()
        ids[name] = re.search(r"[0-9a-f]{12}", message).group(0)
    assert_cjk_font(page)
    yield page, ids, blocked
    context.close()


def open_form(page, server, method):
    page.goto(f"{server}/")
    page.click(f"#method-{method} summary")


def fill_form(page, method, uploads: dict[str, str], params: dict, ids: dict[str, str]) -> None:
    for name, file in uploads.items():
        page.select_option(f"#{method}-ds-{name}", ids[file])
    for key, value in params.items():
        field = page.locator(f"#{method}-p-{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def test_every_method_is_offered(session, server):
    page, _, _ = session
    page.goto(f"{server}/")
    for method in METHODS:
        assert page.locator(f"#form-{method}").count() == 1, method


@pytest.mark.parametrize("method", list(CASES))
def test_run_drill_download_and_error_page(session, server, method, tmp_path):
    page, ids, blocked = session
    case = CASES[method]
    open_form(page, server, method)
    fill_form(page, method, {k: f for k, (f, _) in case.uploads.items()}, case.params, ids)
    page.click(f"#run-{method}")
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{12}$"))
    page.wait_for_selector("#section")
    run_url = page.url

    # the report's section, with the drill-down above it; no text dump at the top
    assert page.locator("#section img, #section table").count() >= 1
    top = {sel: page.locator(sel).bounding_box()["y"] for sel in ("#drill", "#section", "#tables")}
    assert top["#drill"] < top["#section"] < top["#tables"], top
    assert page.locator("#summary").get_attribute("open") is None  # the text summary stays folded
    assert_cjk_font(page)
    page.screenshot(path=str(tmp_path / f"{method}.png"), full_page=True)

    # full tables: paginated and sortable by the page's script
    long = [t for t in page.locator("table.data").all() if t.locator("tbody tr").count() > 25]
    if long:
        table = long[0]
        assert table.locator("tbody tr:not(.hidden)").count() == 25
        pager = page.locator(f".pager[data-for='{table.get_attribute('id')}']")
        pager.locator("button.next").click()
        assert "2 /" in pager.locator(".info").inner_text()
    numeric = page.locator("table.data th[data-kind='num']").first
    if numeric.count():
        table_id = numeric.evaluate("th => th.closest('table').id")
        col = numeric.evaluate("th => th.cellIndex")
        numeric.click()
        numeric.click()  # descending
        values = page.evaluate(
            """([id, col]) => [...document.getElementById(id).tBodies[0].rows].map(r => r.cells[col])
                 .filter(c => c && c.hasAttribute('data-v')).map(c => parseFloat(c.getAttribute('data-v')))""",
            [table_id, col])
        assert values == sorted(values, reverse=True), (table_id, values[:10])

    # drill-down at the top: pick a value, every filtered table shows only that value
    column, value = case.drill
    page.select_option(f"#filter-{column}", value)
    page.click("#drill-go")
    page.wait_for_url(re.compile(rf".*{column}={value}.*"))
    hint = page.inner_text("#tables")
    assert "已筛选" in hint and f"{column}={value}" in hint
    assert page.locator(f"#filter-{column}").input_value() == value
    counts = [re.search(r"(\d+) / (\d+)", h) for h in page.locator("#tables ~ h3 .hint").all_inner_texts()]
    assert any(m and 0 < int(m.group(1)) < int(m.group(2)) for m in counts), counts
    assert_cjk_font(page)

    # the same page in English: the section, headers and grades in English, the same fonts
    page.click("#lang-switch")
    page.wait_for_url(re.compile(r".*lang=en.*"))
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Full tables" in page.inner_text("#tables")
    assert_cjk_font(page)
    page.screenshot(path=str(tmp_path / f"{method}-en.png"), full_page=True)

    # the workbook the CLI writes
    page.goto(run_url)
    with page.expect_download() as info:
        page.click("#excel")
    saved = tmp_path / f"{method}.xlsx"
    info.value.save_as(saved)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(saved.read_bytes()), read_only=True)
    assert len(book.sheetnames) >= 2

    # the method refusing its input: a friendly page with a way back, not JSON
    open_form(page, server, method)
    bad_uploads = {k: f for k, (f, _) in case.uploads.items()} | case.bad_uploads
    fill_form(page, method, bad_uploads, {**case.params, **case.bad_params}, ids)
    page.click(f"#run-{method}")
    page.wait_for_selector("#error-box")
    assert "422" in page.inner_text("h1") and page.locator("#error-detail").inner_text().strip()
    assert_cjk_font(page)
    page.screenshot(path=str(tmp_path / f"{method}-error.png"), full_page=True)
    page.click("#back")
    page.wait_for_selector(f"#form-{method}", state="attached")
    assert not blocked, blocked


def test_error_pages_for_people(session, server, browser):
    page, _, _ = session
    page.goto(f"{server}/runs/0123456789ab?lang=en")
    assert "Not found" in page.inner_text("h1") and page.locator("#back").count() == 1
    assert_cjk_font(page)
    page.goto(f"{server}/runs/0123456789ab?lang=fr")
    assert "422" in page.inner_text("h1")
    reader = browser.new_page()
    reader.goto(f"{server}/login")
    reader.fill("#token", READER)
    reader.click("#login")
    reader.wait_for_selector("#nav-runs")
    assert reader.locator("#form-monitor").count() == 0  # readers cannot run
    response = reader.request.post(f"{server}/run", form={"method": "fce"}, headers={"Origin": server})
    assert response.status == 403 and "text/html" in response.headers["content-type"]
    reader.close()


def test_custom_system_upload_and_run(session, server, tmp_path):
    page, ids, blocked = session
    from importlib import resources

    text = (resources.files("finstab.monitor.systems.presets") / "zibo.yaml").read_text(encoding="utf-8")
    custom = tmp_path / "my_system.yaml"
    custom.write_text(text.replace("id: zibo\n", "id: my_zibo\n", 1)
                      .replace("name_zh: 淄博区域金融风险监测体系", "name_zh: 我的监测体系", 1), encoding="utf-8")
    page.goto(f"{server}/")
    page.set_input_files("#file", str(custom))
    page.select_option("#kind", "system")
    page.click("#upload")
    sid = re.search(r"[0-9a-f]{12}", page.wait_for_selector("#message").inner_text()).group(0)
    page.click("#method-monitor summary")
    page.select_option("#monitor-ds-data", ids["zibo_sample.csv"])
    page.select_option("#monitor-p-system", sid)
    page.click("#run-monitor")
    page.wait_for_selector("#section")
    assert "我的监测体系" in page.inner_text("#run-title")
    assert_cjk_font(page)
    page.screenshot(path=str(tmp_path / "custom-system.png"))

    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nname_zh: 甲\nname_en: x\nchildren: []\n", encoding="utf-8")
    page.goto(f"{server}/")
    page.set_input_files("#file", str(broken))
    page.select_option("#kind", "system")
    page.click("#upload")
    page.wait_for_selector("#error-box")
    detail = page.inner_text("#error-detail")
    assert detail.startswith("broken.yaml: invalid configuration") and "children" in detail
    assert not blocked, blocked


def test_a_chinese_page_fetches_the_common_font_and_a_rare_character_the_whole_one(server, browser):
    context = browser.new_context()
    page = context.new_page()
    fonts: list[str] = []
    page.on("request", lambda r: fonts.append(r.url.rsplit("/", 1)[1]) if "/assets/cjk-font" in r.url else None)
    page.goto(f"{server}/login")
    page.evaluate("document.fonts.ready")
    assert fonts == ["cjk-font.css", "cjk-font-common"]  # 1.9 MB instead of 16 MB for everyday Chinese
    page.evaluate("""async () => {
      const p = document.createElement("p"); p.id = "rare"; p.textContent = "冚"; document.body.append(p);
      await document.fonts.load("16px finstab-cjk", "冚"); await document.fonts.ready; }""")
    assert fonts[-1] == "cjk-font"  # a character outside GB 2312: the whole font, still no tofu
    context.close()
