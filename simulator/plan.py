"""The plan: which condition, size bin and target category each sample index gets.

Stratified fields (``condition``, ``target.size_bin``, ``target.category``) are not drawn
independently per sample: the plan is a balanced sequence over the indices, nested (size bins
within each condition, categories within each condition and size bin). Sample i's entry depends
only on the spec and i, never on the number of samples, workers or order, so a dataset can grow
(a larger ``samples`` keeps every existing sample) and any contiguous slice of the plan
(``--part K/N``) is made alone.

Balance over every prefix (the block size is 1): value ``v`` of weight ``p`` (weights normalised
to sum to 1) takes its k-th index at "time" ``(k + u) / p`` with ``u`` uniform in [0, 1) drawn per
occurrence from a stream seeded by the spec seed and the value, and the indices go to the events in
time order. Over the first ``m`` indices (any ``m``) each value's count therefore differs from its
share ``m * p`` by less than ``1 + K * p`` (``K`` values; less than 2 when the weights are equal),
and equals the share exactly whenever every share is a whole number (e.g. 40 samples over 8 equal
conditions: 5 each). Within a condition the same holds for its size bins over that condition's
indices, and so on down.
"""
from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .spec.distributions import Choice, Constant, Distribution
from .conditions import get_rule
from .feasibility import feasibility_args, planned_category_pool
from .spec.spec import Spec

STRATA = ("condition", "target.size_bin", "target.category")
_PLAN_TAG = 0x706C616E  # "plan": keeps the plan's stream apart from the samples' streams


@dataclass(frozen=True)
class PlanEntry:
    index: int
    condition: str
    size_bin: str
    category: str


#: Version of the plan's construction, recorded in dataset.json: a dataset grows or resumes only
#: under the plan version that made it.
PLAN_VERSION = 2


def balanced_sequence(dist: Distribution, n: int, key: tuple[int, ...]) -> list[object]:
    """The first ``n`` values of the balanced sequence of a choice (or constant) ``dist``
    (module docstring); ``key``: seed words of this node of the plan. The first ``n`` values are
    the same for any larger ``n``."""
    if isinstance(dist, Constant):
        return [dist.value] * n
    if not isinstance(dist, Choice):
        raise TypeError("only constants and choices can be stratified")
    probs = dist.probabilities()
    values = list(probs)
    times, codes = [], []
    for j, value in enumerate(values):
        p = float(probs[value])
        if p <= 0 or n == 0:
            continue
        m = int(np.ceil((n + len(values) + 2) * p)) + 2  # more occurrences than the first n can take
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([*key, j])))
        times.append((np.arange(m) + rng.random(m)) / p)
        codes.append(np.full(m, j, dtype=np.int64))
    if not times:
        return []
    order = np.argsort(np.concatenate(times), kind="stable")[:n]
    return [values[j] for j in np.concatenate(codes)[order]]


def _node_key(seed: int, level: int, prefix: tuple) -> tuple[int, ...]:
    """Seed words of one node of the plan (a level and the values above it)."""
    return (int(seed), _PLAN_TAG, level, zlib.crc32("\x1f".join(map(str, prefix)).encode()))


class Plan:
    """Per-index assignment of the stratified fields for one spec.

    When the spec leaves ``target.category`` unset, each size bin is balanced over the categories
    that can reach it at real size (:mod:`simulator.feasibility`); an explicit choice is used as is
    (validation has checked it is feasible).
    """

    def __init__(self, spec: Spec, library, category_pool=None):
        """``category_pool(condition, size_bin, values) -> categories``: which planned categories
        each (condition, size bin) can take when ``target.category`` is unset (default: those real
        sizes allow, :mod:`simulator.feasibility`; photo specs pass the photos' own)."""
        self.n = spec.samples
        self._category_pool = category_pool
        labels: list[tuple] = [() for _ in range(self.n)]
        groups: dict[tuple, list[int]] = {(): list(range(self.n))}
        for level, key in enumerate(STRATA):
            children: dict[tuple, list[int]] = {}
            for prefix, positions in groups.items():
                dist = self._dist(spec, library, key, prefix, self._category_pool)
                for position, value in zip(positions, balanced_sequence(dist, len(positions),
                                                                        _node_key(spec.seed, level, prefix))):
                    labels[position] = prefix + (value,)
                    children.setdefault(prefix + (value,), []).append(position)
            groups = children
        self._labels = labels

    @staticmethod
    def _dist(spec: Spec, library, key: str, prefix: tuple, category_pool=None) -> Distribution:
        if key != "target.category" or spec.resolved["target"]["category"] is not None:
            return spec.dist(key)
        if category_pool is not None:
            pool = tuple(category_pool(prefix[0], prefix[1], spec.dist(key).values))
            return Choice(pool, tuple(1.0 for _ in pool))
        args = feasibility_args(spec.resolved, spec.dists, library)
        pool = tuple(planned_category_pool(library, get_rule(prefix[0]), prefix[1], spec.dist(key).values, *args))
        return Choice(pool, tuple(1.0 for _ in pool))

    def __len__(self) -> int:
        return self.n

    def entry(self, index: int) -> PlanEntry:
        condition, size_bin, category = self._labels[index]
        return PlanEntry(index, condition, size_bin, category)

    def counts(self) -> dict[str, dict[str, int]]:
        """Counts per condition, per size bin, per category and per (condition, size bin)."""
        out: dict[str, dict[str, int]] = {"condition": {}, "size_bin": {}, "category": {}, "condition/size_bin": {}}
        for (cond, sb, cat), c in sorted(Counter(self._labels).items()):
            for key, val in (("condition", cond), ("size_bin", sb), ("category", cat),
                             ("condition/size_bin", f"{cond}/{sb}")):
                out[key][val] = out[key].get(val, 0) + c
        return out
