"""The IN index (Zhang, Xu & Pang): systemic impact of a non-systemically-important bank.

IN = (INTER/0.7)(AMO/1.6)[0.25(1.20-PCR)/20 + 0.25(0.05-CT1CAR) + 0.20(1.00-LCR)/20
     + 0.15(CR-0.225)/5 + 0.15(0.04-LR)],  ratios as decimals, INTER and AMO in trillion yuan.
Every number is a parameter (:class:`INParams`, YAML).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from finstab.configs import config_path
from finstab.core.config import load_model
from finstab.core.validate import as_float_array

RATIO_IDS = ("pcr", "ct1car", "lcr", "cr", "lr")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class INParams(_Strict):
    """Lines, weights, divisors, reference sizes, threshold and volatility rule."""

    ratios: list[RatioParam]
    size: SizeParam
    threshold: float = 0.0
    volatility: VolatilityParam = VolatilityParam()

    @model_validator(mode="after")
    def _check_ids(self) -> INParams:
        ids = [r.id for r in self.ratios]
        if sorted(ids) != sorted(RATIO_IDS):
            raise ValueError(f"ratios must be exactly {list(RATIO_IDS)}, got {ids}")
        return self

    def ratio(self, rid: str) -> RatioParam:
        return next(r for r in self.ratios if r.id == rid)


def load_in_params(path: str | Path | None = None) -> INParams:
    """The paper's parameters, or a user YAML file."""
    return load_model(INParams, path if path is not None else config_path("in_params.yaml"))


def in_components(*, pcr, ct1car, lcr, cr, lr, inter, amo, params: INParams | None = None
                  ) -> dict[str, np.ndarray]:
    """Each ratio's weighted deviation, their sum, the size multiplier and IN (broadcast)."""
    p = params or load_in_params()
    values = dict(pcr=pcr, ct1car=ct1car, lcr=lcr, cr=cr, lr=lr)
    out: dict[str, np.ndarray] = {}
    for rp in p.ratios:
        x = as_float_array(values[rp.id], rp.id)
        out[f"dev_{rp.id}"] = rp.weight * rp.sign * (x - rp.line) / rp.divisor
    multiplier = (as_float_array(inter, "inter") / p.size.ref_inter) * (as_float_array(amo, "amo") / p.size.ref_amo)
    deviation = sum(out[f"dev_{r}"] for r in RATIO_IDS)
    out["deviation"] = np.asarray(deviation)
    out["size_multiplier"] = np.asarray(multiplier)
    out["in"] = np.asarray(multiplier * deviation)
    for r in RATIO_IDS:  # contribution to IN in IN units
        out[f"contrib_{r}"] = multiplier * out[f"dev_{r}"]
    return out


def in_index(*, pcr, ct1car, lcr, cr, lr, inter, amo, params: INParams | None = None) -> np.ndarray:
    """The IN index, vectorised with numpy broadcasting (see module docstring)."""
    return in_components(pcr=pcr, ct1car=ct1car, lcr=lcr, cr=cr, lr=lr, inter=inter, amo=amo,
                         params=params)["in"]
