"""Reports of stored runs: provenance, tables, and the monitor's trend chart; PDF via Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from finstab.core.errors import ConfigError
from finstab.core.io import atomic_write
from finstab.report.html import Section, write_report
from finstab.report.sections import section_for
from finstab.store.database import StoredRun

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
REPORT_TITLE = {"zh": "finstab 分析报告", "en": "finstab analysis report"}


def run_section(stored: StoredRun, lang: str = "zh") -> Section:
    """The section a stored run's kind renders (as in the demo), tagged with the run id and label."""
    meta = stored.meta
    sec = section_for(stored.result(), lang, anchor=f"run-{meta['id']}")
    sec.title = f"{sec.title} — {meta['label']}"
    sec.provenance.append(f"run {meta['id']} | {meta['created']}")
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


def write_run_report(stored: StoredRun | list[StoredRun], out_dir: str | Path, lang: str = "zh",
                     pdf: bool = False) -> list[Path]:
    """One HTML report (and PDF) of one or several stored runs, each with its kind's section."""
    runs = stored if isinstance(stored, list) else [stored]
    sections = [run_section(r, lang) for r in runs]
    title = sections[0].title if len(sections) == 1 else f"{REPORT_TITLE[lang]} ({len(sections)})"
    name = "report_" + "_".join(r.meta["id"] for r in runs[:4]) + ("_more" if len(runs) > 4 else "")
    html = write_report(Path(out_dir) / f"{name}.html", title, sections, lang)
    return [html, html_to_pdf(html, html.with_suffix(".pdf"))] if pdf else [html]
