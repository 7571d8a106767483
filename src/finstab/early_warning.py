"""Early warning by the signals approach (Kaminsky, Lizondo & Reinhart 1998).

For each indicator, a signal is issued when it crosses a threshold (above, or below for
indicators where low values are risky). With pre-crisis labels y (1 when a crisis or
failure follows within the horizon), the counts are A = signal & y, B = signal & not y,
C = no signal & y, D = no signal & not y. The threshold chosen minimises the
noise-to-signal ratio NSR = [B/(B+D)] / [A/(A+C)]. Usefulness (Alessi & Detken 2011):
U = min(mu, 1-mu) - [mu C/(A+C) + (1-mu) B/(B+D)], relative U_r = U / min(mu, 1-mu).
The composite index sums signals weighted by 1/NSR (KLR's composite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.core.errors import DataError, InputError
from finstab.core.results import Result
from finstab.core.validate import numeric_column

DEFAULT_QUANTILES = np.round(np.linspace(0.50, 0.98, 49), 2)


def pre_crisis_labels(keys: pd.DataFrame, events: Mapping[object, object], horizon: int,
                      entity: str = "entity", period: str = "period") -> pd.Series:
    """1 where an event for the entity happens within (t, t + horizon] periods, 0 before,
    NaN at and after the event (those rows carry no warning information)."""
    if horizon < 1:
        raise InputError(f"horizon = {horizon}; expected >= 1", where="horizon")
    pos = keys.groupby(entity).cumcount()
    event_at = {}  # entity -> position of its event; entities without an event map to NaN
    for ent, when in events.items():
        sel = keys[entity] == ent
        hit = np.flatnonzero((keys.loc[sel, period] == when).to_numpy())
        if not hit.size:
            raise DataError(f"event period {when!r} of {ent!r} is not in the data", where="events")
        event_at[ent] = pos[sel].iloc[hit[0]]
    ahead = keys[entity].map(event_at) - pos
    return pd.Series(np.where(ahead.isna() | (ahead > horizon), 0.0,
                              np.where(ahead >= 1, 1.0, np.nan)), index=keys.index, name="pre_crisis")


def _counts(signals: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    yb = y.astype(bool)[:, None]
    a = (signals & yb).sum(axis=0)
    b = (signals & ~yb).sum(axis=0)
    return a, b, yb.sum() - a, (~yb).sum() - b


def _ratio(num, den, empty: float) -> np.ndarray:
    """num / den, and ``empty`` where den is 0 (no observation of that kind, or no hit)."""
    out = np.full(np.shape(num), empty)  # empty is a float: a float array
    np.divide(num, den, out=out, where=den > 0)
    return out


def _scores(a, b, c, d, mu):
    hit = _ratio(a, a + c, 0.0)
    false = _ratio(b, b + d, 0.0)
    nsr = _ratio(false, hit, np.inf)
    loss = mu * (1 - hit) + (1 - mu) * false
    usefulness = min(mu, 1 - mu) - loss
    return hit, false, nsr, usefulness


SIGNAL_COLUMNS = ["indicator", "direction", "threshold", "nsr", "hit_rate", "false_alarm_rate",
                  "relative_usefulness"]


@dataclass(frozen=True)
class SignalResult(Result):
    """Per-indicator thresholds and their performance; composite index weights."""

    kind: ClassVar[str] = "klr_signals"
    table: pd.DataFrame
    mu: float
    horizon: int | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"signals": self.table}

    def signals(self, data: pd.DataFrame) -> pd.DataFrame:
        """Boolean signals of each retained indicator on new data."""
        out = {}
        for _, r in self.table.iterrows():
            x = pd.Series(numeric_column(data, r["indicator"]), index=data.index)
            out[r["indicator"]] = (x >= r["threshold"]) if r["direction"] == 1 else (x <= r["threshold"])
        return pd.DataFrame(out, index=data.index)

    def composite(self, data: pd.DataFrame) -> pd.Series:
        """Sum of signals weighted by 1/NSR, scaled to [0, 1] (1 = every indicator signals)."""
        usable = self.table[np.isfinite(self.table["nsr"]) & (self.table["nsr"] < 1)]
        if usable.empty:
            return pd.Series(0.0, index=data.index, name="composite")
        w = np.reciprocal(usable["nsr"].clip(lower=1e-6).to_numpy())  # scale-free: only w / w.sum() matters
        s = np.where(self.signals(data)[usable["indicator"]], 1.0, 0.0)
        return pd.Series(s @ w / w.sum(), index=data.index, name="composite")

    def summary(self) -> str:
        table = self.table[SIGNAL_COLUMNS].round(4).to_string(index=False)
        return f"KLR signals (mu = {self.mu})\n{table}\n{self.footer()}"


def klr_signals(data: pd.DataFrame, labels: pd.Series | Sequence[float], indicators: Sequence[str],
                directions: Mapping[str, int] | None = None, *, mu: float = 0.5,
                quantiles: Sequence[float] = DEFAULT_QUANTILES) -> SignalResult:
    """Threshold per indicator minimising the noise-to-signal ratio.

    Parameters
    ----------
    data
        One row per (entity, period) observation with the indicator columns.
    labels
        1 in the pre-crisis window, 0 otherwise, NaN for rows to ignore (see
        :func:`pre_crisis_labels`).
    directions
        +1 when high values are risky (default), -1 when low values are.
    quantiles
        Candidate thresholds as quantiles of each indicator's distribution (their mirror
        for direction -1).
    """
    y_all = np.asarray(labels, dtype=float)
    keep = ~np.isnan(y_all)
    y = y_all[keep]
    if not np.isin(y, (0, 1)).all():
        raise DataError("labels must be 0, 1 or empty", where="labels")
    if y.sum() == 0:
        raise DataError("the labels never flag a crisis: no pre-crisis observation to learn from",
                        where="labels")
    if y.sum() == len(y):
        raise DataError("every observation is labelled pre-crisis; nothing to compare", where="labels")
    if not 0 < mu < 1:
        raise InputError(f"mu = {mu}; expected a value in (0, 1)", where="mu")
    directions = directions or {}
    rows = []
    for name in indicators:
        if name not in data.columns:
            raise DataError(f"missing indicator column {name!r}", where="data")
        x = numeric_column(data, name)[keep]
        ok = ~np.isnan(x)
        sign = directions.get(name, 1)
        if sign not in (1, -1):
            raise InputError(f"direction of {name!r} must be +1 or -1", where="directions")
        q = np.asarray(quantiles) if sign == 1 else 1 - np.asarray(quantiles)
        cand = np.unique(np.quantile(x[ok], q))
        sig = (x[ok, None] >= cand[None, :]) if sign == 1 else (x[ok, None] <= cand[None, :])
        a, b, c, d = _counts(sig, y[ok])
        hit, false, nsr, usefulness = _scores(a, b, c, d, mu)
        k = int(np.argmin(nsr))  # NSR is finite or +inf (no hit): the first smallest wins
        rows.append({"indicator": name, "direction": sign, "threshold": cand[k], "nsr": nsr[k],
                     "hit_rate": hit[k], "false_alarm_rate": false[k], "usefulness": usefulness[k],
                     "relative_usefulness": usefulness[k] / min(mu, 1 - mu),
                     "A": int(a[k]), "B": int(b[k]), "C": int(c[k]), "D": int(d[k])})
    return SignalResult(pd.DataFrame(rows).sort_values("nsr", ignore_index=True), mu)


def evaluate_signal(signal: pd.Series, keys: pd.DataFrame, events: Mapping[object, object], horizon: int,
                    entity: str = "entity", period: str = "period") -> dict[str, float]:
    """Hit rate, false-alarm rate and mean lead time (periods before the event of the first
    signal inside the warning window) of a boolean signal."""
    labels = pre_crisis_labels(keys, events, horizon, entity, period)
    keep = labels.notna()
    s, y = signal[keep].astype(bool).to_numpy(), labels[keep].to_numpy().astype(bool)
    hit = s[y].mean() if y.any() else np.nan
    false = s[~y].mean() if (~y).any() else np.nan
    pos = keys.groupby(entity).cumcount()
    leads = []
    for ent, when in events.items():
        sel = (keys[entity] == ent).to_numpy()
        ev = pos[sel & (keys[period] == when).to_numpy()].iloc[0]
        window = sel & (labels == 1).to_numpy() & signal.astype(bool).to_numpy()
        if window.any():
            leads.append(ev - pos[window].min())
    return {"hit_rate": float(hit), "false_alarm_rate": float(false),
            "events_warned": len(leads), "events": len(events),
            "mean_lead": float(np.mean(leads)) if leads else np.nan}


@dataclass(frozen=True)
class EarlyWarning(Result):
    """KLR signals, the composite index per (entity, period) and how well it warned of the events."""

    kind: ClassVar[str] = "early_warning"
    signals: pd.DataFrame
    composite: pd.DataFrame  # entity, period, composite, pre_crisis
    evaluation: dict[str, float]
    horizon: int
    threshold: float

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"signals": self.signals, "composite": self.composite,
                "evaluation": pd.DataFrame([self.evaluation])}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Any,
                    warnings: tuple[str, ...] = ()) -> EarlyWarning:
        p = provenance.parameters
        return cls(tables["signals"], tables["composite"], tables["evaluation"].iloc[0].to_dict(), p["horizon"],
                   p["threshold"], provenance=provenance, warnings=warnings)

    def evaluation_line(self) -> str:
        ev = self.evaluation
        if self.lang == "zh":
            return (f"综合指数 >= {self.threshold}: 命中率 {ev['hit_rate']:.1%}, 误报率 {ev['false_alarm_rate']:.1%}, "
                    f"预警事件 {ev['events_warned']}/{ev['events']}, 平均提前 {ev['mean_lead']:.1f} 期 "
                    f"(窗口 {self.horizon} 期)")
        return (f"composite >= {self.threshold}: hit rate {ev['hit_rate']:.1%}, false alarms "
                f"{ev['false_alarm_rate']:.1%}, warned {ev['events_warned']}/{ev['events']} events, mean lead "
                f"{ev['mean_lead']:.1f} periods (horizon {self.horizon})")

    def summary(self) -> str:
        table = self.signals[SIGNAL_COLUMNS].round(4).to_string(index=False)
        return f"KLR signals, horizon {self.horizon}\n{table}\n{self.evaluation_line()}\n{self.footer()}"
