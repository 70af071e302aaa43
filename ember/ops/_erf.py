"""erf, erfc and erfinv of whole arrays (NumPy or CuPy), accurate to float64, for every float dtype.

erf and erfc are two polynomial pieces (coefficients from tools/erf_coefficients.py, computed with mpmath):
  |x| < 1/2:         erf(x)  = x P(8 x^2 - 1)
  1/2 <= x <= 27.3:  erfc(x) = exp(-x^2) / (1 + 2x) Q(t), t an affine map of Schonfelder's (x - 3) / (x + 3)
(erfc underflows to 0 beyond 27.3) with the other function of each piece as 1 minus it. Float64 inputs use
the "double" tables (relative error about 2e-16 before rounding); narrower floats are computed in float64
with the shorter "single" tables (1e-10) and rounded once. Both pieces are evaluated over the whole array and
one is picked per element: cheaper than gathering each piece's elements by a mask. erfinv refines an initial
guess by Halley steps on erf (or, near +-1, on erfc, where 1 - |x| is exact), which converge cubically.
"""

import math

import numpy as np

_SMALL_DOUBLE = (
    1.0830752376761712,
    -0.043642058886697886,
    0.0016130716680617073,
    -4.762336934519553e-05,
    1.15160377952332e-06,
    -2.3472289797028638e-08,
    4.1270251519374495e-10,
    -6.376868595301691e-12,
    8.777607488642354e-14,
)
_SMALL_SINGLE = (
    1.083075237689073,
    -0.043642058887395356,
    0.0016130714358397384,
    -4.7623363765435506e-05,
    1.1522229869042417e-06,
    -2.3483449317070416e-08,
)
_TAIL_DOUBLE = (
    1.2469805035798838,
    -0.10544361573149154,
    -0.018293725798858053,
    0.04793210635286057,
    -0.03467927892586261,
    0.015569451125273704,
    -0.004347819354234228,
    0.00045157986186614553,
    0.00017173395991855255,
    -6.723963597262151e-05,
    -2.8025797349893485e-06,
    5.92941011682359e-06,
    -2.3446499891785188e-07,
    -5.421999519131755e-07,
    3.325939665620839e-08,
    5.578319671148618e-08,
    -1.7960803377201047e-09,
    -6.1888428107145015e-09,
    -1.5136535853217028e-10,
    6.442321495077916e-10,
    3.462341658984348e-11,
    -4.4451016787485796e-11,
)
_TAIL_SINGLE = (
    1.2469805036478734,
    -0.10544361450182353,
    -0.018293730777770488,
    0.047932071599054674,
    -0.0346792194544559,
    0.015569732843005515,
    -0.004348082107566284,
    0.00045059452662384915,
    0.00017227032911839308,
    -6.554145190530731e-05,
    -3.3338126851001688e-06,
    4.4764517903186335e-06,
)
_K, _X_MAX = 3.0, 27.3
_T_LO, _T_HI = (0.5 - _K) / (0.5 + _K), (_X_MAX - _K) / (_X_MAX + _K)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_ERF_HALF = math.erf(0.5)


def _horner(xp, coefficients, t):
    y = xp.full_like(t, coefficients[-1])
    for c in coefficients[-2::-1]:
        y *= t
        y += c
    return y


def _erf_small(xp, x, double):
    """erf(x), for |x| < 1/2."""
    return x * _horner(xp, _SMALL_DOUBLE if double else _SMALL_SINGLE, 8 * x * x - 1)


def _erfc_tail(xp, a, double):
    """erfc(a), for a >= 0 and accurate from a = 1/2 (inf and NaN included)."""
    a = xp.clip(a, 0.5, _X_MAX)
    t = ((a - _K) / (a + _K) * 2 - (_T_HI + _T_LO)) / (_T_HI - _T_LO)
    if double:  # a^2 split exactly (hi^2 has at most 34 bits): exp would amplify a^2's rounding a^2 times
        hi = xp.trunc(a * 4096) / 4096
        decay = xp.exp(-hi * hi) * xp.exp(-(a - hi) * (a + hi))
    else:
        decay = xp.exp(-a * a)
    return _horner(xp, _TAIL_DOUBLE if double else _TAIL_SINGLE, t) * decay / (1 + 2 * a)


def _apply(fn, xp, x):
    """fn(xp, float64 values, double) on x's values, flattened (so 0-d works), in x's dtype and shape."""
    with np.errstate(all="ignore"):  # the piece not picked may overflow
        y = fn(xp, x.astype(np.float64).reshape(-1), x.dtype.itemsize >= 8)
    return y.astype(x.dtype).reshape(x.shape)


def _erf(xp, x, double):
    a = xp.abs(x)
    return xp.where(a < 0.5, _erf_small(xp, x, double), xp.copysign(1 - _erfc_tail(xp, a, double), x))


def _erfc(xp, x, double):
    tail = _erfc_tail(xp, xp.abs(x), double)
    return xp.where(xp.abs(x) < 0.5, 1 - _erf_small(xp, x, double), xp.where(x < 0, 2 - tail, tail))


def _erfinv(xp, x, double):
    a = xp.abs(x)
    b = xp.where(a < 1, a, 0)
    # Winitzki's closed form: relative error below 2e-3, from 0 to the tails
    w = -xp.log((1 - b) * (1 + b))
    k = 2 / (math.pi * 0.147) - w / 2
    z = xp.sqrt(xp.sqrt(k * k + w / 0.147) - k)
    # Halley on f(z) = erf(z) - b, where f''/f' = -2z: z -= r / (1 + z r), r = f / f'. Where erf(z) is
    # near 1 the residual is formed from erfc: erf(z) - b = (1 - b) - erfc(z), with 1 - b exact.
    upper = b > _ERF_HALF  # there z > 1/2, the erfc piece's range
    for _ in range(3):
        r = xp.where(upper, (1 - b) - _erfc_tail(xp, z, double), _erf_small(xp, z, double) - b)
        r /= _TWO_OVER_SQRT_PI * xp.exp(-z * z)
        z -= r / (1 + z * r)
    return xp.copysign(xp.where(a < 1, z, xp.where(a == 1, np.inf, np.nan)), x)


def erf(xp, x):
    return _apply(_erf, xp, x)


def erfc(xp, x):
    return _apply(_erfc, xp, x)


def erfinv(xp, x):
    return _apply(_erfinv, xp, x)
