"""What the speed-ups of issue 17 must not change: hashes, scores, node scores, chart crops, embedded glyphs.

Each fast path is checked against an independent slow one: SHA-256 of the whole column-major
copy, the scoring functions of :mod:`finstab.mcda.scoring` indicator by indicator, the
weighted mean written out by hand, matplotlib's own tight bounding box, and fontTools
reading the embedded font back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re

import jinja2
import matplotlib.pyplot as plt
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

import finstab.core.provenance as provenance
import finstab.monitor.model as model
from finstab.mcda.scoring import band_score, threshold_score
from finstab.monitor.model import Monitor, aggregate_scores
from finstab.monitor.systems.loader import parse_system
from finstab.report import charts, fonts


def _full_copy_hash(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes(order="F"))
    return h.hexdigest()[:16]


@pytest.mark.parametrize("chunk", [8, 64, 1 << 25])
def test_hash_is_the_column_major_sha256_whatever_the_layout(monkeypatch, chunk):
    monkeypatch.setattr(provenance, "HASH_CHUNK_BYTES", chunk)
    base = np.arange(3 * 4 * 5, dtype=float).reshape(3, 4, 5) / 7
    arrays = [base, np.asfortranarray(base), base[:, ::2, 1:], base.transpose(2, 0, 1), base[..., 0],
              base[0, 0], base[0, 0, ::2], np.arange(7, dtype=np.int32), (base > 1).reshape(12, 5)]
    for a in arrays:
        assert provenance.hash_arrays(a) == _full_copy_hash(a)
    assert provenance.hash_arrays(*arrays[:3]) == _full_copy_hash(*arrays[:3])
    assert provenance.hash_arrays(base) == provenance.hash_arrays(np.asfortranarray(base))


def _system():
    inds = [
        {"id": "up", "name_zh": "正", "name_en": "up", "type": "positive", "cuts": [0, 1, 2, 4, 8, 9]},
        {"id": "down", "name_zh": "负", "name_en": "down", "type": "negative", "cuts": [9, 7, 5, 3, 2, 0.5]},
        {"id": "band", "name_zh": "适", "name_en": "band", "type": "moderate", "cuts": [0, 1, 2, 3, 4, 5],
         "high_cuts": [5, 6, 7, 8, 9, 12]},
        {"id": "gap", "name_zh": "隙", "name_en": "gap", "type": "moderate", "cuts": [-3, -2, -1, 0, 1, 2],
         "high_cuts": [4, 5, 6, 7, 8, 9]},
    ]
    dims = [{"id": "a", "name_zh": "甲", "name_en": "a", "weight": 1, "children": inds[:2]},
            {"id": "b", "name_zh": "乙", "name_en": "b", "weight": 3, "children": inds[2:]}]
    return parse_system({"id": "t", "name_zh": "测", "name_en": "t", "children": dims}, "t")


@pytest.mark.parametrize("layout", ["C", "F"])
def test_block_scoring_equals_the_scoring_functions_bit_for_bit(monkeypatch, layout):
    monkeypatch.setattr(model, "BLOCK_ROWS", 7)
    monkeypatch.setattr(model, "BLOCK_ROWS_COLUMN_MAJOR", 5)
    system = _system()
    rng = np.random.default_rng(3)
    values = rng.uniform(-5, 14, (101, 4))
    knots = np.r_[0:10, 0.5, 12, -3:3]
    at_cut = rng.random(values.shape) < 0.3
    values[at_cut] = rng.choice(knots, at_cut.sum())
    values[::9, 1] = np.nan
    values[:, 2][:20] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, -1, 13, 4.5, 5.5, 5, 5, 0, 12, 11.99]
    values = np.asfortranarray(values) if layout == "F" else np.ascontiguousarray(values)
    s = tuple(system.scores)
    expected = np.column_stack([
        threshold_score(values[:, 0], [0, 1, 2, 4, 8, 9], s),
        threshold_score(values[:, 1], [9, 7, 5, 3, 2, 0.5], s),
        band_score(values[:, 2], [0, 1, 2, 3, 4, 5], [5, 6, 7, 8, 9, 12], s),
        band_score(values[:, 3], [-3, -2, -1, 0, 1, 2], [4, 5, 6, 7, 8, 9], s),
    ])
    got = Monitor(system).score_indicators(values)
    assert np.array_equal(got, expected, equal_nan=True)
    assert got[:17, 2].tolist() == [0, 20, 40, 60, 80, 100, 80, 60, 40, 20, 0, 0, 0, 90, 90, 100, 100]


def test_missing_scores_drop_out_of_their_node_in_every_block(monkeypatch):
    monkeypatch.setattr(model, "BLOCK_ROWS", 2)
    w = np.array([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    scores = np.array([[10.0, 20.0, 40.0], [np.nan, 20.0, 40.0], [np.nan, np.nan, 40.0], [np.nan, np.nan, np.nan],
                       [10.0, np.nan, 40.0]])
    got = aggregate_scores(scores, w)
    expected = [[0.2 * 10 + 0.3 * 20 + 0.5 * 40, 15.0], [(0.3 * 20 + 0.5 * 40) / 0.8, 20.0], [40.0, np.nan],
                [np.nan, np.nan], [(0.2 * 10 + 0.5 * 40) / 0.7, 10.0]]
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    full = aggregate_scores(np.nan_to_num(scores), w)
    np.testing.assert_allclose(full, np.nan_to_num(scores) @ w.T, rtol=1e-14)


def _png(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def _outside_legend_figure(anchor: float = 1.0):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([0, 1, 2], [3, 1, 2], label="一条很长的图例文字 a long legend label")
    ax.set_title("标题 title")
    ax.set_ylabel("得分")
    ax.legend(loc="upper left", bbox_to_anchor=(anchor, 1.0))
    return fig


@pytest.mark.parametrize("anchor", [1.0, 3.5])  # 3.5: the legend leaves the grown canvas, the usual save is used
def test_charts_are_cropped_like_a_tight_bounding_box(anchor):
    charts.setup_cjk_font()
    tight, reference = io.BytesIO(), _outside_legend_figure(anchor)
    reference.savefig(tight, format="png", dpi=charts.DPI, bbox_inches="tight")
    plt.close(reference)
    expected = np.asarray(Image.open(tight).convert("RGB"))
    got = _png(charts.figure_to_data_uri(_outside_legend_figure(anchor)))
    assert abs(got.shape[0] - expected.shape[0]) <= 2 and abs(got.shape[1] - expected.shape[1]) <= 2
    ink = np.argwhere((got < 250).any(axis=2))
    edge = round(charts.PAD_INCHES * charts.DPI) - 2  # nothing drawn in the padding: nothing cut off
    assert (ink.min(axis=0) >= edge).all() and (np.array(got.shape[:2]) - 1 - ink.max(axis=0) >= edge).all()
    assert plt.get_fignums() == []


def test_every_page_embeds_the_glyphs_it_uses():
    template = jinja2.Environment(autoescape=True).from_string(
        "<html><head><style>{{ font_face | safe }}</style><title>{{ a }}</title></head><body>{{ b }}</body></html>")
    slot = "<finstab-cjk-font-face/>"
    for a, b in [("风险监测", "稳定基金 ≥ 60％"), ("甲" + slot, "乙" + slot)]:  # the slot, escaped, in the data
        page = fonts.render_with_cjk(template, a=a, b=b)
        assert page.count("@font-face") == 1 and slot not in page
        data = re.search(r"base64,([A-Za-z0-9+/=]+)\)", page).group(1)
        cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
        assert {ord(c) for c in a + b if ord(c) > 0x2000} <= set(cmap)
