"""The CJK font finstab ships (through the ``mplfonts`` package) for charts, reports and
web pages, so Chinese renders on machines without CJK fonts. No maths, no project imports."""

from __future__ import annotations

import base64
import io
import os
import tempfile
import threading
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


def common_characters() -> str:
    """Printable Latin-1 and every character of GB 2312: its 6,763 hanzi (all of everyday
    written Chinese, place names included), punctuation, symbols and full-width forms.

    Examples
    --------
    >>> chars = common_characters()
    >>> len(chars), all(c in chars for c in "淄博区域金融风险：（%）A1")
    (7617, True)
    """
    chars = {chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x100))}
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(bytes((first, second)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


def unicode_range(chars: str) -> str:
    """The CSS ``unicode-range`` of a set of characters, runs of code points joined.

    Examples
    --------
    >>> unicode_range("abcz中")
    'U+61-63, U+7A, U+4E2D'
    """
    points = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for p in points:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "finstab"


_COMMON_FONT_LOCK = threading.Lock()


def common_font() -> bytes:
    """The CJK font cut down to :func:`common_characters` (about 1.9 MB of its 16 MB).

    Cutting takes seconds, so it is done once per process (callers from several threads wait for
    the one cut) and kept in ``$XDG_CACHE_HOME/finstab`` (or ``~/.cache/finstab``) where that can
    be written, named by the font file and its size.
    """
    with _COMMON_FONT_LOCK:
        return _common_font()


@cache
def _common_font() -> bytes:
    font = cjk_font_path()
    cached = _cache_dir() / f"{font.stem}-{font.stat().st_size}-gb2312.otf"
    if cached.is_file():
        return cached.read_bytes()
    data = _subset_font(common_characters())
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, cached)
    except OSError:  # a read-only home: cut again next time
        pass
    return data


def web_font_faces(full_url: str, common_url: str) -> str:
    """Two @font-face rules of one family: the common characters' font, tried first for what it
    covers, and the whole font for any other character (a browser fetches it only then)."""
    return (f"@font-face {{ font-family: 'finstab-cjk'; src: url('{full_url}') format('opentype'); "
            "font-display: swap; }\n"
            f"@font-face {{ font-family: 'finstab-cjk'; src: url('{common_url}') format('opentype'); "
            f"font-display: swap; unicode-range: {unicode_range(common_characters())}; }}\n")


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
