"""The web's CJK font: the common characters' cut first, the whole font only for rarer characters."""

import io
import re

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from fontTools.ttLib import TTFont

from finstab.report.fonts import cjk_font_path, common_characters
from finstab.web.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return TestClient(create_app(tmp_path_factory.mktemp("fonts") / "runs.duckdb", {"a-long-reader-token": "read"}))


def test_two_faces_of_one_family_the_common_cut_declared_last(client):
    css = client.get("/assets/cjk-font.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    faces = re.findall(r"@font-face \{(.*?)\}", css.text)
    urls = [re.search(r"url\('([^']+)'\)", f).group(1) for f in faces]
    assert urls == ["/assets/cjk-font", "/assets/cjk-font-common"]
    assert "unicode-range" not in faces[0]  # the whole font answers for any character the cut lacks
    ranges = re.search(r"unicode-range: ([^;]+);", faces[1]).group(1).split(", ")
    covered = set()
    for r in ranges:
        a, _, b = r.removeprefix("U+").partition("-")
        covered.update(range(int(a, 16), int(b or a, 16) + 1))
    assert covered == {ord(c) for c in common_characters()}
    assert {ord(c) for c in "淄博市区域金融风险监测，（）%"} <= covered and ord("冚") not in covered


def test_the_common_cut_draws_every_character_it_claims_at_an_eighth_of_the_size(client):
    res = client.get("/assets/cjk-font-common")
    assert res.status_code == 200 and res.headers["content-type"] == "font/otf"
    cmap = TTFont(io.BytesIO(res.content)).getBestCmap()
    whole = TTFont(cjk_font_path()).getBestCmap()
    assert {ord(c) for c in common_characters()} & set(whole) <= set(cmap)
    assert len(res.content) < cjk_font_path().stat().st_size / 8
