"""Declared distributions for random spec fields.

Every random field of a spec is one of these forms (in YAML):

* a plain value — a constant: ``hfov_deg: 60``
* ``{choice: [a, b, c], weights: [1, 2, 1]}`` — one of the values (weights optional, >= 0)
* ``{uniform: [lo, hi]}`` — uniform on [lo, hi]; lo and hi may be vectors (per component)
* ``{loguniform: [lo, hi]}`` — log-uniform on [lo, hi], 0 < lo
* ``{normal: {mean: m, std: s, min: a, max: b}}`` — normal truncated to [a, b] (both required)
* ``{int: [lo, hi]}`` — integer uniform on lo..hi, both included

A distribution knows its support, so a field's bounds are checked before anything is sampled.
Sampling takes a ``numpy.random.Generator``; nothing here holds random state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri, ndtri_exp

FORMS = ("choice", "uniform", "loguniform", "normal", "int")


class DistributionError(ValueError):
    """Bad distribution declaration; ``subkey`` names the offending part (e.g. ``uniform``)."""

    def __init__(self, message: str, subkey: str | None = None):
        super().__init__(message)
        self.subkey = subkey


@dataclass(frozen=True)
class Kind:
    """The type of a spec value: ``float``, ``int``, ``str``, ``bool`` or a float vector of
    length ``size``; ``low``/``high`` bound numbers (inclusive unless ``open_low``/``open_high``);
    ``choices`` restricts strings."""

    name: str
    size: int = 0
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple | None = None

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        base = {"float": "a number", "int": "an integer", "str": "a string", "bool": "true or false"}.get(
            self.name, f"a list of {self.size} numbers")
        if self.low is not None or self.high is not None:
            lo = "(" if self.open_low else "["
            hi = ")" if self.open_high else "]"
            base += f" in {lo}{_fmt(self.low, '-inf', self.name)}, {_fmt(self.high, 'inf', self.name)}{hi}"
        return base

    def check(self, value: Any) -> Any:
        """Validate a constant of this kind and return it normalised (floats, tuples)."""
        if self.name == "bool":
            if not isinstance(value, bool):
                raise DistributionError(f"expected true or false, got {value!r}")
            return value
        if self.name == "str":
            if not isinstance(value, str):
                raise DistributionError(f"expected {self.describe()}, got {value!r}")
            if self.choices is not None and value not in self.choices:
                raise DistributionError(f"{value!r} is not {self.describe()}{_suggest(value, self.choices)}")
            return value
        if self.size:
            if not isinstance(value, (list, tuple)) or len(value) != self.size:
                raise DistributionError(f"expected {self.describe()}, got {value!r}")
            return tuple(self._check_number(v, float) for v in value)
        return self._check_number(value, int if self.name == "int" else float)

    def _check_number(self, value: Any, tp: type) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DistributionError(f"expected {self.describe()}, got {value!r}")
        if tp is int and not (isinstance(value, int) or float(value).is_integer()):
            raise DistributionError(f"expected {self.describe()}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise DistributionError(f"{value!r} is not {self.describe()}")
        if isinstance(value, float) and not math.isfinite(value):
            raise DistributionError(f"expected a finite number, got {value!r}")
        try:
            v = tp(value)
            float(v)
        except OverflowError:
            raise DistributionError(f"{value!r} is out of range: expected {self.describe()}") from None
        if self.low is not None and (v < self.low or (self.open_low and v == self.low)):
            raise DistributionError(f"{value!r} is out of range: expected {self.describe()}")
        if self.high is not None and (v > self.high or (self.open_high and v == self.high)):
            raise DistributionError(f"{value!r} is out of range: expected {self.describe()}")
        return v


def _fmt(v: float | None, default: str, kind: str) -> str:
    if v is None:
        return default
    return str(int(v)) if kind == "int" else f"{v:g}"


def _suggest(value: str, options: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(value), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Distribution:
    """Base class: ``sample(rng)`` draws one value; ``support_values()`` lists the extremes or
    members of the support (for validation); ``to_spec()`` gives the YAML form back."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def to_spec(self) -> Any:
        raise NotImplementedError

    @property
    def is_constant(self) -> bool:
        return False


@dataclass(frozen=True)
class Constant(Distribution):
    value: Any

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def to_spec(self) -> Any:
        return list(self.value) if isinstance(self.value, tuple) else self.value

    @property
    def is_constant(self) -> bool:
        return True


@dataclass(frozen=True)
class Choice(Distribution):
    values: tuple
    weights: tuple[float, ...]

    def sample(self, rng: np.random.Generator) -> Any:
        p = np.asarray(self.weights, dtype=float)
        return self.values[int(rng.choice(len(self.values), p=p / p.sum()))]

    def to_spec(self) -> Any:
        return {"choice": [list(v) if isinstance(v, tuple) else v for v in self.values], "weights": list(self.weights)}

    def probabilities(self) -> dict[Any, float]:
        total = float(sum(self.weights))
        out: dict[Any, float] = {}
        for v, w in zip(self.values, self.weights):
            out[v] = out.get(v, 0.0) + w / total
        return out


@dataclass(frozen=True)
class Uniform(Distribution):
    low: Any
    high: Any
    log: bool = False

    def sample(self, rng: np.random.Generator) -> Any:
        lo, hi = np.asarray(self.low, float), np.asarray(self.high, float)
        u = rng.uniform(size=lo.shape)
        x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))) if self.log else lo + u * (hi - lo)
        x = np.clip(x, lo, hi)  # rounding must not step outside the declared range
        return tuple(float(a) for a in x) if isinstance(self.low, tuple) else float(x)

    def to_spec(self) -> Any:
        lo = list(self.low) if isinstance(self.low, tuple) else self.low
        hi = list(self.high) if isinstance(self.high, tuple) else self.high
        return {"loguniform" if self.log else "uniform": [lo, hi]}


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    mean: float
    std: float
    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        # Inverse-CDF sampling, one uniform draw per value (a predictable stream). Work in the
        # tail where the CDF has precision: above the mean, sample the mirror image below it.
        lo, hi = (self.low - self.mean) / self.std, (self.high - self.mean) / self.std
        flip = lo > 0
        if flip:
            lo, hi = -hi, -lo
        u = rng.uniform()
        if hi < -5.0:  # deep lower tail: in log space, where the CDF does not underflow
            log_a, log_b = log_ndtr(lo), log_ndtr(hi)
            z = float(ndtri_exp(log_b + np.log(u + (1.0 - u) * np.exp(log_a - log_b))))
        else:
            a, b = ndtr(lo), ndtr(hi)
            z = float(ndtri(a + u * (b - a)))
        z = min(max(z, lo), hi)
        x = self.mean + self.std * (-z if flip else z)
        return float(min(max(x, self.low), self.high))

    def to_spec(self) -> Any:
        return {"normal": {"mean": self.mean, "std": self.std, "min": self.low, "max": self.high}}


@dataclass(frozen=True)
class IntRange(Distribution):
    low: int
    high: int

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))

    def to_spec(self) -> Any:
        return {"int": [self.low, self.high]}


def parse_distribution(value: Any, kind: Kind, random: bool = True) -> Distribution:
    """Turn a spec value into a :class:`Distribution` of ``kind``; raise DistributionError.

    With ``random=False`` only constants are accepted.
    """
    if isinstance(value, dict) and (set(value) & set(FORMS) or not value):
        if not random:
            raise DistributionError(f"this field must be a constant ({kind.describe()}), not a distribution")
        return _parse_form(value, kind)
    if isinstance(value, dict):
        raise DistributionError(
            f"expected {kind.describe()} or a distribution ({', '.join(FORMS)}), got keys {sorted(value)}"
            + _suggest(next(iter(value)), FORMS))
    return Constant(kind.check(value))


def _parse_form(value: dict, kind: Kind) -> Distribution:
    forms = [k for k in value if k in FORMS]
    extra = [k for k in value if k not in FORMS and not (k == "weights" and forms == ["choice"])]
    if len(forms) != 1:
        raise DistributionError(f"give exactly one of {', '.join(FORMS)}; got {sorted(value) or 'nothing'}")
    if extra:
        raise DistributionError(f"unexpected key {extra[0]!r} in a {forms[0]} distribution"
                                + _suggest(extra[0], ["weights"] if forms[0] == "choice" else []), subkey=extra[0])
    form = forms[0]
    arg = value[form]
    if form == "choice":
        if not isinstance(arg, list) or not arg:
            raise DistributionError("choice needs a non-empty list of values", subkey=form)
        values = tuple(_wrap(kind, v, form) for v in arg)
        weights = value.get("weights", [1.0] * len(values))
        if not isinstance(weights, list) or len(weights) != len(values):
            raise DistributionError(f"weights must be a list of {len(values)} numbers", subkey="weights")
        for w in weights:
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
                raise DistributionError(f"weights must be non-negative numbers, got {w!r}", subkey="weights")
        if sum(weights) <= 0:
            raise DistributionError("weights must not all be zero", subkey="weights")
        return Choice(values, tuple(float(w) for w in weights))
    if kind.name in ("str", "bool"):
        raise DistributionError(f"{form} does not apply to {kind.describe()}; use choice", subkey=form)
    if form == "normal":
        if kind.name != "float":
            raise DistributionError(f"normal applies to single numbers, not {kind.describe()}", subkey=form)
        if not isinstance(arg, dict) or set(arg) != {"mean", "std", "min", "max"}:
            raise DistributionError("normal needs {mean, std, min, max}", subkey=form)
        mean, std, lo, hi = (_wrap(Kind("float"), arg[k], form) for k in ("mean", "std", "min", "max"))
        if std <= 0:
            raise DistributionError("normal std must be > 0", subkey=form)
        if not lo < hi:
            raise DistributionError(f"normal min must be below max, got [{lo}, {hi}]", subkey=form)
        _wrap(kind, lo, form), _wrap(kind, hi, form)
        return TruncatedNormal(mean, std, lo, hi)
    if not isinstance(arg, list) or len(arg) != 2:
        raise DistributionError(f"{form} needs a list [low, high]", subkey=form)
    lo, hi = (_wrap(kind, v, form) for v in arg)
    los, his = (lo, hi) if isinstance(lo, tuple) else ((lo,), (hi,))
    if form == "int":
        if kind.name != "int":
            raise DistributionError(f"int ranges apply to integer fields; use uniform for {kind.describe()}",
                                    subkey=form)
        if lo > hi:
            raise DistributionError(f"empty range: low {lo} is above high {hi}", subkey=form)
        return IntRange(lo, hi)
    if kind.name == "int":
        raise DistributionError(f"{form} gives real numbers; this field is an integer: use int: [low, high]",
                                subkey=form)
    if any(a >= b for a, b in zip(los, his)):
        raise DistributionError(f"empty or inverted range: low {list(los) if kind.size else lo} must be below "
                                f"high {list(his) if kind.size else hi}", subkey=form)
    if form == "loguniform" and any(a <= 0 for a in los):
        raise DistributionError("loguniform needs 0 < low", subkey=form)
    return Uniform(lo, hi, log=form == "loguniform")


def _wrap(kind: Kind, v: Any, form: str) -> Any:
    try:
        return kind.check(v)
    except DistributionError as exc:
        raise DistributionError(str(exc), subkey=form) from None


def support(dist: Distribution) -> list:
    """The values a constant or a choice can take (with positive weight)."""
    if isinstance(dist, Choice):
        return [v for v, p in dist.probabilities().items() if p > 0]
    return [dist.value]


def value_range(dist: Distribution) -> tuple[float, float]:
    """Smallest and largest value a numeric distribution can give."""
    if isinstance(dist, Constant):
        return dist.value, dist.value
    if isinstance(dist, Choice):
        return min(dist.values), max(dist.values)
    return dist.low, dist.high


def component_range(dist: Distribution, k: int) -> tuple[float, float]:
    """Smallest and largest value of component ``k`` of a vector distribution."""
    if isinstance(dist, Constant):
        return dist.value[k], dist.value[k]
    if isinstance(dist, Choice):
        vals = [v[k] for v in dist.values]
        return min(vals), max(vals)
    return dist.low[k], dist.high[k]
