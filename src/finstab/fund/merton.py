"""Contingent-claims analysis: Merton (1974) balance sheets from equity market data.

Unknowns per entity: asset market value A and asset volatility sigma_A, solving

    J = A N(d1) - D exp(-rT) N(d2)          (equity is a call on the assets)
    sigma_J J = N(d1) sigma_A A              (Ito: equity volatility)

d1 = [ln(A/D) + (r + sigma_A^2/2) T] / (sigma_A sqrt(T)),  d2 = d1 - sigma_A sqrt(T).
Solved for all entities at once by damped Newton in (ln A, ln sigma_A), with the
classic fixed-point iteration (sigma_A = sigma_J J / (N(d1) A)) as the safeguard for
entities Newton leaves unconverged, then Newton again to polish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_positive

TOLERANCE = 1e-12
MAX_NEWTON = 60


def _pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _d1(a: np.ndarray, s: np.ndarray, d: np.ndarray, r: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (np.log(a / d) + (r + 0.5 * s * s) * t) / (s * np.sqrt(t))


def _residuals(x, y, j, sj, d, r, t):
    """Relative residuals of the two equations at ln A = x, ln sigma_A = y."""
    a, s = np.exp(x), np.exp(y)
    d1 = _d1(a, s, d, r, t)
    d2 = d1 - s * np.sqrt(t)
    f1 = (a * ndtr(d1) - d * np.exp(-r * t) * ndtr(d2) - j) / j
    f2 = (ndtr(d1) * s * a - sj * j) / (sj * j)
    return f1, f2, a, s, d1


def _newton(x, y, j, sj, d, r, t, active):
    """Damped Newton on the entities still above tolerance; arrays shrink as they converge.

    The residuals of an accepted trial point are reused as the next iterate's residuals,
    so each iteration costs one residual evaluation plus any backtracking.
    """
    idx = np.flatnonzero(active)
    x, y = x.copy(), y.copy()
    cx, cy = x[idx], y[idx]
    cj, csj, cd, cr, ct = j[idx], sj[idx], d[idx], r[idx], t[idx]
    f1, f2, a, s, d1 = _residuals(cx, cy, cj, csj, cd, cr, ct)
    for _ in range(MAX_NEWTON):
        norm = np.maximum(np.abs(f1), np.abs(f2))
        live = norm > TOLERANCE
        if not live.all():
            x[idx], y[idx] = cx, cy
            idx, cx, cy, cj, csj, cd, cr, ct, f1, f2, a, s, d1, norm = (
                v[live] for v in (idx, cx, cy, cj, csj, cd, cr, ct, f1, f2, a, s, d1, norm))
        if idx.size == 0:
            break
        sqt = np.sqrt(ct)
        nd1, pd1 = ndtr(d1), _pdf(d1)
        d2 = d1 - s * sqt
        # Jacobian in (ln A, ln sigma_A), each row divided by its equation's scale
        j11 = a * nd1 / cj
        j12 = a * pd1 * sqt * s / cj
        j21 = (s * nd1 + pd1 / sqt) * a / (csj * cj)
        j22 = a * (nd1 - pd1 * d2) * s / (csj * cj)
        det = j11 * j22 - j12 * j21
        ok = np.isfinite(det) & (np.abs(det) > 1e-300)
        safe = np.where(ok, det, 1.0)
        dx = np.where(ok, -(j22 * f1 - j12 * f2) / safe, 0.0)
        dy = np.where(ok, -(-j21 * f1 + j11 * f2) / safe, 0.0)
        trial = np.arange(idx.size)
        step = np.ones(idx.size)
        for _ in range(30):  # halve the step only where the residual would grow
            tx, ty = cx[trial] + step[trial] * dx[trial], cy[trial] + step[trial] * dy[trial]
            g = _residuals(tx, ty, cj[trial], csj[trial], cd[trial], cr[trial], ct[trial])
            better = (np.maximum(np.abs(g[0]), np.abs(g[1])) < norm[trial]) | (step[trial] <= 1e-9)
            keep = trial[better]
            cx[keep], cy[keep] = tx[better], ty[better]
            for cur, new in zip((f1, f2, a, s, d1), g, strict=True):
                cur[keep] = new[better]
            trial = trial[~better]
            if trial.size == 0:
                break
            step[trial] /= 2
    x[idx], y[idx] = cx, cy
    return x, y


def _fixed_point(x, y, j, sj, d, r, t, iterations=200):
    """KMV-style iteration: for fixed sigma_A solve the call equation for A, then update sigma_A."""
    for _ in range(iterations):
        a, s = np.exp(x), np.exp(y)
        for _ in range(20):  # Newton in A for the call equation (monotone, delta = N(d1) > 0)
            d1 = _d1(a, s, d, r, t)
            f = a * ndtr(d1) - d * np.exp(-r * t) * ndtr(d1 - s * np.sqrt(t)) - j
            a = np.maximum(a - f / np.maximum(ndtr(d1), 1e-12), j)
        x, y = np.log(a), np.log(sj * j / (ndtr(_d1(a, s, d, r, t)) * a))
    return x, y


@dataclass(frozen=True)
class MertonResult:
    """Contingent-claims balance sheet of each entity."""

    equity: np.ndarray
    equity_vol: np.ndarray
    default_point: np.ndarray
    r: np.ndarray
    T: np.ndarray
    asset_value: np.ndarray
    asset_vol: np.ndarray
    debt_value: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    distance_to_default: np.ndarray
    default_probability: np.ndarray
    implicit_put: np.ndarray
    credit_spread: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    labels: tuple[Any, ...] | None = None

    def to_frame(self) -> pd.DataFrame:
        data = {f.name: np.ravel(getattr(self, f.name)) for f in fields(self) if f.name != "labels"}
        df = pd.DataFrame(data)
        if self.labels is not None:
            df.insert(0, "entity", list(self.labels))
        return df

    def summary(self) -> str:
        df = self.to_frame()
        cols = ["asset_value", "asset_vol", "debt_value", "distance_to_default",
                "default_probability", "credit_spread"]
        return (f"Merton CCA, {len(df)} entities, {int(self.converged.sum())} converged, "
                f"max residual {float(self.residual.max()):.2e}\n{df[cols].describe().round(4)}")


def merton_solve(equity: Any, equity_vol: Any, default_point: Any, r: Any, T: Any = 1.0, *,
                 drift: Any = None, labels: Sequence[Any] | None = None) -> MertonResult:
    """Solve the Merton model for asset value and volatility, vectorised over entities.

    Parameters
    ----------
    equity, equity_vol, default_point
        Market value of equity J, its annualised volatility sigma_J, default point D;
        arrays broadcast against each other, all strictly positive.
    r
        Continuously compounded risk-free rate.
    T
        Horizon in years.
    drift
        Expected asset return mu. When given, ``distance_to_default`` and
        ``default_probability`` are real-world; otherwise risk-neutral (N(-d2)).
    labels
        Entity names used in error messages and ``to_frame``.

    Returns
    -------
    MertonResult
    """
    arrays = np.broadcast_arrays(*(as_float_array(v, n) for v, n in (
        (equity, "equity"), (equity_vol, "equity_vol"), (default_point, "default_point"),
        (r, "r"), (T, "T"))))
    j, sj, d, rr, t = (np.array(a, dtype=float).ravel() for a in arrays)
    if labels is not None and len(labels) != j.size:
        raise InputError(f"{len(labels)} labels for {j.size} entities", where="labels")
    for arr, name in ((j, "equity"), (sj, "equity_vol"), (d, "default_point"), (t, "T")):
        check_positive(arr, name, labels=labels)
    a0 = j + d * np.exp(-rr * t)
    x, y = np.log(a0), np.log(sj * j / a0)
    everyone = np.ones(j.size, dtype=bool)
    x, y = _newton(x, y, j, sj, d, rr, t, everyone)
    f1, f2, *_ = _residuals(x, y, j, sj, d, rr, t)
    stuck = ~(np.maximum(np.abs(f1), np.abs(f2)) <= 1e-10)
    if stuck.any():
        k = np.flatnonzero(stuck)
        x[k], y[k] = _fixed_point(x[k], y[k], j[k], sj[k], d[k], rr[k], t[k])
        x, y = _newton(x, y, j, sj, d, rr, t, stuck)
    f1, f2, a, s, d1 = _residuals(x, y, j, sj, d, rr, t)
    resid = np.maximum(np.abs(f1), np.abs(f2))
    d2 = d1 - s * np.sqrt(t)
    if drift is None:
        dd = d2
    else:
        mu = np.broadcast_to(as_float_array(drift, "drift"), j.shape)
        dd = (np.log(a / d) + (mu - 0.5 * s * s) * t) / (s * np.sqrt(t))
    debt = a - j
    riskfree_debt = d * np.exp(-rr * t)
    return MertonResult(
        equity=j, equity_vol=sj, default_point=d, r=rr, T=t, asset_value=a, asset_vol=s,
        debt_value=debt, d1=d1, d2=d2, distance_to_default=dd, default_probability=ndtr(-dd),
        implicit_put=riskfree_debt - debt, credit_spread=-np.log(debt / d) / t - rr,
        converged=resid <= 1e-10, residual=resid,
        labels=tuple(labels) if labels is not None else None)
