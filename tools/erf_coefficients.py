"""Polynomial coefficients of ember's erf/erfc (ember/ops/_erf.py), computed with mpmath at 50 digits.

    python tools/erf_coefficients.py        # prints the tables _erf.py holds, and their accuracy

Two pieces, each a smooth function expanded in Chebyshev polynomials of a variable t in [-1, 1] (then
written in powers of t for Horner's rule, which these quickly decaying series keep well conditioned),
cut where the dropped terms fall below the wanted relative accuracy:
  |x| <  1/2:          erf(x)  = x P(t),                     t = 8 x^2 - 1
  1/2 <= x <= 27.3:    erfc(x) = exp(-x^2) / (1 + 2x) Q(t),  t = affine map of (x - 3) / (x + 3) onto [-1, 1]
(the second variable is Schonfelder's, Math. Comp. 32 (1978): one expansion serves the whole tail; erfc
underflows to 0 in float64 beyond 27.3). Two cuts: "double" for float64 results, "single" for float32
and narrower, which are computed in float64 with fewer terms and rounded once.
"""

import random

import mpmath

mpmath.mp.dps = 50
NODES = 64
K = 3
X_MAX = mpmath.mpf("27.3")
TOLERANCES = {"double": mpmath.mpf(2) ** -55, "single": mpmath.mpf(2) ** -30}


def _t_range(x_lo, x_hi):
    return (x_lo - K) / (x_lo + K), (x_hi - K) / (x_hi + K)


T_LO, T_HI = _t_range(mpmath.mpf(1) / 2, X_MAX)


def small(t):  # P(t) = erf(x) / x with x^2 = (t + 1) / 8
    u = (t + 1) / 8
    return mpmath.erf(mpmath.sqrt(u)) / mpmath.sqrt(u) if u else 2 / mpmath.sqrt(mpmath.pi)


def tail(t):  # Q(t) = (1 + 2x) exp(x^2) erfc(x)
    s = ((T_HI - T_LO) * t + T_HI + T_LO) / 2  # the Schonfelder variable (x - K) / (x + K)
    x = K * (1 + s) / (1 - s)
    return (1 + 2 * x) * mpmath.exp(x * x) * mpmath.erfc(x)


def chebyshev(f, n=NODES):
    """c_k of f(t) = sum' c_k T_k(t) on [-1, 1] (c_0 halved), from n Chebyshev nodes."""
    angles = [mpmath.pi * (j + mpmath.mpf(1) / 2) / n for j in range(n)]
    values = [f(mpmath.cos(a)) for a in angles]
    c = [2 * mpmath.fsum(v * mpmath.cos(k * a) for v, a in zip(values, angles)) / n for k in range(n)]
    c[0] /= 2
    return c


def cut(c, f, tolerance):
    floor = min(abs(f(mpmath.mpf(t) / 10)) for t in range(-10, 11))
    keep = len(c)
    while keep > 1 and mpmath.fsum(abs(x) for x in c[keep - 1 :]) < tolerance * floor:
        keep -= 1
    return c[:keep]


def powers(c):
    """The same polynomial in powers of t: a_j with sum a_j t^j = sum c_k T_k(t)."""
    a = [mpmath.mpf(0)] * len(c)
    t_prev, t_cur = [mpmath.mpf(1)], [mpmath.mpf(0), mpmath.mpf(1)]
    for k, ck in enumerate(c):
        poly = t_prev if k == 0 else t_cur
        for j, p in enumerate(poly):
            a[j] += ck * p
        if k >= 1:
            t_prev, t_cur = t_cur, [-p for p in t_prev] + [0, 0]
            t_cur = [t_cur[j] + (2 * poly[j - 1] if j >= 1 else 0) for j in range(len(poly) + 1)]
    return a


def horner(a, t):
    y = 0.0
    for coefficient in reversed(a):
        y = y * t + coefficient
    return y


def main():
    rng = random.Random(0)
    for name, f in (("small", small), ("tail", tail)):
        full = chebyshev(f)
        for precision, tolerance in TOLERANCES.items():
            a = [float(v) for v in powers(cut(full, f, tolerance))]
            worst = max(
                abs(horner(a, t) / f(mpmath.mpf(t)) - 1) for t in [rng.uniform(-1, 1) for _ in range(400)] + [-1.0, 1.0]
            )
            print(
                f"# {name}, {precision}: {len(a)} terms, largest relative error {float(worst):.1e} "
                f"(sum |a_j| {sum(abs(v) for v in a):.2f})"
            )
            print(f"_{name.upper()}_{precision.upper()} = ({', '.join(repr(v) for v in a)})")


if __name__ == "__main__":
    main()
