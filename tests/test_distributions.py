"""Declared distributions (simulator.spec.distributions); the plan's balanced sequences are in test_plan.py.

Every form parses, samples inside its support with a seeded numpy Generator, is reproducible
from the seed and survives to_spec() -> parse_distribution(); choice weights and the truncated
normal match their theory.
"""
from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator.spec.distributions import (
    Choice,
    Constant,
    DistributionError,
    IntRange,
    Kind,
    TruncatedNormal,
    Uniform,
    parse_distribution,
)

FAST = settings(max_examples=200, deadline=None)
N = 2000

FLOAT = Kind("float")
INT = Kind("int")
STR = Kind("str")
BOOL = Kind("bool")
VEC3 = Kind("vec", size=3)
BIN = Kind("str", choices=("size1", "size2", "size3"))
HFOV = Kind("float", low=1.0, high=179.0)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def draws(dist, n: int = N, seed: int = 0) -> list:
    g = rng(seed)
    return [dist.sample(g) for _ in range(n)]


class FixedUniform:
    """A stand-in Generator whose uniform() always returns ``u`` (the extremes of [0, 1))."""

    def __init__(self, u: float):
        self.u = u

    def uniform(self, size=None):
        return np.full(size, self.u) if size else self.u


# ---------------------------------------------------------------------------------------------
# parsing: each form gives the right type
@pytest.mark.parametrize("value, kind, expected", [
    (60, FLOAT, Constant(60.0)),
    (60.5, HFOV, Constant(60.5)),
    (3, INT, Constant(3)),
    (3.0, INT, Constant(3)),
    ("dog", STR, Constant("dog")),
    (True, BOOL, Constant(True)),
    ([1, 2, 3], VEC3, Constant((1.0, 2.0, 3.0))),
    ({"choice": ["size1", "size3"]}, BIN, Choice(("size1", "size3"), (1.0, 1.0))),
    ({"choice": [40, 60], "weights": [1, 3]}, HFOV, Choice((40.0, 60.0), (1.0, 3.0))),
    ({"choice": [[0, 0, 0], [1, 1, 1]]}, VEC3, Choice(((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)), (1.0, 1.0))),
    ({"uniform": [50, 70]}, HFOV, Uniform(50.0, 70.0)),
    ({"uniform": [[0, 0, 0], [1, 2, 3]]}, VEC3, Uniform((0.0, 0.0, 0.0), (1.0, 2.0, 3.0))),
    ({"loguniform": [1, 100]}, HFOV, Uniform(1.0, 100.0, log=True)),
    ({"normal": {"mean": 60, "std": 5, "min": 50, "max": 70}}, HFOV, TruncatedNormal(60.0, 5.0, 50.0, 70.0)),
    ({"int": [1, 4]}, INT, IntRange(1, 4)),
])
def test_parse_each_form(value, kind, expected):
    dist = parse_distribution(value, kind)
    assert dist == expected
    assert type(dist) is type(expected)
    assert dist.is_constant == isinstance(expected, Constant)


@pytest.mark.parametrize("value, kind, subkey, fragment", [
    ({"unifrom": [1, 2]}, FLOAT, None, "did you mean 'uniform'"),
    ({"choice": []}, STR, "choice", "non-empty"),
    ({"choice": "abc"}, STR, "choice", "non-empty"),
    ({"choice": ["a", "b"], "weights": [1]}, STR, "weights", "list of 2"),
    ({"choice": ["a", "b"], "weights": [1, -1]}, STR, "weights", "non-negative"),
    ({"choice": ["a", "b"], "weights": [0, 0]}, STR, "weights", "zero"),
    ({"choice": ["a", "b"], "weights": [1, True]}, STR, "weights", "non-negative"),
    ({"choice": ["a"], "wieghts": [1]}, STR, "wieghts", "did you mean 'weights'"),
    ({"uniform": [70, 50]}, FLOAT, "uniform", "inverted"),
    ({"uniform": [50, 50]}, FLOAT, "uniform", "empty"),
    ({"uniform": [1, 2, 3]}, FLOAT, "uniform", "[low, high]"),
    ({"uniform": [[0, 0, 1], [1, 1, 1]]}, VEC3, "uniform", "below"),
    ({"uniform": [0, 1]}, STR, "uniform", "use choice"),
    ({"uniform": [0, 1]}, INT, "uniform", "int: [low, high]"),
    ({"loguniform": [0, 10]}, FLOAT, "loguniform", "0 < low"),
    ({"loguniform": [-1, 10]}, FLOAT, "loguniform", "0 < low"),
    ({"normal": {"mean": 60, "std": 5}}, FLOAT, "normal", "min, max"),
    ({"normal": {"mean": 60, "std": 0, "min": 50, "max": 70}}, FLOAT, "normal", "std"),
    ({"normal": {"mean": 60, "std": 5, "min": 70, "max": 50}}, FLOAT, "normal", "below max"),
    ({"normal": {"mean": 60, "std": 5, "min": 0, "max": 70}}, HFOV, "normal", "out of range"),
    ({"normal": {"mean": 0, "std": 1, "min": -1, "max": 1}}, VEC3, "normal", "single numbers"),
    ({"int": [5, 2]}, INT, "int", "empty range"),
    ({"int": [1.5, 2]}, INT, "int", "integer"),
    ({"int": [1, 2]}, FLOAT, "int", "integer fields"),
    ({"uniform": [1, 2], "int": [1, 2]}, INT, None, "exactly one"),
    ({}, FLOAT, None, "exactly one"),
    ({"uniform": [0, 200]}, HFOV, "uniform", "out of range"),
    ("60", FLOAT, None, "expected a number"),
    (True, FLOAT, None, "expected a number"),
    (float("nan"), FLOAT, None, "finite"),
    (1, BOOL, None, "true or false"),
    ("size4", BIN, None, "did you mean 'size3'"),
    ([1, 2], VEC3, None, "list of 3 numbers"),
])
def test_parse_errors_name_the_part(value, kind, subkey, fragment):
    with pytest.raises(DistributionError) as info:
        parse_distribution(value, kind)
    assert info.value.subkey == subkey
    assert fragment in str(info.value)


def test_constants_only_where_not_random():
    assert parse_distribution(224, INT, random=False) == Constant(224)
    with pytest.raises(DistributionError, match="must be a constant"):
        parse_distribution({"int": [1, 2]}, INT, random=False)


# ---------------------------------------------------------------------------------------------
# sampling stays inside the support
def test_constant_samples():
    assert set(draws(parse_distribution(60, HFOV), 50)) == {60.0}
    assert set(draws(parse_distribution([1, 2, 3], VEC3), 50)) == {(1.0, 2.0, 3.0)}


def test_choice_samples_only_its_values():
    d = parse_distribution({"choice": ["size1", "size2", "size3"], "weights": [1, 0, 2]}, BIN)
    got = Counter(draws(d))
    assert set(got) == {"size1", "size3"}  # zero weight is never drawn


def test_uniform_samples_in_range():
    x = np.array(draws(parse_distribution({"uniform": [50, 70]}, HFOV)))
    assert x.min() >= 50 and x.max() <= 70
    assert x.min() < 50.5 and x.max() > 69.5  # it covers the range
    assert abs(x.mean() - 60) < 4 * (20 / math.sqrt(12)) / math.sqrt(N)
    assert all(type(v) is float for v in x.tolist())


def test_uniform_vector_samples_in_box():
    d = parse_distribution({"uniform": [[4, 3, 2.5], [9, 7, 3.5]]}, VEC3)
    x = np.array(draws(d))
    assert x.shape == (N, 3)
    assert (x >= [4, 3, 2.5]).all() and (x <= [9, 7, 3.5]).all()
    # components are independent draws, not one shared u
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.1
    assert all(type(v) is tuple and len(v) == 3 for v in draws(d, 10))


def test_loguniform_samples_in_range_and_uniform_in_log():
    lo, hi = 1.0, 100.0
    x = np.array(draws(parse_distribution({"loguniform": [lo, hi]}, HFOV), 10000))
    assert x.min() >= lo and x.max() <= hi
    logs = np.log(x)
    mid, width = (math.log(lo) + math.log(hi)) / 2, math.log(hi) - math.log(lo)
    assert abs(logs.mean() - mid) < 4 * (width / math.sqrt(12)) / math.sqrt(x.size)
    # about half the mass below the geometric mean (10)
    assert abs((x < 10).mean() - 0.5) < 4 * 0.5 / math.sqrt(x.size)


def test_normal_samples_in_bounds():
    d = parse_distribution({"normal": {"mean": 60, "std": 20, "min": 50, "max": 70}}, HFOV)
    x = np.array(draws(d))
    assert x.min() >= 50 and x.max() <= 70


def test_int_samples_cover_the_inclusive_range():
    x = draws(parse_distribution({"int": [1, 4]}, INT))
    assert set(x) == {1, 2, 3, 4}
    assert all(type(v) is int for v in x)


@FAST
@given(lo=st.floats(-1e3, 1e3), width=st.floats(1e-6, 1e3), seed=st.integers(0, 2**32 - 1), log=st.booleans())
def test_uniform_property_in_support(lo, width, seed, log):
    if log:
        lo = abs(lo) + 1e-3
    hi = lo + width
    d = parse_distribution({"loguniform" if log else "uniform": [lo, hi]}, FLOAT)
    g = rng(seed)
    for _ in range(20):
        assert lo <= d.sample(g) <= hi


@FAST
@given(mean=st.floats(-100, 100), std=st.floats(0.01, 100), lo=st.floats(-100, 100), width=st.floats(0.01, 100),
       seed=st.integers(0, 2**32 - 1))
def test_truncated_normal_property_in_support(mean, std, lo, width, seed):
    d = TruncatedNormal(mean, std, lo, lo + width)
    g = rng(seed)
    for _ in range(20):
        x = d.sample(g)
        assert lo <= x <= lo + width
        assert math.isfinite(x)


@FAST
@given(lo=st.integers(-10**6, 10**6), span=st.integers(0, 1000), seed=st.integers(0, 2**32 - 1))
def test_int_range_property_in_support(lo, span, seed):
    d = parse_distribution({"int": [lo, lo + span]}, INT)
    g = rng(seed)
    for _ in range(20):
        assert lo <= d.sample(g) <= lo + span


# ---------------------------------------------------------------------------------------------
# statistics
def test_choice_weights_are_respected():
    weights = [1, 2, 7, 0, 10]
    values = ["a", "b", "c", "d", "e"]
    d = parse_distribution({"choice": values, "weights": weights}, STR)
    n = 10000
    got = Counter(draws(d, n, seed=123))
    total = sum(weights)
    for v, w in zip(values, weights):
        p = w / total
        sigma = math.sqrt(n * p * (1 - p))
        assert abs(got[v] - n * p) <= 3 * sigma, (v, got[v], n * p, sigma)
    assert got["d"] == 0
    assert d.probabilities() == pytest.approx({"a": 0.05, "b": 0.1, "c": 0.35, "d": 0.0, "e": 0.5})


def test_choice_repeated_values_add_up():
    d = parse_distribution({"choice": ["a", "b", "a"], "weights": [1, 1, 2]}, STR)
    assert d.probabilities() == pytest.approx({"a": 0.75, "b": 0.25})


@pytest.mark.parametrize("mean, std, lo, hi", [
    (60.0, 5.0, 50.0, 70.0),     # symmetric, mild truncation
    (60.0, 20.0, 50.0, 70.0),    # heavy truncation: close to uniform
    (0.0, 1.0, 0.5, 3.0),        # one-sided
    (0.0, 1.0, 2.0, 4.0),        # tail
    (10.0, 3.0, -5.0, 9.0),      # mean above the interval's centre
])
def test_truncated_normal_matches_scipy(mean, std, lo, hi):
    d = parse_distribution({"normal": {"mean": mean, "std": std, "min": lo, "max": hi}}, FLOAT)
    n = 20000
    x = np.array(draws(d, n, seed=7))
    assert x.min() >= lo and x.max() <= hi
    a, b = (lo - mean) / std, (hi - mean) / std
    ref = stats.truncnorm(a, b, loc=mean, scale=std)
    assert abs(x.mean() - ref.mean()) < 4 * ref.std() / math.sqrt(n)
    assert x.std() == pytest.approx(ref.std(), rel=0.05)
    # and the whole shape: Kolmogorov-Smirnov
    assert stats.kstest(x, ref.cdf).pvalue > 1e-3


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's skew of a far-tail truncnorm
@pytest.mark.parametrize("mean, std, lo, hi", [
    (60.0, 1.0, 70.0, 80.0),     # 10 std above: mass sits at 70, sampler returns 80
    (1000.0, 1.0, 50.0, 70.0),   # far below: mass sits at 70, sampler returns 50
])
def test_truncated_normal_far_tail(mean, std, lo, hi):
    d = TruncatedNormal(mean, std, lo, hi)
    x = np.array(draws(d, 2000, seed=3))
    ref = stats.truncnorm((lo - mean) / std, (hi - mean) / std, loc=mean, scale=std)
    assert abs(x.mean() - ref.mean()) < 0.05 * (hi - lo)


def test_loguniform_extremes_stay_in_support():
    hi_case = Uniform(99.9666558852951, 699.7665911970657, log=True)
    assert hi_case.sample(FixedUniform(1.0 - 2.0**-53)) <= hi_case.high
    lo_case = Uniform(2.7236180904522613, 10.0, log=True)
    assert lo_case.sample(FixedUniform(0.0)) >= lo_case.low


def test_uniform_extremes_stay_in_support():
    d = Uniform(50.0, 70.0)
    assert d.sample(FixedUniform(0.0)) == 50.0
    assert 50.0 <= d.sample(FixedUniform(1.0 - 2.0**-53)) <= 70.0
    t = TruncatedNormal(60.0, 5.0, 50.0, 70.0)
    assert t.sample(FixedUniform(0.0)) == 50.0
    assert 50.0 <= t.sample(FixedUniform(1.0 - 2.0**-53)) <= 70.0


# ---------------------------------------------------------------------------------------------
# reproducibility and to_spec
SPECS = [
    (60, HFOV),
    ([1, 2, 3], VEC3),
    ("dog", STR),
    (False, BOOL),
    ({"choice": ["size1", "size2", "size3"]}, BIN),
    ({"choice": ["size1", "size2"], "weights": [3, 1]}, BIN),
    ({"choice": [[0, 0, 0], [1, 1, 1]], "weights": [1, 0.5]}, VEC3),
    ({"choice": [40, 60.5]}, HFOV),
    ({"uniform": [50, 70]}, HFOV),
    ({"uniform": [[4, 3, 2.5], [9, 7, 3.5]]}, VEC3),
    ({"loguniform": [0.001, 1000]}, FLOAT),
    ({"normal": {"mean": 60, "std": 5, "min": 50, "max": 70}}, HFOV),
    ({"int": [-3, 17]}, INT),
]


@pytest.mark.parametrize("value, kind", SPECS)
def test_same_seed_same_draws(value, kind):
    d = parse_distribution(value, kind)
    assert draws(d, 200, seed=42) == draws(d, 200, seed=42)
    if not d.is_constant:
        assert draws(d, 200, seed=42) != draws(d, 200, seed=43)


@pytest.mark.parametrize("value, kind", SPECS)
def test_to_spec_reparses_to_an_equal_distribution(value, kind):
    d = parse_distribution(value, kind)
    again = parse_distribution(d.to_spec(), kind)
    assert again == d
    assert draws(again, 50, seed=5) == draws(d, 50, seed=5)
    # and the YAML form is plain data (lists, not tuples)
    assert json.loads(json.dumps(d.to_spec())) == d.to_spec()


@FAST
@given(form=st.sampled_from(["uniform", "loguniform", "normal", "int", "choice"]),
       a=st.floats(0.001, 1e6), b=st.floats(0.001, 1e6), w=st.lists(st.floats(0, 100), min_size=1, max_size=5))
def test_to_spec_round_trip_property(form, a, b, w):
    lo, hi = min(a, b), max(a, b)
    if form in ("uniform", "loguniform", "normal") and lo == hi:
        return
    if form == "int":
        value, kind = {"int": [int(lo), int(hi)]}, INT
    elif form == "normal":
        value, kind = {"normal": {"mean": (lo + hi) / 2, "std": hi - lo, "min": lo, "max": hi}}, FLOAT
    elif form == "choice":
        if sum(w) <= 0:
            return
        value, kind = {"choice": [lo + i for i in range(len(w))], "weights": w}, FLOAT
    else:
        value, kind = {form: [lo, hi]}, FLOAT
    d = parse_distribution(value, kind)
    assert parse_distribution(d.to_spec(), kind) == d
