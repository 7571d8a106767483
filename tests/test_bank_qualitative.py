"""The paper's qualitative rule (seed 002): systemic impact needs at least TWO of the three
channels (market confidence, critical services, the real economy) rated high; one is not enough."""

import itertools

import pytest

from finstab.bank.memo import QualitativeAssessment

CHANNELS = ("market_confidence", "critical_services", "real_economy")


def assessment(levels):
    return QualitativeAssessment.model_validate(
        {c: {"level": lvl, "reason": f"{c} is {lvl}"} for c, lvl in zip(CHANNELS, levels, strict=True)})


@pytest.mark.parametrize("levels", list(itertools.product(("low", "medium", "high"), repeat=3)))
def test_two_high_channels_and_no_fewer(levels):
    assert assessment(levels).systemic() is (sum(lvl == "high" for lvl in levels) >= 2)


def test_one_high_channel_is_not_systemic():
    for k in range(3):
        levels = ["medium"] * 3
        levels[k] = "high"
        assert not assessment(levels).systemic()
