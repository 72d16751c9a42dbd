"""The plan (simulator.plan): balanced over every prefix, the same for any number of samples,
exact where the shares are whole numbers, nested (size bins within conditions, categories within
both), and a function of the spec alone."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator.plan import Plan, balanced_sequence
from simulator.spec.distributions import Choice, Constant, Uniform

KEY = (7, 1, 0, 0)


def choice(weights: list[int]) -> Choice:
    return Choice(tuple(f"v{i}" for i in range(len(weights))), tuple(float(w) for w in weights))


@settings(max_examples=150, deadline=None)
@given(weights=st.lists(st.integers(0, 40), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
       n=st.integers(0, 1500), seed=st.integers(0, 2**31))
@example(weights=[1, 1, 1, 1, 1, 1, 1, 1], n=1000, seed=0)
@example(weights=[40, 1], n=1500, seed=1)
def test_every_prefix_is_balanced(weights, n, seed):
    seq = balanced_sequence(choice(weights), n, (seed, 1, 0, 0))
    assert len(seq) == n
    total, k = sum(weights), sum(1 for w in weights if w)
    codes = np.array([int(v[1:]) for v in seq], dtype=int)
    for j, w in enumerate(weights):
        counts = np.cumsum(codes == j)  # count of value j in each prefix
        shares = np.arange(1, n + 1) * w / total
        if w == 0:
            assert not counts.any()
            continue
        assert np.all(np.abs(counts - shares) < 1 + k * w / total + 1e-9)


@settings(max_examples=100, deadline=None)
@given(weights=st.lists(st.integers(1, 9), min_size=1, max_size=6), blocks=st.integers(0, 40),
       seed=st.integers(0, 2**31))
def test_whole_shares_are_exact(weights, blocks, seed):
    n = blocks * sum(weights)
    counts = Counter(balanced_sequence(choice(weights), n, (seed, 2)))
    assert [counts[f"v{i}"] for i in range(len(weights))] == [blocks * w for w in weights]


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(0, 20), min_size=1, max_size=6).filter(lambda w: sum(w) > 0),
       n=st.integers(0, 600), more=st.integers(0, 600))
def test_a_longer_sequence_starts_with_the_shorter(weights, n, more):
    d = choice(weights)
    assert balanced_sequence(d, n + more, KEY)[:n] == balanced_sequence(d, n, KEY)


def test_order_depends_on_the_key_and_is_not_periodic():
    d = choice([1] * 8)
    a, b = balanced_sequence(d, 800, KEY), balanced_sequence(d, 800, (8, 1, 0, 0))
    assert a != b and Counter(a) == Counter(b)
    # no value sits at a fixed position modulo the number of values
    assert all(len({a[i] for i in range(r, 800, 8)}) > 1 for r in range(8))


def test_constants_and_non_choices():
    assert balanced_sequence(Constant("congruent"), 5, KEY) == ["congruent"] * 5
    with pytest.raises(TypeError):
        balanced_sequence(Uniform(0.0, 1.0), 5, KEY)


def _plan(text: str):
    from simulator.assets.library import AssetLibrary
    from simulator.spec.loader import load_spec_text

    library = AssetLibrary.default()
    return Plan(load_spec_text(text, "t.yaml", library=library)[0], library)


SPEC = ("seed: 3\ncondition: {choice: [congruent, audio_only, vision_only, offscreen]}\n"
        "target:\n  size_bin: {choice: [size1, size2, size3], weights: [1, 1, 2]}\n"
        "objects:\n  categories: [dog, car, piano]\n")


def test_plan_counts_are_exact_for_whole_shares():
    counts = _plan("samples: 96\n" + SPEC).counts()
    assert counts["condition"] == {"audio_only": 24, "congruent": 24, "offscreen": 24, "vision_only": 24}
    assert set(counts["condition/size_bin"].values()) == {6, 12}
    assert counts["size_bin"] == {"size1": 24, "size2": 24, "size3": 48}
    assert sum(counts["category"].values()) == 96


def test_a_larger_plan_keeps_every_entry_of_the_smaller():
    """Growth: samples 40 -> 64 keeps the first 40 entries (condition, size bin, category)."""
    small, large = _plan("samples: 40\n" + SPEC), _plan("samples: 64\n" + SPEC)
    assert [small.entry(i) for i in range(40)] == [large.entry(i) for i in range(40)]
    assert [e.index for e in (large.entry(i) for i in range(64))] == list(range(64))


def test_the_plan_is_a_function_of_the_spec():
    a, b = _plan("samples: 50\n" + SPEC), _plan("samples: 50\n" + SPEC)
    assert [a.entry(i) for i in range(50)] == [b.entry(i) for i in range(50)]
    c = _plan("samples: 50\n" + SPEC.replace("seed: 3", "seed: 4"))
    assert [a.entry(i) for i in range(50)] != [c.entry(i) for i in range(50)]
