"""Condition rules: each audio-visual condition is a rule the sampler applies (not a fork of it).

See docs/conditions.md for the semantics of each and the seeds they come from.
"""
from __future__ import annotations

from .absent_vcue import AbsentVcue
from .audio_only import AudioOnly
from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule
from .conflict_vcue import ConflictVcue
from .congruent import Congruent
from .mixed import Mixed
from .multi_instance import MultiInstance
from .offscreen import Offscreen
from .vision_only import VisionOnly

RULES: dict[str, type[ConditionRule]] = {rule.name: rule for rule in (
    Congruent, ConflictVcue, AbsentVcue, AudioOnly, VisionOnly, MultiInstance, Offscreen, Mixed)}

__all__ = ["Cast", "CastContext", "CastSlot", "CastSource", "ConditionRule", "RULES", "condition_names", "get_rule"]


def condition_names() -> tuple[str, ...]:
    return tuple(RULES)


def get_rule(name: str) -> ConditionRule:
    return RULES[name]()
