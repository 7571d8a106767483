"""Render the decision memo (:class:`finstab.bank.memo.MemoResult`) as Markdown and HTML.

Every text that comes from data or from the analyst is escaped: the HTML template
autoescapes, and the Markdown renderer escapes ``<``, ``>`` and ``&`` (Markdown viewers
render raw HTML) and the Markdown characters that would make links, code or table cells.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from finstab.bank.memo import MemoResult
from finstab.core.io import write_folder, write_text
from finstab.report.fonts import render_with_cjk

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md_escape(value: object) -> object:
    """Neutralise a value written into Markdown: HTML escaped, Markdown syntax backslashed, one line.

    Examples
    --------
    >>> md_escape("<img src=x onerror=alert(1)> & [link](javascript:x) | a_b")
    '&lt;img src=x onerror=alert(1)&gt; &amp; \\\\[link\\\\](javascript:x) \\\\| a\\\\_b'
    >>> md_escape(3.5)
    3.5
    """
    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    text = html.escape(value, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())


@cache
def _environment(kind: str) -> jinja2.Environment:
    loader = jinja2.PackageLoader("finstab.report", "templates")
    if kind == "html":
        return jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return jinja2.Environment(loader=loader, autoescape=False, finalize=md_escape, trim_blocks=True,
                              lstrip_blocks=True)


def _context(memo: MemoResult) -> dict:
    items = {row["key"]: row for row in memo.items.to_dict("records")}
    wf = memo.waterfall
    return {"m": memo, "items": items, "wf": wf, "lines": wf.absorbed[wf.absorbed["absorbed"] > 0].to_dict("records"),
            "ratios": memo.ratios.to_dict("records"), "evidence": memo.evidence.to_dict("records"),
            "channels": memo.qualitative.to_dict("records"), "provenance": memo.provenance.describe(),
            "synthetic": memo.provenance.synthetic, "warnings": list(memo.warnings)}


def render_markdown(memo: MemoResult) -> str:
    """The memo as Markdown, every item in Chinese and English.

    Examples
    --------
    >>> import warnings
    >>> from finstab.bank.memo import build_memo, load_memo_inputs
    >>> from finstab.bank.screen import read_bank_panel, screen
    >>> from finstab.samples import sample_path
    >>> res = screen(read_bank_panel(sample_path("banks/panel.csv")), threshold=0.002)
    >>> md = render_markdown(build_memo(res, load_memo_inputs(sample_path("banks/memo_inputs.yaml"))))
    >>> md.count("\\n## "), "fund may intervene = **True**" in md
    (8, True)
    """
    return _environment("md").get_template("memo.md.j2").render(**_context(memo))


def render_html(memo: MemoResult, *, embed_font: bool = True) -> str:
    """The memo as one HTML page (escaped; the CJK glyphs it uses embedded unless ``embed_font=False``)."""
    template = _environment("html").get_template("memo.html.j2")
    if embed_font:
        return render_with_cjk(template, **_context(memo))
    return template.render(font_face="", **_context(memo))


def memo_filename(bank: str, suffix: str) -> str:
    """``memo_<bank>.<suffix>`` with any character unsafe in a file name replaced by ``_``."""
    safe = re.sub(r"[^\w-]", "_", bank).strip("_") or "bank"
    return f"memo_{safe}.{suffix}"


def write_memo(memo: MemoResult, out_dir: str | Path, *, tables: bool = False) -> list[Path]:
    """Write ``memo_<bank>.md`` and ``memo_<bank>.html`` (and, with ``tables``, the result's files), all or nothing."""
    md, page = render_markdown(memo), render_html(memo)

    def files(tmp: Path) -> None:
        write_text(tmp / memo_filename(memo.bank, "md"), md)
        write_text(tmp / memo_filename(memo.bank, "html"), page)
        if tables:
            memo.write(tmp)

    return write_folder(out_dir, files)
