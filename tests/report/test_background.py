"""Sections drawn in the background worker are the sections drawn in this process."""

import math
import re

import pytest

from finstab.pipelines import run_monitor
from finstab.report.background import Background
from finstab.report.monitor_section import monitor_section
from finstab.samples import sample_path


def _blocks(section):
    """Blocks with pandas' random table ids replaced (every other byte must agree)."""
    return [(b.kind, re.sub(r"T_[0-9a-f]{5}", "T_", b.content) if isinstance(b.content, str) else b.content, b.alt)
            for b in section.blocks]


def test_a_worker_draws_the_same_section_as_this_process():
    result = run_monitor("zibo", sample_path("zibo_sample.csv"))
    here = monitor_section(result, "en")
    with Background(workers=1) as background:
        there = background(monitor_section, result, "en").result(timeout=300)
    assert there.title == here.title and there.provenance == here.provenance
    assert [b.alt for b in there.blocks if b.kind == "image"] == ["trend Zibo (synthetic)", "radar Zibo (synthetic)"]
    assert _blocks(there) == _blocks(here)


@pytest.mark.parametrize("workers", [0, 1])
def test_results_and_errors_come_back_from_either_path(workers):
    with Background(workers=workers) as background:
        assert background(math.comb, 10, 3).result(timeout=300) == 120
        failed = background(math.sqrt, -1.0)
        with pytest.raises(ValueError, match="math domain error"):
            failed.result(timeout=300)
