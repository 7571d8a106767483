"""Contingent-claims analysis: Merton (1974) balance sheets from equity market data.

Unknowns per entity: asset market value A and asset volatility sigma_A, solving

    J = A N(d1) - K' N(d2)                   (equity is a call on the assets)
    sigma_J J = N(d1) sigma_A A              (Ito: equity volatility)

with K' = K e^{-rT} the discounted default point, h = sigma_A sqrt(T),
d1 = ln(A/K') / h + h/2 and d2 = d1 - h.

Solver
------
Damped Newton in (z, y) = (ln(A/K'), ln sigma_A) on the relative residuals
f1 = (A N(d1) - K' N(d2)) / J - 1 and f2 = N(d1) sigma_A A / (sigma_J J) - 1, started at
A = J + K' (z = log1p(J/K')), sigma_A = sigma_J J / A. With A phi(d1) = K' phi(d2),
dd1/dy = -d2 and dd2/dy = -d1 the Jacobian is analytic:

    df1/dz = A N(d1) / J                     df1/dy = A phi(d1) h / J
    df2/dz = (sigma_A A N(d1) + A phi(d1)/sqrt(T)) / (sigma_J J)
    df2/dy = sigma_A A (N(d1) - phi(d1) d2) / (sigma_J J)

and so are the second derivatives, which add Chebyshev's third-order correction
-J^{-1} F''[d, d] / 2 to the Newton step d (no further normal cdf evaluations; about 3.4
evaluations of both equations per entity instead of 4.4). Each step is halved (up to 40
times) until max(|f1|, |f2|) decreases. An entity stops at 1e-14 or at the rounding floor
of its residual. Where Newton stalls first (equity far out of the money: A can be 1e-5 K'
with sigma_A sqrt(T) ~ 7, far from the start), a bracketing fallback solves it as nested
one-dimensional problems: for fixed sigma_A the call equation is increasing in z with the
root in [ln(J/K'), ln(1 + J/K')]; G(sigma) = ln(N(d1) sigma A / (sigma_J J)) is <= 0 at
sigma_J J / (J + K') and > 0 for large sigma (Illinois regula falsi); Newton then polishes.

An entity counts as converged when its relative residual is below 1e-8, its derived
values are sound (below), and the residual can be verified independently: recomputing
d1 from a rounded A moves it by about eps (2 + |ln(A/K')|) / h, so for extreme leverage
with tiny sigma_A sqrt(T) no double-precision evaluation can confirm 1e-8 ("too
ill-conditioned"). Otherwise ``converged`` is False and one
:class:`~finstab.core.warnings.ConvergenceWarning` counts and names them.

Derived values, computed without cancellation
---------------------------------------------
Normal tails are erfc-based (N(-|x|) = erfc(|x| / sqrt 2) / 2; N(|x|) = 1 - that tail, so
both are accurate from one erfc; never 1 - N(x) for a tail). With u = A / K':

* risky debt D = A - J = A - (A N(d1) - K' N(d2)) = A N(-d1) + K' N(d2) (the equity
  equation substituted; two positive terms, so no A - J cancellation at low leverage);
* implicit put P = K' - D = K' (1 - N(d2)) - A N(-d1) = K' q with q = N(-d2) - u N(-d1)
  (the Black-Scholes put on the assets: put-call parity J - P = A - K'). The
  subtraction loses about log10(d1 / h) digits; where h < 1e-2 (and -5 < d2) it is
  replaced by the exact integral q = phi(d2) * int_{d2}^{d1} (1 - x R(x)) dx, R(x) =
  N(-x) / phi(x) the Mills ratio (R' = xR - 1 and u phi(d1) = phi(d2) give
  q = phi(d2) (R(d2) - R(d1))), evaluated by 4-point Gauss-Legendre; for d2 > 35,
  q < N(-35) < 1e-267 and is set to 0;
* credit spread: the risky debt's yield over r, D = K e^{-(r + s) T}, so
  s = -ln(D / K') / T = -ln((K' - P) / K') / T = -ln(1 - q) / T = -log1p(-q) / T for
  q <= 1/2 (accurate for the tiny spreads of safe entities; q (1 + q/2) below 1e-8), and
  -ln(u N(-d1) + N(d2)) / T (positive terms) for q > 1/2;
* q >= 0 mathematically (R is decreasing). A computed q < 0 is clipped to 0 when
  |q| <= 1e-12 N(-d2) (rounding) and flagged otherwise.

Engines
-------
``"numba"`` fuses the whole per-entity solve and the derived values into one compiled
loop over entities (``prange``); ``"numpy"`` runs the same algorithm vectorised over the
entities still iterating. They agree to rounding. numba is optional (``finstab[fast]``);
``"auto"`` uses it when installed and there are at least 20,000 entities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtr

from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import as_float_array, check_option, check_positive
from finstab.core.warnings import ConvergenceWarning, warn

TOL = 1e-14  # Newton target on the relative residuals
CONVERGED = 1e-8  # an entity is solved when its relative residual is below this
MAX_ITER = 100
MAX_HALVINGS = 40
SMALL_H = 1e-2  # below this sigma_A sqrt(T) the put is integrated, not subtracted
TAIL_D2 = 35.0  # beyond this d2 the put is below 1e-267 K' and set to 0
NEGLIGIBLE = 1e-12  # a negative put within this fraction of K' N(-d2) is rounding
GL_NODES = (-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526)
GL_WEIGHTS = (0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538)
NUMBA_MIN = 20_000
ENGINES = ("auto", "numba", "numpy")
SHOW = 5  # entities named in a warning

FLOOR = 4 * np.finfo(float).eps  # rounding of one evaluation, relative to its terms
VERIFIABLE = 1e-9  # an independent evaluation must be able to confirm the residual to this
# per-entity status: 0 solved, 1 solved with a put of -rounding clipped to 0, then the failures
CLIPPED, FLAGGED, UNSOLVED, NONFINITE, ILLCOND = 1, 2, 3, 4, 5
_EPS4 = FLOOR


def _pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _cdf_both(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N(x), N(-x)), both to full relative precision."""
    return ndtr(x), ndtr(-x)


def _residual(z, a, s, kp, ij, isj, sqt):
    """f1, f2 (relative residuals), d1, N(d1), N(d2), N(-d1), N(-d2) at z = ln(A/K')."""
    h = s * sqt
    d1 = z / h + 0.5 * h
    n1, m1 = _cdf_both(d1)
    n2, m2 = _cdf_both(d1 - h)
    f1 = (a * n1 - kp * n2) * ij - 1.0
    f2 = n1 * s * a * isj - 1.0
    return f1, f2, d1, n1, n2, m1, m2


def _newton(z, y, kp, ij, isj, sqt):
    """Vectorised twin of ``_merton_numba._newton``; every array has one entry per entity."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a, s = kp * np.exp(z), np.exp(y)
        f1, f2, d1, n1, n2, m1, m2 = _residual(z, a, s, kp, ij, isj, sqt)
    norm = np.maximum(np.abs(f1), np.abs(f2))
    norm[np.isnan(norm)] = np.inf
    state = [z, y, a, s, f1, f2, d1, n1, n2, m1, m2, norm]
    reached = np.zeros(z.size, dtype=bool)
    live = np.arange(z.size)
    for _ in range(MAX_ITER):
        if live.size == 0:
            break
        cz, cy, ca, cs, cf1, cf2, cd1, cn1, cn2, _cm1, _cm2, cnorm = (v[live] for v in state)
        cij, cisj, csqt, ckp = ij[live], isj[live], sqt[live], kp[live]
        phi1 = _pdf(cd1)
        target = FLOOR * ((ca * cn1 + ckp * cn2) * cij
                          + (phi1 / np.maximum(cn1, 1e-300) + ca * phi1 * cij) * (1.0 + np.abs(cd1)))
        at_target = cnorm <= np.maximum(TOL, target)
        reached[live[at_target]] = True
        go = ~at_target
        h = cs * csqt
        j11 = cn1 * cij
        j12 = phi1 * h * cij
        j21 = (cs * cn1 + phi1 / csqt) * cisj
        j22 = cs * (cn1 - phi1 * (cd1 - h)) * cisj
        det = (j11 * j22 - j12 * j21) * ca
        go &= (det > 0) & (det < np.inf)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            inv = 1.0 / det
            dz = (j12 * cf2 - j22 * cf1) * inv
            dy = (j21 * cf1 - j11 * cf2) * inv
            # Chebyshev's third-order correction, as in the compiled kernel
            hd = np.where(np.maximum(np.abs(dz), np.abs(dy)) < 1e-7, 0.0, phi1 / h)
            d2 = cd1 - h
            h11 = j11 + hd * cij
            h12 = -phi1 * d2 * cij
            h13 = j12 * (1.0 + cd1 * d2)
            h21 = cs * (cn1 + hd * (2.0 - cd1 / h)) * cisj
            h22 = cs * (cn1 - phi1 * d2 + hd * cd1 * d2) * cisj
            h23 = cs * (cn1 - phi1 * (2.0 * d2 - cd1 + cd1 * d2 * d2)) * cisj
            q1 = (h11 * dz * dz + 2.0 * h12 * dz * dy + h13 * dy * dy) * ca
            q2 = (h21 * dz * dz + 2.0 * h22 * dz * dy + h23 * dy * dy) * ca
            kz = 0.5 * (j12 * q2 - j22 * q1) * inv
            ky = 0.5 * (j21 * q1 - j11 * q2) * inv
            small = (np.maximum(np.abs(kz), np.abs(ky)) <= 0.5 * np.maximum(np.abs(dz), np.abs(dy))) & (hd != 0)
            dz = np.where(small, dz + kz, dz)
            dy = np.where(small, dy + ky, dy)
        moved = np.zeros(live.size, dtype=bool)
        pending = np.flatnonzero(go)
        step = np.ones(live.size)
        for _ in range(MAX_HALVINGS):
            if pending.size == 0:
                break
            p = pending
            ez, ey = step[p] * dz[p], step[p] * dy[p]
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                tz, ty = cz[p] + ez, cy[p] + ey
                ta, ts = ca[p] * np.exp(ez), cs[p] * np.exp(ey)
                g = _residual(tz, ta, ts, ckp[p], cij[p], cisj[p], csqt[p])
                gnorm = np.maximum(np.abs(g[0]), np.abs(g[1]))
            ok = gnorm < cnorm[p]
            dest = live[p[ok]]
            for arr, new in zip(state, (tz, ty, ta, ts, *g, gnorm), strict=True):
                arr[dest] = new[ok]
            moved[p[ok]] = True
            pending = p[~ok]
            step[pending] *= 0.5
        live = live[moved]
    return (*state, reached)


def _inner_z(rel, h):
    """Vectorised twin of ``_merton_numba._inner_z``."""
    lo, hi = np.log(rel), np.log1p(rel)
    z = hi.copy()
    live = np.arange(rel.size)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for _ in range(200):
            if live.size == 0:
                break
            cz, ch = z[live], h[live]
            d1 = cz / ch + 0.5 * ch
            n1, n2 = ndtr(d1), ndtr(d1 - ch)
            ez = np.exp(cz)
            f = ez * n1 - n2 - rel[live]
            up = f > 0
            hi[live[up]] = cz[up]
            lo[live[~up]] = cz[~up]
            done = (np.abs(f) <= _EPS4 * (ez * n1 + n2)) | (hi[live] - lo[live] <= _EPS4 * (1.0 + np.abs(cz)))
            zn = cz - f / (ez * n1)
            outside = ~((lo[live] < zn) & (zn < hi[live]))
            zn[outside] = 0.5 * (lo[live] + hi[live])[outside]
            z[live[~done]] = zn[~done]
            live = live[~done]
    return z


def _outer_g(y, rel, sj, sqt):
    h = np.exp(y) * sqt
    z = _inner_z(rel, h)
    n1 = ndtr(z / h + 0.5 * h)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(n1 > 0, np.log(n1) + y + z - np.log(sj * rel), -np.inf)
    return g, z


def _fallback(rel, sj, sqt):
    """Vectorised twin of ``_merton_numba._fallback``: (z, y), NaN where no bracket was found."""
    ylo = np.log(sj * rel / (1.0 + rel))
    glo, zlo = _outer_g(ylo, rel, sj, sqt)
    z, y = np.full(rel.size, np.nan), np.full(rel.size, np.nan)
    at_lo = glo >= 0
    z[at_lo], y[at_lo] = zlo[at_lo], ylo[at_lo]
    yhi = np.log(sj) + 1.0
    ghi, zhi = _outer_g(yhi, rel, sj, sqt)
    for _ in range(60):
        grow = ~at_lo & ~(ghi >= 0)
        if not grow.any():
            break
        ylo[grow], glo[grow] = yhi[grow], ghi[grow]
        yhi[grow] += 2.0
        ghi[grow], zhi[grow] = _outer_g(yhi[grow], rel[grow], sj[grow], sqt[grow])
    live = np.flatnonzero(~at_lo & (ghi >= 0))
    z[live], y[live] = zhi[live], yhi[live]
    side = np.zeros(rel.size, dtype=np.int8)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for _ in range(300):
            if live.size == 0:
                break
            gl, gh, yl, yh = glo[live], ghi[live], ylo[live], yhi[live]
            usable = (np.abs(gl) < np.inf) & (np.abs(gh) < np.inf) & (gh != gl)
            yn = np.where(usable, (yl * gh - yh * gl) / (gh - gl), 0.5 * (yl + yh))
            yn = np.where(usable & ~((yl < yn) & (yn < yh)), 0.5 * (yl + yh), yn)
            g, zn = _outer_g(yn, rel[live], sj[live], sqt[live])
            z[live], y[live] = zn, yn
            done = (np.abs(g) <= 1e-15) | (yh - yl <= _EPS4 * (1.0 + np.abs(yn)))
            pos = g > 0
            up, dn = live[pos & ~done], live[~pos & ~done]
            glo[up] = np.where(side[up] == 1, glo[up] * 0.5, glo[up])
            yhi[up], ghi[up], side[up] = yn[pos & ~done], g[pos & ~done], 1
            ghi[dn] = np.where(side[dn] == -1, ghi[dn] * 0.5, ghi[dn])
            ylo[dn], glo[dn], side[dn] = yn[~pos & ~done], g[~pos & ~done], -1
            live = live[~done]
    return z, y


def _solve_numpy(j, sj, k, r, t):
    """Vectorised twin of ``_merton_numba.solve``: the same outputs as arrays."""
    ij = 1.0 / j
    isj = ij / sj
    sqt = np.sqrt(t)
    kp = k * np.exp(-r * t)
    rel = j / kp
    z, y, a, s, _f1, _f2, d1, n1, n2, m1, m2, norm, reached = _newton(
        np.log1p(rel), np.log(sj * rel / (1.0 + rel)), kp, ij, isj, sqt)
    stuck = np.flatnonzero(~reached)  # Newton stalled: bracketing fallback, then polish
    if stuck.size:
        fz, fy = _fallback(rel[stuck], sj[stuck], sqt[stuck])
        found = np.isfinite(fz) & np.isfinite(fy)
        idx = stuck[found]
        again = _newton(fz[found], fy[found], kp[idx], ij[idx], isj[idx], sqt[idx])
        better = again[11] < norm[idx]
        for arr, new in zip((z, y, a, s, d1, n1, n2, m1, m2, norm),
                            (again[i] for i in (0, 1, 2, 3, 6, 7, 8, 9, 10, 11)), strict=True):
            arr[idx[better]] = new[better]
    return _outputs_numpy(z, a, s, d1, n1, n2, m1, m2, norm, kp, ij, t)


def _outputs_numpy(z, a, s, d1, n1, n2, m1, m2, norm, kp, ij, t):
    """d2, debt, put, spread, risk-neutral PD and status, as documented in the module."""
    h = s * np.sqrt(t)
    d2 = d1 - h
    u = a / kp
    q = m2 - u * m1
    small = np.flatnonzero((h < SMALL_H) & (d2 > -5.0) & (d2 <= TAIL_D2))
    if small.size:
        sd2, sh = d2[small], h[small]
        total = np.zeros(small.size)
        for node, weight in zip(GL_NODES, GL_WEIGHTS, strict=True):
            xk = sd2 + 0.5 * sh * (1.0 + node)
            total += weight * (1.0 - xk * ndtr(-xk) / _pdf(xk))
        q[small] = _pdf(sd2) * 0.5 * sh * total
    q[d2 > TAIL_D2] = 0.0
    status = np.zeros(q.size, dtype=np.int8)
    neg = q < 0
    if neg.any():
        clip = neg & (-q <= NEGLIGIBLE * m2)
        q[clip] = 0.0
        status[clip] = CLIPPED
        status[neg & ~clip] = FLAGGED
    debt_ratio = u * m1 + n2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        spread = np.where(q < 1e-8, q * (1.0 + 0.5 * q),
                          np.where(q <= 0.5, -np.log1p(-np.minimum(q, 0.5)), -np.log(debt_ratio))) / t
        phi1 = _pdf(d1)
        noise = FLOOR * ((a * n1 + kp * n2) * ij + phi1 / np.maximum(n1, 1e-300) * ((2.0 + np.abs(z)) / h
                                                                                     + np.abs(d1)))
    finite = np.isfinite(spread) & np.isfinite(debt_ratio) & np.isfinite(a) & np.isfinite(s)
    status[noise > VERIFIABLE] = ILLCOND
    status[~finite] = NONFINITE
    status[~(norm < CONVERGED)] = UNSOLVED
    return a, s, d1, d2, norm, kp * debt_ratio, kp * q, spread, m2, status


@cache
def _numba_solver():
    try:
        from finstab.fund import _merton_numba
    except ImportError:
        return None
    return _merton_numba.run


def _solve_numba(j, sj, k, r, t):
    solve = _numba_solver()
    out = [np.empty(j.size) for _ in range(9)]
    status = np.empty(j.size, dtype=np.int8)
    params = np.array([TOL, FLOOR, CONVERGED, SMALL_H, TAIL_D2, NEGLIGIBLE, VERIFIABLE])
    solve(j, sj, k, r, t, params, np.array([MAX_ITER, MAX_HALVINGS]), np.array(GL_NODES), np.array(GL_WEIGHTS),
          *out, status)
    return (*out, status)


@dataclass(frozen=True)
class MertonResult(Result):
    """Contingent-claims balance sheet of each entity (one row per entity in ``to_frame``).

    ``converged`` is False where the relative residual is not below 1e-8 or a derived value
    could not be computed reliably; such entities are named in ``warnings``.
    """

    kind: ClassVar[str] = "merton"

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

    _COLUMNS: ClassVar[tuple[str, ...]] = (
        "equity", "equity_vol", "default_point", "r", "T", "asset_value", "asset_vol", "debt_value",
        "d1", "d2", "distance_to_default", "default_probability", "implicit_put", "credit_spread",
        "converged", "residual")

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{"entities": one row per entity}`` (with an ``entity`` column when labelled)."""
        df = pd.DataFrame({name: np.ravel(getattr(self, name)) for name in self._COLUMNS})
        if self.labels is not None:
            df.insert(0, "entity", list(self.labels))
        return {"entities": df}

    def summary(self) -> str:
        n, ok = int(self.converged.size), int(np.count_nonzero(self.converged))
        worst = float(np.max(self.residual)) if n else 0.0
        if self.lang == "en":
            head = (f"Merton CCA: {n:,} entities, {ok:,} converged (relative residual < {CONVERGED:g}), "
                    f"max residual {worst:.1e}")
        else:
            head = f"Merton 或有权益分析：{n:,} 个主体，{ok:,} 个收敛（相对残差 < {CONVERGED:g}），最大残差 {worst:.1e}"
        cols = ["asset_value", "asset_vol", "debt_value", "distance_to_default", "default_probability",
                "implicit_put", "credit_spread"]
        stats = pd.DataFrame({c: np.ravel(getattr(self, c)) for c in cols}).describe().round(4)
        return f"{head}\n{stats.to_string()}\n{self.footer()}"


def merton_solve(equity: Any, equity_vol: Any, default_point: Any, r: Any, T: Any = 1.0, *,
                 drift: Any = None, labels: Sequence[Any] | None = None, engine: str = "auto",
                 ) -> MertonResult:
    """Solve the Merton model for asset value and volatility, vectorised over entities.

    Parameters
    ----------
    equity, equity_vol, default_point
        Market value of equity J, its annualised volatility sigma_J, default point K;
        arrays broadcast against each other, all strictly positive.
    r
        Continuously compounded risk-free rate.
    T
        Horizon in years, > 0.
    drift
        Expected asset return mu. When given, ``distance_to_default`` and
        ``default_probability`` are real-world; otherwise risk-neutral (N(-d2)).
    labels
        Entity names used in error messages, warnings and ``to_frame``.
    engine
        ``"auto"`` (compiled when numba is installed and there are at least 20,000
        entities), ``"numba"`` or ``"numpy"``. Both give the same numbers to rounding.

    Returns
    -------
    MertonResult
        Per entity: asset value and volatility, risky debt, d1, d2, distance to default,
        default probability, implicit put, credit spread, ``converged`` and the relative
        residual. Unconverged or flagged entities raise one ConvergenceWarning, carried in
        ``warnings``.

    Examples
    --------
    Hull's textbook example (E = 3, sigma_E = 80 %, D = 10, r = 5 %, T = 1):

    >>> res = merton_solve(3.0, 0.80, 10.0, 0.05, 1.0)
    >>> round(float(res.asset_value[0]), 2), round(float(res.asset_vol[0]), 4)
    (12.4, 0.2123)
    >>> round(float(res.default_probability[0]), 3), bool(res.converged[0])
    (0.127, True)
    """
    check_option(engine, ENGINES, "engine")
    raw = {n: as_float_array(v, n) for v, n in (
        (equity, "equity"), (equity_vol, "equity_vol"), (default_point, "default_point"), (r, "r"), (T, "T"))}
    try:
        arrays = np.broadcast_arrays(*raw.values())
    except ValueError as exc:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in raw.items())
        raise InputError(f"inputs do not broadcast together: {shapes}", where="equity") from exc
    j, sj, d, rr, t = (np.ascontiguousarray(a, dtype=float).ravel() for a in arrays)
    if labels is not None and len(labels) != j.size:
        raise InputError(f"{len(labels)} labels for {j.size} entities", where="labels")
    for arr, name in ((j, "equity"), (sj, "equity_vol"), (d, "default_point"), (t, "T")):
        check_positive(arr, name, labels=labels)
    mu = None if drift is None else np.broadcast_to(as_float_array(drift, "drift"), j.shape).ravel()

    use_numba = engine == "numba" or (engine == "auto" and j.size >= NUMBA_MIN)
    if use_numba and _numba_solver() is None:
        if engine == "numba":
            raise InputError("engine 'numba' needs numba; pip install 'finstab[fast]'", where="engine")
        use_numba = False
    if use_numba:
        a, s, d1, d2, resid, debt, put, spread, pd_rn, status = _solve_numba(j, sj, d, rr, t)
    else:
        a, s, d1, d2, resid, debt, put, spread, pd_rn, status = _solve_numpy(j, sj, d, rr, t)
    if mu is None:
        dd, pd_ = d2, pd_rn
    else:
        dd = (np.log(a / d) + (mu - 0.5 * s * s) * t) / (s * np.sqrt(t))
        pd_ = ndtr(-dd)

    converged = status <= CLIPPED
    messages = _flag_messages(status, labels)
    for m in messages:
        warn(m, ConvergenceWarning)
    inputs = dict(raw)  # as given (a scalar T is hashed as a scalar, not a million copies)
    if mu is not None:
        inputs["drift"] = as_float_array(drift, "drift")
    prov = Provenance.from_inputs("fund/merton", inputs=inputs,
                                  params={"engine": "numba" if use_numba else "numpy",
                                          "tolerance": CONVERGED, "real_world": mu is not None})
    return MertonResult(
        equity=j, equity_vol=sj, default_point=d, r=rr, T=t, asset_value=a, asset_vol=s,
        debt_value=debt, d1=d1, d2=d2, distance_to_default=dd, default_probability=pd_,
        implicit_put=put, credit_spread=spread, converged=converged, residual=resid,
        labels=tuple(labels) if labels is not None else None, provenance=prov,
        warnings=tuple(f"ConvergenceWarning: {m}" for m in messages))


def _flag_messages(status: np.ndarray, labels: Sequence[Any] | None) -> list[str]:
    bad = np.flatnonzero(status > CLIPPED)
    if bad.size == 0:
        return []
    first = bad[:SHOW]
    names = [str(labels[i]) if labels is not None else f"index {int(i)}" for i in first]
    more = f" and {bad.size - first.size:,} more" if bad.size > first.size else ""
    counts = np.bincount(status[bad], minlength=max(CLIPPED, FLAGGED, UNSOLVED, NONFINITE, ILLCOND) + 1)
    why = [f"{counts[code]:,} {text}" for code, text in (
        (UNSOLVED, f"with relative residual >= {CONVERGED:g}"),
        (ILLCOND, "too ill-conditioned to verify the residual in double precision"),
        (FLAGGED, "with a negative implicit put beyond rounding"),
        (NONFINITE, "with a non-finite derived value")) if counts[code]]
    return [f"Merton: {bad.size:,} of {status.size:,} entities not converged ({'; '.join(why)}): "
            f"{', '.join(names)}{more}; marked converged=False"]
