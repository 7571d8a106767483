"""Early-warning pipeline: KLR signals on a monitor panel or the bank panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from finstab.bank import read_bank_panel, screen
from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError
from finstab.core.io import read_table
from finstab.core.periods import period_label
from finstab.core.provenance import Provenance
from finstab.core.validate import require_columns
from finstab.early_warning import EarlyWarning, evaluate_signal, klr_signals, pre_crisis_labels
from finstab.monitor.panel import build_panel
from finstab.monitor.systems import load_system
from finstab.samples import sample_path


def _events(path: str | Path | pd.DataFrame, entity: str, period_col: str, as_period) -> dict:
    ev = canonical_table(path if isinstance(path, pd.DataFrame) else read_table(path),
                         "events" if entity == "region" else "failures")
    require_columns(ev.columns, [entity, period_col], ev.attrs.get("source", "events"))
    return {str(k): as_period(v) for k, v in zip(ev[entity], ev[period_col], strict=True)}


def run_warning(*, system: str | Path | None = None, data: str | Path | pd.DataFrame | None = None,
                events: str | Path | pd.DataFrame, horizon: int = 4, threshold: float = 0.5,
                mu: float = 0.5) -> EarlyWarning:
    """KLR signals on a monitor panel (``system`` + ``data``, events: region, event_period) or,
    without ``system``, on a bank panel (events: bank, failure_quarter) with the IN index."""
    if int(horizon) != horizon or horizon < 1:
        raise ConfigError(f"{horizon}; expected a whole number of periods >= 1", where="horizon")
    if not np.isfinite(threshold) or not 0 <= threshold <= 1:
        raise ConfigError(f"{threshold}; expected a composite level in [0, 1]", where="threshold")
    if system is None:
        screened = screen(read_bank_panel(data if data is not None else sample_path("banks/panel.csv")))
        frame = screened.frame.rename(columns={"bank": "entity", "quarter": "period"})
        ev = _events(events, "bank", "failure_quarter", lambda q: pd.Period(q, freq="Q"))
        indicators = [*(r.id for r in screened.params.ratios), "in"]
        notes = screened.provenance.data_notes
        inputs = {"bank_panel": screened.frame}
        directions = {r.id: (-1 if r.risky_when == "below" else 1) for r in screened.params.ratios}
    else:
        if data is None:
            raise ConfigError("a monitor panel is needed with --system", where="data")
        sys_obj = load_system(system)
        raw = data if isinstance(data, pd.DataFrame) else read_table(data)
        panel = build_panel(raw, sys_obj.tree.indicators)
        frame = panel.keys.rename(columns={"region": "entity"}).assign(
            **{c: panel.values[:, k] for k, c in enumerate(panel.columns)})
        frame = frame.astype({"entity": str, "period": str})  # events files name periods as text
        ev = _events(events, "region", "event_period", lambda p: str(period_label(p, frequency=panel.frequency)))
        indicators = list(panel.columns)
        notes = panel.notes
        inputs = {"panel": frame}
        directions = {i.id: 1 if i.type == "negative" else -1 for i in sys_obj.tree.indicators}
    frame = frame.sort_values(["entity", "period"], ignore_index=True)
    labels = pre_crisis_labels(frame, ev, horizon)
    result = klr_signals(frame, labels, indicators, directions, mu=mu)
    composite = result.composite(frame)
    evaluation = evaluate_signal(composite >= threshold, frame, ev, horizon)
    out = frame[["entity", "period"]].astype(str).assign(composite=composite, pre_crisis=labels)
    event_frame = pd.DataFrame({"entity": list(ev), "period": [str(p) for p in ev.values()]})
    prov = Provenance.from_inputs("early_warning/klr", config=None, inputs={**inputs, "events": event_frame},
                                  params={"system": None if system is None else str(system), "horizon": horizon,
                                          "threshold": threshold, "mu": mu}, notes=notes)
    return EarlyWarning(result.table, out, evaluation, horizon, threshold, provenance=prov)
