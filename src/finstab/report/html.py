"""Self-contained HTML reports assembled from sections (no CDN, works offline)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

import finstab
from finstab.io import write_text

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

    def table(self, df: pd.DataFrame, digits: int = 2) -> None:
        self.blocks.append(Block("table", df.round(digits).to_html(index=False, border=0,
                                                                  na_rep="")))

    def image(self, uri: str, alt: str = "") -> None:
        self.blocks.append(Block("image", uri, alt))

    def images(self, uris: list[str], alt: str = "") -> None:
        self.blocks.append(Block("images", uris, alt))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("finstab.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]))


def cjk_font_face(text: str) -> str:
    """A @font-face rule embedding the bundled CJK font, subset to the characters of
    ``text``, so the page shows Chinese on machines without CJK fonts (and prints to PDF)."""
    from fontTools import subset

    from finstab.report.charts import cjk_font_path

    options = subset.Options()
    options.flavor = None
    options.name_IDs = ["*"]
    font = subset.load_font(str(cjk_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted({c for c in text if ord(c) > 0x2000})) or "中")
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode()
    return (f"@font-face {{ font-family: 'finstab-cjk'; src: url(data:font/otf;base64,{data}) "
            "format('opentype'); }")


def render_with_cjk(template: jinja2.Template, **context: object) -> str:
    """Render twice: once to learn which characters the page uses, then with them embedded."""
    page = template.render(font_face="", **context)
    return template.render(font_face=cjk_font_face(page), **context)


def render_report(title: str, sections: list[Section], lang: str = "zh") -> str:
    """Render sections into one HTML page with the CJK glyphs it uses embedded."""
    return render_with_cjk(_env().get_template("report.html.j2"), title=title, sections=sections, lang=lang,
                           synthetic=any(s.synthetic for s in sections),
                           synthetic_text=SYNTHETIC_TEXT["zh" if lang == "zh" else "en"],
                           footer=f"finstab {finstab.__version__}")


def write_report(path: str | Path, title: str, sections: list[Section], lang: str = "zh") -> Path:
    return write_text(path, render_report(title, sections, lang))
