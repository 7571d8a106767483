"""Reports of stored runs: provenance, tables, and the monitor's trend chart; PDF via Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from finstab.core.errors import ConfigError
from finstab.core.io import atomic_write
from finstab.mcda.scoring import FIVE_GRADES
from finstab.report.charts import trend_chart
from finstab.report.html import Section, write_report
from finstab.store.database import StoredRun

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def run_section(stored: StoredRun, lang: str = "zh", max_rows: int = 60) -> Section:
    meta = stored.meta
    sec = Section(f"run-{meta['id']}", f"{meta['kind']}: {meta['label']}", synthetic=bool(meta["synthetic"]))
    sec.text(meta["summary"])
    scores = stored.tables.get("scores")
    if meta["kind"] == "monitor" and scores is not None and "total" in scores:
        level1 = [c for c in scores.columns if c not in ("region", "period", "grade")][:6]
        for region, frame in list(scores.groupby("region", sort=False))[:4]:
            sec.image(trend_chart(frame, {c: c for c in level1}, FIVE_GRADES, str(region)), alt=f"trend {region}")
    for name, table in stored.tables.items():
        sec.text(f"{name}: {len(table)} rows" + (f" (first {max_rows})" if len(table) > max_rows else ""))
        sec.table(table.head(max_rows), digits=4)
    sec.provenance.append(f"run {meta['id']} | finstab {meta['version']} | config {meta['config_hash']} | "
                          f"data {meta['data_hash']} | {meta['created']} | parameters {meta['parameters']}")
    return sec


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print an HTML file to PDF with headless Chromium."""
    exe = next((shutil.which(c) for c in CHROMIUM if shutil.which(c)), None)
    if exe is None:
        raise ConfigError("PDF export needs Chromium (apt-get install chromium)", where="--pdf")

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory() as profile:
            try:
                done = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                       "--disable-background-networking", "--disable-component-update",
                                       "--disable-sync", f"--user-data-dir={profile}", "--no-pdf-header-footer",
                                       f"--print-to-pdf={tmp}", html.resolve().as_uri()],
                                      capture_output=True, timeout=120, check=False)
            except subprocess.TimeoutExpired:
                raise ConfigError(f"{exe} did not finish printing {html} within 120 s", where="--pdf") from None
            if done.returncode != 0 or not tmp.stat().st_size:
                tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
                raise ConfigError(f"{exe} could not print {html}: {tail[0]}", where="--pdf")
    return atomic_write(pdf, write)


def write_run_report(stored: StoredRun, out_dir: str | Path, lang: str = "zh", pdf: bool = False) -> list[Path]:
    out = Path(out_dir)
    html = write_report(out / f"report_{stored.meta['id']}.html", f"finstab run {stored.meta['id']}",
                        [run_section(stored, lang)], lang)
    return [html, html_to_pdf(html, html.with_suffix(".pdf"))] if pdf else [html]
