"""Self-contained HTML reports assembled from sections (no CDN, works offline)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

import finstab
from finstab.core.io import write_text
from finstab.report.fonts import render_with_cjk

SYNTHETIC_TEXT = {
    "zh": "注意：本报告使用合成（模拟）数据，仅用于演示，不代表真实情况。",
    "en": "Note: this report uses SYNTHETIC data for demonstration; it does not describe reality.",
}


@dataclass
class Block:
    kind: str  # text | table | image | images
    content: object
    alt: str = ""


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)
    synthetic: bool = False

    def text(self, content: str) -> None:
        self.blocks.append(Block("text", content))

    def table(self, df: pd.DataFrame, digits: int = 2, colours: dict[str, str] | None = None) -> None:
        """An escaped HTML table; cells whose text is a key of ``colours`` get that background."""
        floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
        text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
        styler = df.style.hide(axis="index").format(na_rep="", escape="html")
        styler = styler.format(precision=digits, na_rep="", thousands=",", subset=floats)
        if text:  # numbers line up on the right, words read from the left
            styler = styler.set_properties(subset=text, **{"text-align": "left"})
        if colours:
            styler = styler.map(lambda v: f"background-color: {colours[v]}" if v in colours else "")
        self.blocks.append(Block("table", styler.to_html()))

    def image(self, uri: str, alt: str = "") -> None:
        self.blocks.append(Block("image", uri, alt))

    def images(self, uris: list[str], alt: str = "") -> None:
        self.blocks.append(Block("images", uris, alt))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("finstab.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]))


def render_report(title: str, sections: list[Section], lang: str = "zh") -> str:
    """Render sections into one HTML page with the CJK glyphs it uses embedded."""
    return render_with_cjk(_env().get_template("report.html.j2"), title=title, sections=sections, lang=lang,
                           synthetic=any(s.synthetic for s in sections),
                           synthetic_text=SYNTHETIC_TEXT["zh" if lang == "zh" else "en"],
                           footer=f"finstab {finstab.__version__}")


def write_report(path: str | Path, title: str, sections: list[Section], lang: str = "zh") -> Path:
    return write_text(path, render_report(title, sections, lang))
