"""Special functions (lgamma, digamma, polygamma, zeta, Bessel I0/I1, ndtr/ndtri, incomplete gamma, ...).

The kernels are vectorised float64 series and recurrences written on `xp` (NumPy or CuPy), with no
SciPy: Stirling's series after an upward recurrence for lgamma, the asymptotic series for digamma,
Euler-Maclaurin for the Hurwitz zeta (and so polygamma), power series and Hankel's expansion for I0/I1,
a series or a continued fraction for erfc and the incomplete gamma. Every result is computed in float64
and rounded once to the input's dtype, as torch's float32 kernels are accurate to about an ulp.
"""

import math
from fractions import Fraction

import numpy as np

from .. import _dtype
from .._backend import array_module
from ..autograd.function import Op
from ._registry import named, torch_api
from .._tensor import Tensor


def _bernoulli_even(count):
    """B_2, B_4, ..., B_2count as exact fractions (the Akiyama-Tanigawa algorithm)."""
    values, row = [], []
    for m in range(2 * count + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        if m >= 2 and m % 2 == 0:
            values.append(row[0])
    return values


_B2K = _bernoulli_even(12)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_STIRLING = [float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_B2K[:8], 1)]  # lgamma's series
_PSI_SERIES = [float(b / (2 * k)) for k, b in enumerate(_B2K[:8], 1)]  # digamma's series
_ZETA_SERIES = [float(b / math.factorial(2 * k)) for k, b in enumerate(_B2K, 1)]  # Euler-Maclaurin


def _quiet(fn):
    """Run a NumPy kernel with IEEE results (inf/nan) and no warnings, as torch does."""

    def run(*args):
        with np.errstate(all="ignore"):
            return fn(*args)

    run.__name__ = fn.__name__
    return run


def _sinpi(xp, x):
    """sin(pi x), exact at integers: x is first reduced to [-1, 1]."""
    return xp.sin(math.pi * (x - 2 * xp.round(x / 2)))


def _steps_to(xp, x, target):
    """How many unit steps take every finite element of x (an array, or the array of targets) up to target."""
    gap = xp.where(xp.isfinite(x), target - x, 0)
    return max(int(xp.ceil(gap.max())), 0) if gap.size else 0


def _shift_up(xp, x, target):
    """(z, terms): z = x + k >= target with each x + i (i < k) in `terms`, for the recurrences."""
    z = x.copy()
    terms = []
    steps = _steps_to(xp, z, target)
    for _ in range(steps):
        low = z < target
        terms.append(xp.where(low, z, xp.nan))
        z = xp.where(low, z + 1, z)
    return z, terms


@_quiet
def lgamma64(x):
    xp = array_module(x)
    x = x.astype(np.float64)
    neg = x < 0
    y = xp.where(neg, 1 - x, x)
    z, terms = _shift_up(xp, y, 10.0)
    log_prod = xp.zeros_like(z)
    for t in terms:  # the product of up to ten terms can't overflow; one log per step keeps it simple
        log_prod = log_prod + xp.where(xp.isnan(t), 0, xp.log(xp.where(xp.isnan(t), 1, t)))
    inv, inv2 = 1 / z, 1 / (z * z)
    series = xp.zeros_like(z)
    for c in reversed(_STIRLING):
        series = series * inv2 + c
    out = (z - 0.5) * xp.log(z) - z + _LOG_SQRT_2PI + series * inv - log_prod
    out = xp.where(xp.isinf(y), xp.inf, out)
    reflected = xp.log(math.pi / xp.abs(_sinpi(xp, x))) - out  # Euler's reflection for x < 0
    out = xp.where(neg, reflected, out)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole | xp.isinf(x), xp.inf, out)


@_quiet
def digamma64(x):
    xp = array_module(x)
    x = x.astype(np.float64)
    neg = x < 0
    y = xp.where(neg, 1 - x, x)
    z, terms = _shift_up(xp, y, 10.0)
    harmonic = xp.zeros_like(z)
    for t in terms:
        harmonic = harmonic + xp.where(xp.isnan(t), 0, 1 / xp.where(xp.isnan(t), 1, t))
    inv2 = 1 / (z * z)
    series = xp.zeros_like(z)
    for c in reversed(_PSI_SERIES):
        series = series * inv2 + c
    out = xp.log(z) - 0.5 / z - series * inv2 - harmonic
    r = x - xp.round(x)
    reflected = out - math.pi / xp.tan(math.pi * r)  # psi(1 - x) - pi / tan(pi x)
    out = xp.where(neg, reflected, out)
    out = xp.where(x == xp.inf, xp.inf, out)
    out = xp.where(neg & (x == xp.floor(x)), xp.nan, out)  # poles at -1, -2, ... and -inf
    return xp.where(x == 0, xp.copysign(xp.inf, -x), out)  # +-0 gives -+inf, as torch


@_quiet
def zeta64(s, q):
    """Hurwitz zeta(s, q) = sum_k (q + k)^-s, as torch.special.zeta: nan for s < 1, inf for s == 1."""
    xp = array_module(s if hasattr(s, "shape") else q)
    s, q = xp.broadcast_arrays(xp.asarray(s, np.float64), xp.asarray(q, np.float64))
    # shift q up until the Euler-Maclaurin tail converges (a > 9 and a well past s, as s grows)
    target = xp.maximum(10.0, xp.where(xp.isfinite(s), s, 0) + 10.0)
    a = q.copy()
    head = xp.zeros_like(a)
    steps = _steps_to(xp, a, target)
    for _ in range(steps):
        low = a < target
        head = head + xp.where(low, a**-s, 0)
        a = xp.where(low, a + 1, a)
    tail = a ** (1 - s) / (s - 1) + 0.5 * a**-s
    rising = s.copy()  # s (s+1) ... (s + 2k - 2)
    power = a ** (-s - 1)  # a^(-s - 2k + 1)
    inv2 = 1 / (a * a)
    for k, c in enumerate(_ZETA_SERIES, 1):
        tail = tail + c * rising * power
        rising = rising * (s + 2 * k - 1) * (s + 2 * k)
        power = power * inv2
    out = head + tail
    out = xp.where((q <= 0) & (q == xp.floor(q)), xp.inf, out)
    out = xp.where((q <= 0) & (q != xp.floor(q)) & (s != xp.floor(s)), xp.nan, out)
    out = xp.where(q == xp.inf, 0.0, out)
    out = xp.where(s == 1, xp.inf, xp.where(s < 1, xp.nan, out))
    return out


def polygamma64(n, x):
    if n == 0:
        return digamma64(x)
    xp = array_module(x)
    sign = 1.0 if n % 2 else -1.0
    with np.errstate(all="ignore"):
        return sign * math.factorial(n) * zeta64(xp.full_like(x, n + 1, dtype=np.float64), x)


# --- modified Bessel functions of the first kind -------------------------------------------------------
_BESSEL_SWITCH = 20.0  # the power series below, Hankel's asymptotic expansion above


@_quiet
def _bessel_i_scaled(x, order):
    """exp(-|x|) I_order(|x|) for order 0 or 1."""
    xp = array_module(x)
    ax = xp.abs(x.astype(np.float64))
    small = xp.minimum(ax, _BESSEL_SWITCH)
    # power series: sum (x/2)^(2k + order) / (k! (k + order)!); no cancellation, 45 terms reach 1e-17 at 20
    q = small * small / 4
    term = (small / 2) ** order
    total = term.copy()
    for k in range(1, 46):
        term = term * q / (k * (k + order))
        total = total + term
    series = total * xp.exp(-small)
    # Hankel: e^x / sqrt(2 pi x) sum_k (-1)^k prod_j (4 order^2 - (2j-1)^2) / (k! (8x)^k)
    large = xp.maximum(ax, _BESSEL_SWITCH)
    mu = 4.0 * order * order
    term = xp.ones_like(large)
    total = term.copy()
    for k in range(1, 30):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8 * large)
        total = total + term
    asymptotic = total / xp.sqrt(2 * math.pi * large)
    return xp.where(ax <= _BESSEL_SWITCH, series, asymptotic)


def i0e64(x):
    return _bessel_i_scaled(x, 0)


def i1e64(x):
    xp = array_module(x)
    return xp.sign(x) * _bessel_i_scaled(x, 1)


@_quiet
def i0_64(x):
    xp = array_module(x)
    ax = xp.abs(x.astype(np.float64))
    return i0e64(x) * xp.exp(ax)


@_quiet
def i1_64(x):
    xp = array_module(x)
    ax = xp.abs(x.astype(np.float64))
    return i1e64(x) * xp.exp(ax)


# --- the normal distribution's functions, on an accurate erfc ------------------------------------------

_ERFC_SWITCH = 1.0  # erf's Taylor series below, the continued fraction above (160 terms reach 1e-14 at 1)


def _erfc_fraction(xp, x, terms):
    """sqrt(pi) exp(x^2) erfc(x) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), bottom-up."""
    frac = x.copy()
    for k in range(terms, 0, -1):
        frac = x + (k / 2) / frac
    return 1 / frac


@_quiet
def erfc64(x):
    """erfc in float64 to ~1e-14 relative."""
    xp = array_module(x)
    x = x.astype(np.float64)
    ax = xp.abs(x)
    small = xp.minimum(ax, _ERFC_SWITCH)
    term = small.copy()
    total = small.copy()
    x2 = small * small
    for n in range(1, 40):
        term = -term * x2 / n
        total = total + term / (2 * n + 1)
    erf_small = 2 / math.sqrt(math.pi) * total
    big = xp.maximum(ax, _ERFC_SWITCH)
    erfc_big = xp.exp(-big * big) / math.sqrt(math.pi) * _erfc_fraction(xp, big, 160)
    positive = xp.where(ax < _ERFC_SWITCH, 1 - erf_small, erfc_big)
    out = xp.where(x < 0, 2 - positive, positive)
    return xp.where(xp.isnan(x), xp.nan, out)


@_quiet
def erfcx64(x):
    """exp(x^2) erfc(x); the continued fraction alone for large x, where exp(x^2) overflows."""
    xp = array_module(x)
    x = x.astype(np.float64)
    fraction = _erfc_fraction(xp, xp.maximum(x, 2.0), 80) / math.sqrt(math.pi)
    return xp.where(x >= 2, fraction, xp.exp(x * x) * erfc64(xp.minimum(x, 2.0)))


_SQRT_HALF = math.sqrt(0.5)


def ndtr64(x):
    return 0.5 * erfc64(-array_module(x).asarray(x, np.float64) * _SQRT_HALF)


@_quiet
def log_ndtr64(x):
    xp = array_module(x)
    x = x.astype(np.float64)
    # log(erfc(-x/sqrt2)/2) with erfc written as exp(-x^2/2) erfcx(..) below 0, where erfc underflows
    lower = -0.5 * x * x + xp.log(0.5 * erfcx64(-xp.minimum(x, 0.0) * _SQRT_HALF))
    upper = xp.log1p(-0.5 * erfc64(xp.maximum(x, 0.0) * _SQRT_HALF))
    return xp.where(x < 0, lower, upper)


@_quiet
def ndtri64(p):
    """The normal quantile: Abramowitz & Stegun 26.2.23 as the start, then Halley steps on ndtr."""
    xp = array_module(p)
    p = p.astype(np.float64)
    upper = p > 0.5
    q = xp.clip(xp.where(upper, 1 - p, p), 1e-320, 0.5)  # the tail probability, in (0, 0.5]
    t = xp.sqrt(-2 * xp.log(q))
    x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t**3))
    for _ in range(4):
        f = ndtr64(x) - q
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        step = f / pdf
        x = x - step / (1 + 0.5 * x * step)
    x = xp.where(upper, -x, xp.where(p == 0.5, 0.0, x))
    x = xp.where(p == 0, -xp.inf, xp.where(p == 1, xp.inf, x))
    return xp.where((p < 0) | (p > 1) | xp.isnan(p), xp.nan, x)


# --- the regularized incomplete gamma functions -------------------------------------------------------


def _iterate(xp, state, step, done, result, limit=2000, check_every=8):
    """Run state = step(state, n) for n = 1, 2, ... on flat arrays, retiring each element once done(state)
    holds for it (checked every few steps), so that the slowest elements alone decide the cost."""
    out = xp.empty_like(state[0])
    index = xp.arange(state[0].shape[0])
    for n in range(1, limit):
        state = step(state, n)
        if n % check_every == 0:
            finished = done(state)
            if finished.any():
                out[index[finished]] = result(state)[finished]
                keep = ~finished
                index = index[keep]
                state = tuple(part[keep] for part in state)
            if index.shape[0] == 0:
                return out
    out[index] = result(state)
    return out


def _gamma_series(xp, a, x):
    """sum_n x^n / (a (a+1) ... (a+n)), for P(a, x) = x^a e^-x / Gamma(a) * it."""

    def step(state, n):
        a, x, term, total = state
        term = term * x / (a + n)
        return a, x, term, total + term

    first = 1 / a
    return _iterate(
        xp,
        (a, x, first, first.copy()),
        step,
        lambda state: ~(xp.abs(state[2]) > xp.abs(state[3]) * 1e-17),
        lambda state: state[3],
    )


def _gamma_continued_fraction(xp, a, x):
    """The continued fraction of Q(a, x) e^x x^-a Gamma(a), by the modified Lentz method."""
    tiny = 1e-300

    def step(state, n):
        a, b, c, d, h, _ = state
        an = -n * (n - a)
        b = b + 2
        d = an * d + b
        d = 1 / xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        delta = d * c
        return a, b, c, d, h * delta, delta

    b = x + 1 - a
    d = 1 / b
    return _iterate(
        xp,
        (a, b, xp.full_like(b, 1 / tiny), d, d.copy(), d),
        step,
        lambda state: ~(xp.abs(state[5] - 1) > 1e-16),
        lambda state: state[4],
    )


@_quiet
def _gammainc_pair(a, x):
    """(P(a, x), Q(a, x)): the series for x < a + 1, the continued fraction for Q elsewhere."""
    xp = array_module(a if hasattr(a, "shape") else x)
    a, x = xp.broadcast_arrays(xp.asarray(a, np.float64), xp.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    prefix = xp.exp(a * xp.log(x) - x - lgamma64(a))
    bad = (a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x)
    regular = ~bad & (a > 0) & (x > 0) & (x < xp.inf)
    use_series = regular & (x < a + 1)
    use_fraction = regular & ~use_series
    p = xp.where(x == 0, 0.0, 1.0)  # x = 0 gives 0; a = 0 (x > 0) and x = inf give 1
    q = 1 - p
    if use_series.any():
        p_series = _gamma_series(xp, a[use_series], x[use_series]) * prefix[use_series]
        p[use_series], q[use_series] = p_series, 1 - p_series
    if use_fraction.any():
        q_fraction = _gamma_continued_fraction(xp, a[use_fraction], x[use_fraction]) * prefix[use_fraction]
        p[use_fraction], q[use_fraction] = 1 - q_fraction, q_fraction
    p[bad], q[bad] = xp.nan, xp.nan
    return p.reshape(shape), q.reshape(shape)


def gammainc64(a, x):
    return _gammainc_pair(a, x)[0]


def gammaincc64(a, x):
    return _gammainc_pair(a, x)[1]


# --- ops --------------------------------------------------------------------------------------------------


def _float_input(input):
    if not _dtype.is_float_array(input._data):
        return input.to(_dtype.get_default_dtype())
    return input


class _Unary64(Op):
    """A special function of one tensor: `kernel` in float64, rounded to the input's dtype."""

    kernel = None

    @classmethod
    def run(cls, input):
        return cls.apply(_float_input(input))

    @classmethod
    def compute(cls, x):
        return cls.kernel(x).astype(x.dtype, copy=False)

    @staticmethod
    def forward(ctx, x):
        y = type(ctx).compute(x)
        ctx.save_for_backward(x, y)
        return y


def _unary(name, kernel, derivative, public=True, node_name=None):
    """A special function of one tensor; derivative(x, y) gives dy/dx as Tensors. `public` ones are
    torch.<name> and Tensor.<name>(_) too; the rest live only in torch.special."""

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * derivative(x, y)

    cls_name = "".join(p.capitalize() for p in name.split("_"))
    attrs = {"kernel": staticmethod(kernel), "backward": staticmethod(backward)}
    if node_name:
        attrs["_node_name"] = node_name
    op = type(cls_name, (_Unary64,), attrs)

    def fn(input):
        return op.run(input)

    fn.__name__ = name
    if public:
        torch_api(name, inplace=True)(fn)
    return fn


def _where0(x, value, at_zero):
    from .elementwise import where

    return where(x == 0, at_zero, value)


_PDF_SCALE = 1 / math.sqrt(2 * math.pi)
lgamma = _unary("lgamma", lgamma64, lambda x, y: digamma(x))
digamma = _unary("digamma", digamma64, lambda x, y: polygamma(1, x))
i0 = _unary("i0", i0_64, lambda x, y: i1(x))
i0e = _unary("i0e", i0e64, lambda x, y: i1e(x) - x.sign() * y, public=False, node_name="SpecialI0EBackward0")
i1 = _unary("i1", i1_64, lambda x, y: i0(x) - _where0(x, y / x, 0.5), public=False, node_name="SpecialI1Backward0")
i1e = _unary(
    "i1e",
    i1e64,
    lambda x, y: i0e(x) - y * (x.sign() + _where0(x, 1 / x, 0.0)),
    public=False,
    node_name="SpecialI1EBackward0",
)
ndtr = _unary(
    "ndtr", ndtr64, lambda x, y: (-0.5 * x * x).exp() * _PDF_SCALE, public=False, node_name="SpecialNdtrBackward0"
)
ndtri = _unary(
    "ndtri", ndtri64, lambda x, y: (0.5 * y * y).exp() / _PDF_SCALE, public=False, node_name="SpecialNdtriBackward0"
)
log_ndtr = _unary(
    "log_ndtr",
    log_ndtr64,
    lambda x, y: (-0.5 * x * x - y).exp() * _PDF_SCALE,
    public=False,
    node_name="SpecialLogNdtrBackward0",
)
erfcx = _unary(
    "erfcx", erfcx64, lambda x, y: 2 * x * y - 2 / math.sqrt(math.pi), public=False, node_name="SpecialErfcxBackward0"
)


class Polygamma(Op):
    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return polygamma64(n, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x), None


@torch_api(method=False)
def polygamma(n, input):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(_float_input(input), int(n))


def _polygamma_method(self, n):
    return polygamma(n, self)


torch_api("polygamma", function=False, inplace=True)(_polygamma_method)


@torch_api(inplace=True)
def mvlgamma(input, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    input = _float_input(input)
    from .creation import arange

    offsets = arange(p, dtype=input.dtype, device=input.device) * -0.5
    out = lgamma(input.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
    return named(out, "MvlgammaBackward0")


def _float_pair(name, a, b):
    """Two operands (tensors or Python scalars) as float tensors of their promoted dtype."""
    from .elementwise import _operand, _cast

    a, b = _operand(a), _operand(b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(
            f"{name}(): expected at least one tensor argument, got {type(a).__name__} and {type(b).__name__}"
        )
    dt = _dtype.result_type(a, b)
    if dt.category != _dtype.FLOAT:
        dt = _dtype.get_default_dtype()
    like = a if isinstance(a, Tensor) else b
    from .creation import tensor

    return tuple(_cast(x, dt) if isinstance(x, Tensor) else tensor(x, dtype=dt, device=like.device) for x in (a, b))


class Zeta(Op):
    _node_name = "SpecialZetaBackward0"

    @staticmethod
    def forward(ctx, s, q):
        return zeta64(s, q).astype(s.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")


def zeta(input, other):
    return Zeta.apply(*_float_pair("special_zeta", input, other))


class Igamma(Op):
    upper = False

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        kernel = gammaincc64 if type(ctx).upper else gammainc64
        return kernel(a, x).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"the derivative for '{'igammac' if ctx.upper else 'igamma'}: input' is not implemented."
            )
        density = (-x + (a - 1) * x.log() - lgamma(a)).exp()
        return None, (-g if ctx.upper else g) * density


class Igammac(Igamma):
    upper = True


@torch_api(inplace=True)
def igamma(input, other):
    return Igamma.apply(*_float_pair("igamma", input, other))


@torch_api(inplace=True)
def igammac(input, other):
    return Igammac.apply(*_float_pair("igammac", input, other))


class Sinc(Op):
    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        with np.errstate(all="ignore"):
            px = math.pi * x.astype(np.float64)
            y = xp.where(x == 0, 1.0, xp.sin(px) / px)
        ctx.save_for_backward(x)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        px = x * math.pi
        return g * _where0(x, (px.cos() * px - px.sin()) / (px * x), 0.0)


@torch_api(inplace=True)
def sinc(input):
    return Sinc.apply(_float_input(input))


@torch_api(inplace=True)
def logit(input, eps=None):
    input = _float_input(input)
    x = input if eps is None else input.clamp(eps, 1 - eps)
    return named((x / (1 - x)).log(), "LogitBackward0")


def xlog1py(input, other):
    from .elementwise import where

    x, y = _float_pair("special_xlog1py", input, other)
    return where((x == 0) & ~y.isnan(), 0.0, x * y.log1p())


class Entr(Op):
    _node_name = "SpecialEntrBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        with np.errstate(all="ignore"):
            y = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1)), xp.where(x == 0, 0.0, -xp.inf))
        ctx.save_for_backward(x)
        return xp.where(xp.isnan(x), x, y).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -(x.log() + 1)


def entr(input):
    return Entr.apply(_float_input(input))


def spherical_bessel_j0(input):
    """sin(x) / x; not differentiable in torch, so its result never requires grad."""
    from .elementwise import where
    from ..autograd.grad_mode import no_grad

    input = _float_input(input)
    with no_grad():
        return where(input == 0, 1.0, input.sin() / input)


@_quiet
def standard_gamma_grad64(alpha, x):
    """dx/dalpha of a Gamma(alpha, 1) sample x held at its quantile: -(dP/dalpha) / (dP/dx), the implicit
    reparameterisation gradient; dP/dalpha by a central difference of the float64 P(alpha, x)."""
    xp = array_module(alpha)
    alpha, x = alpha.astype(np.float64), x.astype(np.float64)
    h = 1e-5 * xp.maximum(alpha, 1e-3)
    d_alpha = (gammainc64(alpha + h, x) - gammainc64(alpha - h, x)) / (2 * h)
    density = xp.exp((alpha - 1) * xp.log(x) - x - lgamma64(alpha))
    return -d_alpha / density


# --- Bessel functions of the first kind, modified of the second kind (no gradients, as torch) --------------

_HANKEL_SWITCH = 25.0  # the trapezoidal integrals below, Hankel's asymptotic expansions above


def _hankel_terms(order, x):
    """The asymptotic series' terms prod_j (4 order^2 - (2j-1)^2) / (k! (8x)^k), k = 0, 1, ..."""
    term = x * 0 + 1
    terms = [term]
    for k in range(1, 30):
        term = term * (4.0 * order * order - (2 * k - 1) ** 2) / (k * 8 * x)
        terms.append(term)
    return terms


@_quiet
def bessel_j64(x, order):
    """J_0 or J_1: Bessel's integral (1/2pi) int_0^2pi cos(n t - x sin t) dt by the trapezoidal rule (exact
    to rounding for a periodic integrand once the points outnumber |x| + n), Hankel's expansion beyond."""
    xp = array_module(x)
    x = x.astype(np.float64)
    ax = xp.abs(x)
    small = xp.minimum(ax, _HANKEL_SWITCH)
    t = xp.arange(96) * (2 * math.pi / 96)
    integral = xp.cos(order * t - small[..., None] * xp.sin(t)).mean(-1)
    large = xp.maximum(ax, _HANKEL_SWITCH)
    p = q = 0
    for k, term in enumerate(_hankel_terms(order, large)):
        sign = -1.0 if k % 4 in (2, 3) else 1.0
        if k % 2 == 0:
            p = p + sign * term
        else:
            q = q + sign * term
    chi = large - (order / 2 + 0.25) * math.pi
    asymptotic = xp.sqrt(2 / (math.pi * large)) * (p * xp.cos(chi) - q * xp.sin(chi))
    out = xp.where(ax <= _HANKEL_SWITCH, integral, asymptotic)
    return out * xp.sign(x) if order == 1 else out


@_quiet
def scaled_bessel_k64(x, order):
    """e^x K_0(x) or e^x K_1(x): int_0^inf exp(-x (cosh t - 1)) cosh(n t) dt by the trapezoidal rule for
    x <= 25, Hankel's expansion beyond; inf at 0 and nan below, as torch."""
    xp = array_module(x)
    x = x.astype(np.float64)
    positive = x > 0
    small = xp.clip(xp.where(positive, x, 1.0), 1e-300, _HANKEL_SWITCH)
    # nodes out to where exp(-x (cosh t - 1)) < 1e-300 for the smallest x
    reach = float(np.arccosh(1 + 700 / float(small.min()))) if small.size else 1.0
    h = 0.1
    t = xp.arange(int(reach / h) + 2) * h
    weights = xp.cosh(order * t)
    weights[0] *= 0.5
    integral = (xp.exp(-small[..., None] * (xp.cosh(t) - 1)) * weights).sum(-1) * h
    large = xp.maximum(xp.where(positive, x, 1.0), _HANKEL_SWITCH)
    asymptotic = sum(_hankel_terms(order, large)) * xp.sqrt(math.pi / (2 * large))
    out = xp.where(small < _HANKEL_SWITCH, integral, asymptotic)
    return xp.where(x == 0, xp.inf, xp.where(positive, out, xp.nan))


@_quiet
def bessel_k64(x, order):
    xp = array_module(x)
    return scaled_bessel_k64(x, order) * xp.exp(-x.astype(np.float64))


# --- orthogonal polynomials of degree n (per element), by their three-term recurrences ---------------------


def _poly_rule(name):
    """(p_0, p_1, step(k, x, p_k, p_k-1) -> p_k+1) for each family."""
    chebyshev = lambda k, x, p, q: 2 * x * p - q  # noqa: E731
    return {
        "chebyshev_t": (lambda x: x, chebyshev),
        "chebyshev_u": (lambda x: 2 * x, chebyshev),
        "chebyshev_v": (lambda x: 2 * x - 1, chebyshev),
        "chebyshev_w": (lambda x: 2 * x + 1, chebyshev),
        "hermite_h": (lambda x: 2 * x, lambda k, x, p, q: 2 * x * p - 2 * k * q),
        "hermite_he": (lambda x: x, lambda k, x, p, q: x * p - k * q),
        "laguerre_l": (lambda x: 1 - x, lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)),
        "legendre_p": (lambda x: x, lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)),
    }[name]


@_quiet
def orthogonal_polynomial64(name, x, n):
    xp = array_module(x)
    x, n = xp.broadcast_arrays(x.astype(np.float64), xp.trunc(xp.asarray(n, np.float64)))
    first, step = _poly_rule(name)
    prev, cur = xp.ones_like(x), first(x)
    out = xp.where(n == 0, prev, xp.where(n == 1, cur, 0.0))
    top = int(xp.where(xp.isnan(n), 0, n).max()) if n.size else 0
    for k in range(1, top):
        prev, cur = cur, step(k, x, cur, prev)
        out = xp.where(n == k + 1, cur, out)
    return out


def _no_grad_special(kernel):
    """A torch.special function that torch does not differentiate: its result never requires grad."""

    def fn(input, *args):
        input = _float_input(input)
        out = kernel(input._data, *args).astype(input._data.dtype, copy=False)
        return Tensor._make(out)

    return fn


bessel_j0 = _no_grad_special(lambda x: bessel_j64(x, 0))
bessel_j1 = _no_grad_special(lambda x: bessel_j64(x, 1))
modified_bessel_i0 = _no_grad_special(i0_64)
modified_bessel_i1 = _no_grad_special(i1_64)
modified_bessel_k0 = _no_grad_special(lambda x: bessel_k64(x, 0))
modified_bessel_k1 = _no_grad_special(lambda x: bessel_k64(x, 1))
scaled_modified_bessel_k0 = _no_grad_special(lambda x: scaled_bessel_k64(x, 0))
scaled_modified_bessel_k1 = _no_grad_special(lambda x: scaled_bessel_k64(x, 1))


def _polynomial(name, shifted=False):
    def fn(input, n):
        x, degree = _float_pair(name, input, n)
        arr = 2 * x._data - 1 if shifted else x._data
        return Tensor._make(orthogonal_polynomial64(name, arr, degree._data).astype(x._data.dtype, copy=False))

    return fn


POLYNOMIALS = {
    f"{family}_polynomial_{kind}": _polynomial(f"{family}_{kind}")
    for family, kinds in (("chebyshev", "tuvw"), ("hermite", ("h", "he")), ("laguerre", "l"), ("legendre", "p"))
    for kind in kinds
}
POLYNOMIALS.update(
    {f"shifted_chebyshev_polynomial_{kind}": _polynomial(f"chebyshev_{kind}", shifted=True) for kind in "tuvw"}
)
