"""The CJK font finstab ships (through the ``mplfonts`` package) for charts, reports and
web pages, so Chinese renders on machines without CJK fonts. No maths, no project imports."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

import jinja2

CJK_FONT_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")


@cache
def cjk_font_path() -> Path:
    """The CJK font file shipped by the ``mplfonts`` package."""
    import mplfonts

    font_dir = Path(mplfonts.__file__).parent / "fonts"
    for name in CJK_FONT_FILES:
        if (font_dir / name).is_file():
            return font_dir / name
    raise RuntimeError(f"no CJK font found in {font_dir}; reinstall the 'mplfonts' package")



def cjk_font_face(text: str) -> str:
    """A @font-face rule embedding the bundled CJK font, subset to the characters of
    ``text``, so the page shows Chinese on machines without CJK fonts (and prints to PDF)."""
    from fontTools import subset

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
