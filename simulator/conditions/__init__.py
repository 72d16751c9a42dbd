"""Condition rules: each audio-visual condition is a rule the sampler applies (not a fork of it)."""
from __future__ import annotations

from .base import CastSlot, CastSource, ConditionRule, Cast
from .congruent import Congruent

RULES: dict[str, type[ConditionRule]] = {
    "congruent": Congruent,
}


def condition_names() -> tuple[str, ...]:
    return tuple(RULES)


def get_rule(name: str) -> ConditionRule:
    return RULES[name]()
