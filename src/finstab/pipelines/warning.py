"""Early-warning pipeline: KLR signals on a monitor panel or the bank panel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from finstab.bank import read_bank_panel, screen
from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError
from finstab.core.io import read_table
from finstab.core.periods import period_label
from finstab.core.validate import require_columns
from finstab.early_warning import SignalResult, evaluate_signal, klr_signals, pre_crisis_labels
from finstab.monitor.panel import build_panel
from finstab.monitor.systems import load_system
from finstab.samples import sample_path


@dataclass(frozen=True)
class WarningRun:
    signals: SignalResult
    evaluation: dict[str, float]
    composite: pd.DataFrame  # keys + composite index + label
    horizon: int
    synthetic: bool


def _events(path: str | Path | pd.DataFrame, entity: str, period_col: str, as_period) -> dict:
    ev = canonical_table(path if isinstance(path, pd.DataFrame) else read_table(path),
                         "events" if entity == "region" else "failures")
    require_columns(ev.columns, [entity, period_col], ev.attrs.get("source", "events"))
    return {str(k): as_period(v) for k, v in zip(ev[entity], ev[period_col], strict=True)}


def run_warning(*, system: str | Path | None = None, data: str | Path | pd.DataFrame | None = None,
                events: str | Path | pd.DataFrame, horizon: int = 4, threshold: float = 0.5,
                mu: float = 0.5) -> WarningRun:
    """KLR signals on a monitor panel (``system`` + ``data``, events: region, event_period) or,
    without ``system``, on a bank panel (events: bank, failure_quarter) with the IN index."""
    if system is None:
        screened = screen(read_bank_panel(data if data is not None else sample_path("banks/panel.csv")))
        frame = screened.frame.rename(columns={"bank": "entity", "quarter": "period"})
        ev = _events(events, "bank", "failure_quarter", lambda q: pd.Period(q, freq="Q"))
        indicators = [*(r.id for r in screened.params.ratios), "in"]
        synthetic = screened.provenance.synthetic
        directions = {r.id: (-1 if r.risky_when == "below" else 1) for r in screened.params.ratios}
    else:
        if data is None:
            raise ConfigError("a monitor panel is needed with --system", where="--data")
        sys_obj = load_system(system)
        raw = data if isinstance(data, pd.DataFrame) else read_table(data)
        panel = build_panel(raw, sys_obj.tree.indicators)
        frame = panel.keys.rename(columns={"region": "entity"}).assign(
            **{c: panel.values[:, k] for k, c in enumerate(panel.columns)})
        frame = frame.astype({"entity": str, "period": str})  # events files name periods as text
        ev = _events(events, "region", "event_period", lambda p: str(period_label(p, frequency=panel.frequency)))
        indicators = list(panel.columns)
        synthetic = any("synthetic" in n for n in panel.notes)
        directions = {i.id: 1 if i.type == "negative" else -1 for i in sys_obj.tree.indicators}
    frame = frame.sort_values(["entity", "period"], ignore_index=True)
    labels = pre_crisis_labels(frame, ev, horizon)
    result = klr_signals(frame, labels, indicators, directions, mu=mu)
    composite = result.composite(frame)
    evaluation = evaluate_signal(composite >= threshold, frame, ev, horizon)
    out = frame[["entity", "period"]].assign(composite=composite, pre_crisis=labels)
    return WarningRun(result, evaluation, out, horizon, synthetic)
