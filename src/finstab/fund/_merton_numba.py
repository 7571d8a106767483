"""Compiled Merton kernel: one fused damped Newton per entity, in parallel over entities.

Imported only when numba is installed and :func:`finstab.fund.merton.merton_solve` picks
the compiled engine. It follows the numpy engine in ``merton.py`` step for step (same
start, Newton step, backtracking, stopping rules, fallback and derived values), so the two
agree to rounding; ``tests/test_cca.py`` checks this to 1e-10.
"""

from __future__ import annotations

import math

from numba import njit, prange, set_parallel_chunksize

# Status codes, as in merton.py (tests check they agree). Tolerances and limits come in as
# arguments, so numba's on-disk cache never holds stale constants.
CLIPPED, FLAGGED, UNSOLVED, NONFINITE, ILLCOND = 1, 2, 3, 4, 5
CHUNK = 2048  # entities per unit of parallel work: threads take chunks as they finish (a busy
# machine stalls one thread at times; equal static shares would make everyone wait for it)

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_EPS4 = 4.0 * 2.220446049250313e-16


@njit(cache=True, inline="always")
def _cdf_both(x: float) -> tuple[float, float]:
    """(N(x), N(-x)), both to full relative precision from one erfc of the smaller tail."""
    tail = 0.5 * math.erfc(abs(x) * _INV_SQRT2)
    return (1.0 - tail, tail) if x >= 0.0 else (tail, 1.0 - tail)


@njit(cache=True, inline="always")
def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) * _INV_SQRT2PI


@njit(cache=True, inline="always")
def _expm(e: float) -> float:
    """exp(e) for a Newton step: the Taylor polynomial when |e| < 1e-4 (error < 1e-18), else exp."""
    if abs(e) < 1e-4:
        return 1.0 + e * (1.0 + e * (0.5 + e * (1.0 / 6.0)))
    return math.exp(e)


@njit(cache=True, inline="always")
def _residual(z, a, s, kp, ij, isj, sqt):
    """f1, f2 (relative residuals), d1, N(d1), N(d2), N(-d1), N(-d2) at z = ln(A/K').

    ``ij`` = 1/J, ``isj`` = 1/(sigma_J J).
    """
    h = s * sqt
    d1 = z / h + 0.5 * h
    n1, m1 = _cdf_both(d1)
    n2, m2 = _cdf_both(d1 - h)
    f1 = (a * n1 - kp * n2) * ij - 1.0
    f2 = n1 * s * a * isj - 1.0
    return f1, f2, d1, n1, n2, m1, m2


@njit(cache=True)
def _newton(z, y, kp, ij, isj, sqt, tol, floor, max_iter, max_halvings):
    """Damped Newton in (z, y) = (ln(A/K'), ln sigma_A) from the given start."""
    a = kp * math.exp(z)
    s = math.exp(y)
    f1, f2, d1, n1, n2, m1, m2 = _residual(z, a, s, kp, ij, isj, sqt)
    norm = max(abs(f1), abs(f2))
    if not norm == norm:
        norm = math.inf
    reached = False
    for _ in range(max_iter):
        if norm <= tol:
            reached = True
            break
        phi1 = _pdf(d1)
        # rounding floor of this evaluation: f1's terms, and d1's own rounding through N(d1)
        if norm <= floor * ((a * n1 + kp * n2) * ij + (phi1 / max(n1, 1e-300) + a * phi1 * ij) * (1.0 + abs(d1))):
            reached = True
            break
        # Jacobian of (f1, f2) in (z, y), divided by A (common to every entry)
        h = s * sqt
        j11 = n1 * ij
        j12 = phi1 * h * ij
        j21 = (s * n1 + phi1 / sqt) * isj
        j22 = s * (n1 - phi1 * (d1 - h)) * isj
        det = (j11 * j22 - j12 * j21) * a
        if not (det > 0.0 and det < math.inf):
            break
        inv = 1.0 / det
        dz = (j12 * f2 - j22 * f1) * inv
        dy = (j21 * f1 - j11 * f2) * inv
        # Chebyshev's third-order correction -J^-1 F''[d, d] / 2 (no new transcendentals);
        # kept only while it is a correction (at most half the Newton step); skipped for steps
        # so small that Newton alone lands below the tolerance
        if max(abs(dz), abs(dy)) < 1e-7:
            hd = 0.0
        else:
            hd = phi1 / h
            h11 = j11 + hd * ij
            h12 = -phi1 * (d1 - h) * ij
            h13 = j12 * (1.0 + d1 * (d1 - h))
            h21 = s * (n1 + hd * (2.0 - d1 / h)) * isj
            h22 = s * (n1 - phi1 * (d1 - h) + hd * d1 * (d1 - h)) * isj
            h23 = s * (n1 - phi1 * (2.0 * (d1 - h) - d1 + d1 * (d1 - h) * (d1 - h))) * isj
            q1 = (h11 * dz * dz + 2.0 * h12 * dz * dy + h13 * dy * dy) * a
            q2 = (h21 * dz * dz + 2.0 * h22 * dz * dy + h23 * dy * dy) * a
            cz = 0.5 * (j12 * q2 - j22 * q1) * inv
            cy = 0.5 * (j21 * q1 - j11 * q2) * inv
            if max(abs(cz), abs(cy)) <= 0.5 * max(abs(dz), abs(dy)):
                dz += cz
                dy += cy
        step = 1.0
        moved = False
        for _h in range(max_halvings):
            ez = step * dz
            ey = step * dy
            tz = z + ez
            ty = y + ey
            ta = a * _expm(ez)
            ts = s * _expm(ey)
            g1, g2, gd1, gn1, gn2, gm1, gm2 = _residual(tz, ta, ts, kp, ij, isj, sqt)
            gnorm = max(abs(g1), abs(g2))
            if gnorm < norm:
                z, y, a, s, norm = tz, ty, ta, ts, gnorm
                f1, f2, d1, n1, n2, m1, m2 = g1, g2, gd1, gn1, gn2, gm1, gm2
                moved = True
                break
            step *= 0.5
        if not moved:
            break
    return z, y, a, s, d1, n1, n2, m1, m2, norm, reached


@njit(cache=True)
def _inner_z(rel, h):
    """z = ln(A/K') solving e^z N(z/h + h/2) - N(z/h - h/2) = rel (= J/K') for fixed h.

    The left side increases in z and brackets the root in [ln rel, ln(1 + rel)]; safeguarded
    Newton (bisection whenever a step leaves the bracket).
    """
    lo = math.log(rel)
    hi = math.log1p(rel)
    z = hi
    for _ in range(200):
        d1 = z / h + 0.5 * h
        n1, _m1 = _cdf_both(d1)
        n2, _m2 = _cdf_both(d1 - h)
        ez = math.exp(z)
        f = ez * n1 - n2 - rel
        if f > 0.0:
            hi = z
        else:
            lo = z
        if abs(f) <= _EPS4 * (ez * n1 + n2) or hi - lo <= _EPS4 * (1.0 + abs(z)):
            break
        zn = z - f / (ez * n1)
        if not (lo < zn < hi):
            zn = 0.5 * (lo + hi)
        z = zn
    return z


@njit(cache=True)
def _outer_g(y, rel, sj, sqt):
    """G(y) = ln(N(d1) sigma A / (sigma_J J)) with A solving the call equation at sigma = e^y."""
    h = math.exp(y) * sqt
    z = _inner_z(rel, h)
    n1, _m1 = _cdf_both(z / h + 0.5 * h)
    if not n1 > 0.0:
        return -math.inf, z
    return math.log(n1) + y + z - math.log(sj * rel), z


@njit(cache=True)
def _fallback(rel, sj, sqt):
    """Nested one-dimensional solve for entities Newton leaves unconverged: (z, y) or NaNs.

    G is <= 0 at sigma = sigma_J J / (J + K') (A <= J + K') and > 0 for large sigma
    (A -> J, N(d1) -> 1); Illinois regula falsi on the bracket.
    """
    ylo = math.log(sj * rel / (1.0 + rel))
    glo, zlo = _outer_g(ylo, rel, sj, sqt)
    if glo >= 0.0:
        return zlo, ylo
    yhi = math.log(sj) + 1.0
    ghi, zhi = _outer_g(yhi, rel, sj, sqt)
    for _ in range(60):
        if ghi >= 0.0:
            break
        ylo, glo = yhi, ghi
        yhi += 2.0
        ghi, zhi = _outer_g(yhi, rel, sj, sqt)
    if not ghi >= 0.0:
        return math.nan, math.nan
    z, y, side = zhi, yhi, 0
    for _ in range(300):
        if abs(glo) < math.inf and abs(ghi) < math.inf and ghi != glo:
            y = (ylo * ghi - yhi * glo) / (ghi - glo)
            if not (ylo < y < yhi):
                y = 0.5 * (ylo + yhi)
        else:
            y = 0.5 * (ylo + yhi)
        g, z = _outer_g(y, rel, sj, sqt)
        if abs(g) <= 1e-15 or yhi - ylo <= _EPS4 * (1.0 + abs(y)):
            break
        if g > 0.0:
            yhi, ghi = y, g
            if side == 1:
                glo *= 0.5
            side = 1
        else:
            ylo, glo = y, g
            if side == -1:
                ghi *= 0.5
            side = -1
    return z, y


@njit(cache=True, inline="always")
def _put_ratio(d1, d2, h, u, nm1, nm2, small_h, tail_d2, negligible, nodes, weights):
    """(P / K', status): the put over the discounted default point; status 1 = clipped, 2 = flagged."""
    if d2 > tail_d2:
        return 0.0, 0
    if h < small_h and d2 > -5.0:
        # q = phi(d2) * integral_{d2}^{d1} (1 - x R(x)) dx, R = Mills ratio: no cancellation
        total = 0.0
        for k in range(nodes.size):
            xk = d2 + 0.5 * h * (1.0 + nodes[k])
            total += weights[k] * (1.0 - xk * _cdf_both(xk)[1] / _pdf(xk))
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

    ``params`` = (TOL, FLOOR, CONVERGED, SMALL_H, TAIL_D2, NEGLIGIBLE, VERIFIABLE),
    ``limits`` = (MAX_ITER, MAX_HALVINGS), ``nodes``/``weights``: Gauss-Legendre on [-1, 1].
    """
    tol, floor, converged, small_h = params[0], params[1], params[2], params[3]
    tail_d2, negligible, verifiable = params[4], params[5], params[6]
    max_iter, max_halvings = limits[0], limits[1]
    for i in prange(j.size):
        ji, sji, ti = j[i], sj[i], t[i]
        ij = 1.0 / ji
        isj = ij / sji
        sqt = math.sqrt(ti)
        kp = k[i] * math.exp(-r[i] * ti)
        rel = ji / kp
        z, _y, a, s, d1, n1, n2, m1, m2, norm, reached = _newton(
            math.log1p(rel), math.log(sji * rel / (1.0 + rel)), kp, ij, isj, sqt, tol, floor, max_iter,
            max_halvings)
        if not reached:  # Newton stalled: bracketing fallback, then polish
            fz, fy = _fallback(rel, sji, sqt)
            if abs(fz) < math.inf and abs(fy) < math.inf:
                nz, _ny, na, ns, nd1, nn1, nn2, nm1, nm2, nnorm, _r = _newton(
                    fz, fy, kp, ij, isj, sqt, tol, floor, max_iter, max_halvings)
                if nnorm < norm:
                    z, a, s, d1, n1, n2, m1, m2, norm = nz, na, ns, nd1, nn1, nn2, nm1, nm2, nnorm
        h = s * sqt
        d2 = d1 - h
        u = a / kp
        q, status = _put_ratio(d1, d2, h, u, m1, m2, small_h, tail_d2, negligible, nodes, weights)
        debt_ratio = u * m1 + n2
        if q < 1e-8:
            spread = q * (1.0 + 0.5 * q) / ti  # -log1p(-q) to 3e-17 relative
        elif q <= 0.5:
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
        pd_out[i] = m2
        if not norm < converged:
            status = UNSOLVED
        elif not (abs(spread) < math.inf and debt_ratio < math.inf and a < math.inf and s < math.inf):
            status = NONFINITE
        else:
            # how far an independent evaluation (ln(A/K') from A, rounded) may disagree
            phi1 = _pdf(d1)
            noise = floor * ((a * n1 + kp * n2) * ij + phi1 / max(n1, 1e-300) * ((2.0 + abs(z)) / h + abs(d1)))
            if noise > verifiable:
                status = ILLCOND
        status_out[i] = status


def run(*args) -> None:
    """:func:`solve` with dynamic scheduling of chunks of entities over the threads."""
    old = set_parallel_chunksize(CHUNK)
    try:
        solve(*args)
    finally:
        set_parallel_chunksize(old)
