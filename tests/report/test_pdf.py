"""The PDF paginates: a table wider than the page wraps instead of losing columns (read back with pdftotext)."""

import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from finstab.core.results import Result
from finstab.report.html import write_report
from finstab.report.sections import generic_section
from finstab.report.stored import html_to_pdf

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("pdftotext")),
                                reason="needs chromium and pdftotext (poppler-utils)")


@dataclass(frozen=True)
class Wide(Result):
    kind = "wide_test"
    table: pd.DataFrame

    def summary(self) -> str:
        return "wide"

    def tables(self):
        return {"wide": self.table}


def test_wide_table_keeps_every_column(tmp_path):
    columns = [f"indicator_{k:02d}_金融风险" for k in range(28)]
    table = pd.DataFrame(np.arange(5 * 28, dtype=float).reshape(5, 28) + 0.125, columns=columns)
    table.insert(0, "region", [f"地区{k}" for k in range(5)])
    html = write_report(tmp_path / "r.html", "宽表 wide table", [generic_section(Wide(table), "zh", "wide")], "zh")
    pdf = html_to_pdf(html, tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for k in range(28):
        assert f"indicator_{k:02d}" in flat, f"column {k} is missing from the PDF"
    assert "139.12" in flat or "139.13" in flat  # the last cell of the last column
    assert "地区4" in flat  # CJK text is real text, not boxes
