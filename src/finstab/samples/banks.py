"""SYNTHETIC bank panel: 205 banks x 40 quarters (2015Q1-2024Q4), with failing paths.

City commercial, rural commercial and village banks plus five D-SIBs. Ratios are decimals,
INTER and AMO in trillion yuan. Eight banks fail, along paths of different shapes: a sudden
jump, a slow slide then a jump, a jump after rising volatility, and a double dip. Nothing
here describes a real bank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 2_2022
QUARTERS = pd.period_range("2015Q1", periods=40, freq="Q")
TYPES = {"city": ("城商行", 60, (0.05, 0.5)), "rural": ("农商行", 100, (0.01, 0.15)),
         "village": ("村镇银行", 40, (0.001, 0.01)), "dsib": ("系统重要性银行", 5, (0.7, 6.0))}
SYNTHETIC = f"synthetic: finstab.samples.banks seed={SEED}"
HEALTHY = {"pcr": 2.2, "ct1car": 0.10, "lcr": 1.8, "cr": 0.18, "lr": 0.065}
DISTRESSED = {"pcr": 0.55, "ct1car": 0.025, "lcr": 0.75, "cr": 0.42, "lr": 0.022}
SHAPES = ("sudden", "slide_then_jump", "volatile", "double_dip")


def _stress_path(shape: str, n: int, onset: int, rng: np.random.Generator) -> np.ndarray:
    """Stress in [0, 1] per quarter: 0 healthy, 1 fully distressed."""
    t = np.arange(n)
    s = np.zeros(n)
    if shape == "sudden":
        s[t >= onset] = 1.0
    elif shape == "slide_then_jump":
        s = np.clip((t - (onset - 12)) / 40, 0, 0.3)
        s[t >= onset] = 1.0
    elif shape == "volatile":
        s[t >= onset - 6] = 0.15 + 0.15 * np.abs(rng.normal(0, 1, (t >= onset - 6).sum()))
        s[t >= onset] = 1.0
    else:  # double dip: a scare that recovers, then failure
        s[(t >= onset - 12) & (t < onset - 8)] = 0.5
        s[t >= onset] = 1.0
    return np.clip(s, 0, 1)


def make_bank_panel(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel, failures): the panel and each failed bank's failure quarter and shape."""
    rng = np.random.default_rng(seed)
    rows, failures = [], []
    n_q = len(QUARTERS)
    failing = {f"CITY{k:03d}" for k in (3, 17, 41)} | {f"RURAL{k:03d}" for k in (8, 33, 71, 90)} | {"VILL012"}
    counter = 0
    for kind, (type_zh, count, (lo, hi)) in TYPES.items():
        prefix = {"city": "CITY", "rural": "RURAL", "village": "VILL", "dsib": "DSIB"}[kind]
        for k in range(count):
            bank = f"{prefix}{k:03d}"
            size = np.exp(rng.uniform(np.log(lo), np.log(hi)))
            growth = np.exp(np.cumsum(rng.normal(0.015, 0.01, n_q)))
            base = {r: v * rng.uniform(0.85, 1.15) for r, v in HEALTHY.items()}
            stress = np.zeros(n_q)
            if bank in failing:
                shape = SHAPES[counter % len(SHAPES)]
                counter += 1
                onset = int(rng.integers(22, 34))
                fail_q = min(onset + int(rng.integers(2, 5)), n_q - 1)
                stress = _stress_path(shape, n_q, onset, rng)
                failures.append({"bank": bank, "failure_quarter": str(QUARTERS[fail_q]), "shape": shape,
                                 "jump_quarter": str(QUARTERS[onset])})
                last = fail_q
            else:
                last = n_q - 1
            for q in range(last + 1):
                vals = {r: base[r] + stress[q] * (DISTRESSED[r] - base[r]) for r in HEALTHY}
                vals = {r: max(v * (1 + rng.normal(0, 0.02)), 0.001) for r, v in vals.items()}
                rows.append({"bank": bank, "quarter": str(QUARTERS[q]), "bank_type": type_zh,
                             "dsib": kind == "dsib", **{r: round(v, 5) for r, v in vals.items()},
                             "inter": round(size * 0.6 * growth[q], 5), "amo": round(size * 1.3 * growth[q], 5),
                             "source": SYNTHETIC})
    return pd.DataFrame(rows), pd.DataFrame(failures)




if __name__ == "__main__":  # regenerate the shipped files
    from finstab.core.io import write_text
    from finstab.samples import sample_path

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    panel, failures = make_bank_panel()
    write_text(sample_path("banks/panel.csv"), header + panel.to_csv(index=False))
    write_text(sample_path("banks/failures.csv"), header + failures.to_csv(index=False))
