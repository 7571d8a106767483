"""The CJK font finstab ships (through the ``mplfonts`` package) for charts, reports and
web pages, so Chinese renders on machines without CJK fonts. No maths, no project imports."""

from __future__ import annotations

import base64
import io
from functools import cache, lru_cache
from pathlib import Path

import jinja2

CJK_FONT_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")
# Pages are written horizontally in Simplified Chinese (the font's default forms) or English:
# the vertical-writing and other-locale features and tables would only add glyphs and time.
_UNUSED_FEATURES = {"vert", "vrt2", "valt", "vhal", "vkrn", "vpal", "locl"}
_UNUSED_TABLES = ["vhea", "vmtx", "VORG"]
_FONT_FACE_SLOT = "<finstab-cjk-font-face/>"  # escaped text cannot contain it


@cache
def cjk_font_path() -> Path:
    """The CJK font file shipped by the ``mplfonts`` package."""
    import mplfonts

    font_dir = Path(mplfonts.__file__).parent / "fonts"
    for name in CJK_FONT_FILES:
        if (font_dir / name).is_file():
            return font_dir / name
    raise RuntimeError(f"no CJK font found in {font_dir}; reinstall the 'mplfonts' package")


@cache
def _cjk_font_bytes() -> bytes:
    """The font file, read once per process (about 16 MB)."""
    return cjk_font_path().read_bytes()


def page_characters(text: str) -> str:
    """The characters of ``text`` the CJK font is embedded for (above U+2000), sorted, once each.

    Examples
    --------
    >>> page_characters("风险 risk 风险：")
    '险风：'
    """
    return "".join(sorted(c for c in set(text) if ord(c) > 0x2000))


@lru_cache(maxsize=32)
def _subset_font(chars: str) -> bytes:
    """The bundled CJK font cut down to ``chars`` (OpenType/CFF bytes); repeated pages reuse it."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = None
    options.name_IDs = ["*"]
    options.desubroutinize = True
    options.layout_features = [f for f in options.layout_features if f not in _UNUSED_FEATURES]
    options.drop_tables = [*options.drop_tables, *_UNUSED_TABLES]
    font = subset.load_font(io.BytesIO(_cjk_font_bytes()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars or "中")
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def cjk_font_face(text: str) -> str:
    """A @font-face rule embedding the bundled CJK font, subset to the characters of
    ``text``, so the page shows Chinese on machines without CJK fonts (and prints to PDF)."""
    data = base64.b64encode(_subset_font(page_characters(text))).decode()
    return (f"@font-face {{ font-family: 'finstab-cjk'; src: url(data:font/otf;base64,{data}) "
            "format('opentype'); }")


def render_with_cjk(template: jinja2.Template, **context: object) -> str:
    """Render once with a slot for the font, then fill the slot with the CJK glyphs the page uses.

    The slot is ASCII (it adds no glyph) and contains ``<``, which escaped text cannot; should
    the page still hold it more than once, the page is rendered a second time instead.
    """
    page = template.render(font_face=_FONT_FACE_SLOT, **context)
    face = cjk_font_face(page)
    if page.count(_FONT_FACE_SLOT) == 1:
        return page.replace(_FONT_FACE_SLOT, face)
    return template.render(font_face=face, **context)
