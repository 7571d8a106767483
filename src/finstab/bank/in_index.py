"""The IN index (Zhang, Xu & Pang): systemic impact of a non-systemically-important bank.

IN = (INTER/0.7)(AMO/1.6)[0.25(1.20-PCR)/20 + 0.25(0.05-CT1CAR) + 0.20(1.00-LCR)/20
     + 0.15(CR-0.225)/5 + 0.15(0.04-LR)],  ratios as decimals, INTER and AMO in trillion yuan.
Every number is a parameter (:class:`INParams`, YAML), and so are the calibration and
systemic-impact rules (``calibration``, ``systemic``). The shipped file is read once.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from finstab.configs import config_path
from finstab.core.config import load_model
from finstab.core.validate import as_float_array

RATIO_IDS = ("pcr", "ct1car", "lcr", "cr", "lr")
COMBINE = ("mean", "median", "min")
LEVELS = ("low", "medium", "high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RatioParam(_Strict):
    id: str
    name_zh: str
    name_en: str
    line: float
    weight: float = Field(ge=0)
    divisor: float = Field(gt=0)
    risky_when: Literal["below", "above"]
    min: float
    max: float
    source: str = ""

    @property
    def sign(self) -> float:
        return -1.0 if self.risky_when == "below" else 1.0


class SizeParam(_Strict):
    ref_inter: float = Field(gt=0)
    ref_amo: float = Field(gt=0)


class VolatilityParam(_Strict):
    window: int = Field(default=4, ge=2)
    own_multiple: float = Field(default=2.0, gt=0)
    cross_section_pct: float = Field(default=0.9, gt=0, lt=1)


class CalibrationParam(_Strict):
    """How the threshold is calibrated from failed banks' IN paths."""

    combine: Literal["mean", "median", "min"] = "mean"
    penalty_factor: float = Field(default=3.0, gt=0, allow_inf_nan=False)
    min_quarters: int = Field(default=6, ge=4)
    min_hit_rate: float = Field(default=0.5, ge=0, le=1)


class QualitativeRule(_Strict):
    """Systemic on qualitative grounds when at least ``min_channels`` channels are rated ``at_least``."""

    at_least: Literal["low", "medium", "high"] = "high"
    min_channels: int = Field(default=2, ge=1, le=3)

    def counts(self, level: str) -> bool:
        """Whether a channel rated ``level`` counts towards the rule."""
        return LEVELS.index(level) >= LEVELS.index(self.at_least)


class SystemicParam(_Strict):
    """When the risk counts as systemic (the fund's first precondition)."""

    quantitative_quarters: int = Field(default=4, ge=1)
    qualitative: QualitativeRule = QualitativeRule()
    dsib_presumed: bool = True


class INParams(_Strict):
    """Lines, weights, divisors, reference sizes, threshold, calibration, systemic and volatility rules."""

    ratios: tuple[RatioParam, ...]
    size: SizeParam
    threshold: float | None = None
    calibration: CalibrationParam = CalibrationParam()
    systemic: SystemicParam = SystemicParam()
    volatility: VolatilityParam = VolatilityParam()

    @field_validator("threshold")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"{v} is not a finite number")
        return v

    @model_validator(mode="after")
    def _check_ids(self) -> INParams:
        ids = [r.id for r in self.ratios]
        if sorted(ids) != sorted(RATIO_IDS):
            raise ValueError(f"ratios must be exactly {list(RATIO_IDS)}, got {ids}")
        return self

    def ratio(self, rid: str) -> RatioParam:
        return next(r for r in self.ratios if r.id == rid)

    def column_labels(self) -> dict[str, tuple[str, str]]:
        """(Chinese, English) headers of the ratio columns and the IN columns derived from them.

        Examples
        --------
        >>> load_in_params().column_labels()["contrib_pcr"]
        ('拨备覆盖率贡献', 'provision coverage ratio contribution')
        """
        out: dict[str, tuple[str, str]] = {}
        for r in self.ratios:
            out[r.id] = (r.name_zh, r.name_en)
            out[f"dev_{r.id}"] = (f"{r.name_zh}偏离", f"{r.name_en} deviation")
            out[f"contrib_{r.id}"] = (f"{r.name_zh}贡献", f"{r.name_en} contribution")
        return out


@lru_cache(maxsize=1)
def _shipped_params() -> INParams:
    """The shipped parameters, read once (the model is frozen, so sharing it is safe)."""
    return load_model(INParams, config_path("in_params.yaml"))


def load_in_params(path: str | Path | None = None) -> INParams:
    """The paper's parameters (read once and cached), or a user YAML file (read each call).

    Examples
    --------
    >>> p = load_in_params()
    >>> p.ratio("pcr").line, p.size.ref_inter, p.calibration.combine, p.systemic.qualitative.min_channels
    (1.2, 0.7, 'mean', 2)
    >>> load_in_params() is load_in_params()
    True
    """
    return _shipped_params() if path is None else load_model(INParams, path)


def in_components(*, pcr, ct1car, lcr, cr, lr, inter, amo, params: INParams | None = None
                  ) -> dict[str, np.ndarray]:
    """Each ratio's weighted deviation, their sum, the size multiplier and IN (broadcast).

    Returns ``dev_<ratio>`` (weight x sign x (ratio - line) / divisor), ``deviation`` (their
    sum), ``size_multiplier`` ((INTER/ref_inter)(AMO/ref_amo)), ``in`` and ``contrib_<ratio>``
    (each ratio's share of IN, in IN units; they add up to IN).

    Examples
    --------
    >>> c = in_components(pcr=1.0, ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04, inter=0.35, amo=1.6)
    >>> float(c["size_multiplier"]), round(float(c["in"]), 6)  # 0.5 x 0.25 x 0.2 / 20
    (0.5, 0.00125)
    """
    p = params or load_in_params()
    values = dict(pcr=pcr, ct1car=ct1car, lcr=lcr, cr=cr, lr=lr)
    out: dict[str, np.ndarray] = {}
    for rp in p.ratios:
        x = as_float_array(values[rp.id], rp.id)
        out[f"dev_{rp.id}"] = rp.sign * rp.weight * (x - rp.line) / rp.divisor
    multiplier = (as_float_array(inter, "inter") / p.size.ref_inter) * (as_float_array(amo, "amo") / p.size.ref_amo)
    deviation = sum(out[f"dev_{r}"] for r in RATIO_IDS)
    out["deviation"] = np.asarray(deviation)
    out["size_multiplier"] = np.asarray(multiplier)
    out["in"] = np.asarray(multiplier * deviation)
    for r in RATIO_IDS:  # contribution to IN in IN units
        out[f"contrib_{r}"] = multiplier * out[f"dev_{r}"]
    return out


def in_index(*, pcr, ct1car, lcr, cr, lr, inter, amo, params: INParams | None = None) -> np.ndarray:
    """The IN index, vectorised with numpy broadcasting (see module docstring).

    Examples
    --------
    >>> float(in_index(pcr=1.2, ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04, inter=0.7, amo=1.6))  # at the lines
    0.0
    """
    return in_components(pcr=pcr, ct1car=ct1car, lcr=lcr, cr=cr, lr=lr, inter=inter, amo=amo,
                         params=params)["in"]
