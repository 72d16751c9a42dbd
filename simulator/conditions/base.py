"""What a condition rule decides: the cast of a sample (which objects, which sounds, which targets).

The sampler draws everything common to all conditions (camera, lighting, placement, clips) and
asks the sample's rule only for the cast. A new condition is a new rule, not a fork of the sampler.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CastSlot:
    """An object to place. ``size_bin`` is set for the slot whose mask area is controlled (the
    audio target); other slots get a random size. ``role`` is written to the annotation."""

    category: str
    role: str
    sounding: bool = False
    size_bin: str | None = None


@dataclass
class CastSource:
    """A sound source: a clip of ``category`` placed on slot ``attach_to``."""

    category: str
    attach_to: int | None


@dataclass
class Cast:
    slots: list[CastSlot]
    sources: list[CastSource]
    audio_targets: list[int]                 # indices into ``sources``
    semantic_targets: list[int] = field(default_factory=list)  # indices into ``slots``
    negative: str | None = None


@dataclass
class CastContext:
    """What a rule may use: the sample's rng, the planned size bin, the drawn audio category,
    the total object count and the categories allowed in the image."""

    rng: np.random.Generator
    category: str
    size_bin: str
    count: int
    categories: list[str]

    def other_categories(self, k: int, exclude: set[str]) -> list[str]:
        """``k`` categories drawn uniformly with replacement from those not in ``exclude``
        (fewer if none is left)."""
        pool = [c for c in self.categories if c not in exclude]
        if not pool:
            return []
        return [pool[int(i)] for i in self.rng.integers(0, len(pool), size=k)]


class ConditionRule:
    """Base class of condition rules. ``cast`` must draw only from ``ctx.rng``."""

    name: str = ""

    def cast(self, ctx: CastContext) -> Cast:
        raise NotImplementedError
