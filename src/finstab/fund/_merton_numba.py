"""Compiled Merton kernel: one fused damped Newton per entity, in parallel over entities.

Imported only when numba is installed and :func:`finstab.fund.merton.merton_solve` picks
the compiled engine. It follows the numpy engine in ``merton.py`` step for step (same
start, same Newton step, same backtracking, same stopping rules, same derived values), so
the two agree to rounding; ``tests/test_cca.py`` checks this to 1e-10.
"""

from __future__ import annotations

import math

from numba import njit, prange

# Status codes, as in merton.py (tests check they agree). Tolerances and limits come in as
# arguments, so numba's on-disk cache never holds stale constants.
CLIPPED, FLAGGED, UNSOLVED, NONFINITE = 1, 2, 3, 4

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(cache=True, inline="always")
def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x * _INV_SQRT2)


@njit(cache=True, inline="always")
def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) * _INV_SQRT2PI


@njit(cache=True, inline="always")
def _residual(x, a, s, lnk, kp, j, sj, sqt):
    h = s * sqt
    d1 = (x - lnk) / h + 0.5 * h
    n1 = _cdf(d1)
    n2 = _cdf(d1 - h)
    f1 = (a * n1 - kp * n2 - j) / j
    f2 = n1 * s * a / (sj * j) - 1.0
    return f1, f2, d1, n1, n2


@njit(cache=True, inline="always")
def _target(a, n1, kp, n2, j, tol, floor):
    """Stop level: ``tol``, or the rounding floor of f1 when its terms dwarf J (high leverage)."""
    return max(tol, floor * (a * n1 + kp * n2) / j)


@njit(cache=True)
def _put_ratio(d1, d2, h, u, nm1, nm2, small_h, tail_d2, negligible, nodes, weights):
    """(P / K', status): the put over the discounted default point; status 1 = clipped, 2 = flagged."""
    if d2 > tail_d2:
        return 0.0, 0
    if h < small_h and d2 > -5.0:
        # q = phi(d2) * integral_{d2}^{d1} (1 - x R(x)) dx, R = Mills ratio: no cancellation
        total = 0.0
        for k in range(nodes.size):
            xk = d2 + 0.5 * h * (1.0 + nodes[k])
            total += weights[k] * (1.0 - xk * _cdf(-xk) / _pdf(xk))
        q = _pdf(d2) * 0.5 * h * total
    else:
        q = nm2 - u * nm1
    if q >= 0.0:
        return q, 0
    if -q <= negligible * nm2:
        return 0.0, CLIPPED
    return q, FLAGGED


@njit(cache=True, parallel=True)
def solve(j, sj, k, r, t, params, limits, nodes, weights, a_out, s_out, d1_out, d2_out, res_out, debt_out,
          put_out, spread_out, pd_out, status_out):
    """Solve every entity in place; see ``merton.py`` for the equations, outputs and parameters.

    ``params`` = (TOL, FLOOR, CONVERGED, SMALL_H, TAIL_D2, NEGLIGIBLE), ``limits`` =
    (MAX_ITER, MAX_HALVINGS), ``nodes``/``weights``: Gauss-Legendre on [-1, 1].
    """
    tol, floor, converged, small_h, tail_d2, negligible = (params[0], params[1], params[2], params[3],
                                                          params[4], params[5])
    max_iter, max_halvings = limits[0], limits[1]
    for i in prange(j.size):
        ji, sji, ti = j[i], sj[i], t[i]
        sqt = math.sqrt(ti)
        lnk = math.log(k[i]) - r[i] * ti
        kp = math.exp(lnk)
        a = ji + kp
        s = sji * ji / a
        x = math.log(a)
        y = math.log(s)
        f1, f2, d1, n1, n2 = _residual(x, a, s, lnk, kp, ji, sji, sqt)
        norm = max(abs(f1), abs(f2))
        if not norm == norm:  # NaN start (cannot happen for valid inputs)
            norm = math.inf
        for _ in range(max_iter):
            if norm <= _target(a, n1, kp, n2, ji, tol, floor):
                break
            phi1 = _pdf(d1)
            h = s * sqt
            j11 = a * n1 / ji
            j12 = a * phi1 * h / ji
            j21 = (s * a * n1 + a * phi1 / sqt) / (sji * ji)
            j22 = s * a * (n1 - phi1 * (d1 - h)) / (sji * ji)
            det = j11 * j22 - j12 * j21
            if not (det > 0.0 and det < math.inf):
                break
            dx = -(j22 * f1 - j12 * f2) / det
            dy = -(j11 * f2 - j21 * f1) / det
            step = 1.0
            moved = False
            for _h in range(max_halvings):
                tx = x + step * dx
                ty = y + step * dy
                ta = math.exp(tx)
                ts = math.exp(ty)
                g1, g2, gd1, gn1, gn2 = _residual(tx, ta, ts, lnk, kp, ji, sji, sqt)
                gnorm = max(abs(g1), abs(g2))
                if gnorm < norm:
                    x, y, a, s, f1, f2, d1, n1, n2, norm = tx, ty, ta, ts, g1, g2, gd1, gn1, gn2, gnorm
                    moved = True
                    break
                step *= 0.5
            if not moved:
                break
        h = s * sqt
        d2 = d1 - h
        u = a / kp
        nm1 = 1.0 - n1 if d1 <= 0.0 else _cdf(-d1)
        nm2 = 1.0 - n2 if d2 <= 0.0 else _cdf(-d2)
        q, status = _put_ratio(d1, d2, h, u, nm1, nm2, small_h, tail_d2, negligible, nodes, weights)
        debt_ratio = u * nm1 + n2
        if q <= 0.5:
            spread = -math.log1p(-q) / ti
        else:
            spread = -math.log(debt_ratio) / ti
        a_out[i] = a
        s_out[i] = s
        d1_out[i] = d1
        d2_out[i] = d2
        res_out[i] = norm
        debt_out[i] = kp * debt_ratio
        put_out[i] = kp * q
        spread_out[i] = spread
        pd_out[i] = nm2
        if not norm < converged:
            status = UNSOLVED
        elif not (abs(spread) < math.inf and debt_ratio < math.inf and a < math.inf and s < math.inf):
            status = NONFINITE
        status_out[i] = status
