"""The plan: which condition, size bin and target category each sample index gets.

Stratified fields (``condition``, ``target.size_bin``, ``target.category``) are not drawn
independently per sample: their choice weights are turned into exact counts (largest remainder,
nested: size bins within each condition, categories within each condition and size bin) and the
assignment is shuffled with a generator seeded by the spec seed alone. Sample i's entry therefore
depends only on the spec, never on workers or order.
"""
from __future__ import annotations

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


def allocate(n: int, dist: Distribution, rng: np.random.Generator | None = None) -> list[tuple[object, int]]:
    """Exact counts summing to ``n`` in proportion to a choice's weights (largest remainder;
    ties broken by ``rng`` if given, else in favour of the earlier value)."""
    if isinstance(dist, Constant):
        return [(dist.value, n)]
    if not isinstance(dist, Choice):
        raise TypeError("only constants and choices can be stratified")
    probs = dist.probabilities()
    values = list(probs)
    quotas = np.array([probs[v] * n for v in values])
    counts = np.floor(quotas).astype(int)
    tie = rng.permutation(len(values)) if rng is not None else np.arange(len(values))
    order = sorted(range(len(values)), key=lambda i: (-round(quotas[i] - counts[i], 12), tie[i]))
    for i in order[: n - counts.sum()]:
        counts[i] += 1
    return [(v, int(c)) for v, c in zip(values, counts)]


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
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([spec.seed, _PLAN_TAG])))
        groups: list[tuple[tuple, int]] = [((), self.n)]
        for key in STRATA:
            groups = [(prefix + (v,), c) for prefix, total in groups
                      for v, c in allocate(total, self._dist(spec, library, key, prefix, self._category_pool), rng)
                      if c]
        labels = [g for g, c in groups for _ in range(c)]
        perm = rng.permutation(self.n)
        self._labels = [labels[j] for j in perm]

    @staticmethod
    def _dist(spec: Spec, library, key: str, prefix: tuple, category_pool=None) -> Distribution:
        if key != "target.category" or spec.resolved["target"]["category"] is not None:
            return spec.dist(key)
        if category_pool is not None:
            pool = tuple(category_pool(prefix[0], prefix[1], spec.dist(key).values))
            return Choice(pool, tuple(1.0 for _ in pool))
        args = feasibility_args(spec.resolved, spec.dists)
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
