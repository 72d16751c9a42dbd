"""Condition rules as a registry: each audio-visual condition is a rule the sampler applies (not a
fork of it), with its spec options and the invariants audit checks. Temporal rules (``temporal``:
leaves_view, enters_view, turns_towards, cross_event) are conditions of clips: they also arrange the clip's time
course and state per-frame invariants (docs/video.md).

See docs/conditions.md for the semantics of each and the seeds they come from.
"""
from __future__ import annotations

from .absent_vcue import AbsentVcue
from .audio_only import AudioOnly
from ..core.registry import Registry
from .base import Cast, CastContext, CastSlot, CastSource, ClipCheck, ClipContext, ConditionRule, RecordCheck
from .conflict_vcue import ConflictVcue
from .congruent import Congruent
from .cross_event import CrossEvent
from .enters_view import EntersView
from .leaves_view import LeavesView
from .mixed import Mixed
from .multi_instance import MultiInstance
from .offscreen import Offscreen
from .turns_towards import TurnsTowards
from .vision_only import VisionOnly

def _check(name: str, rule: type) -> None:
    if not (isinstance(rule, type) and issubclass(rule, ConditionRule)) or rule.name != name:
        raise TypeError(f"condition {name!r} must be a ConditionRule subclass named {name!r}")
    if rule.check is ConditionRule.check:
        raise TypeError(f"condition {name!r} has no check(): every condition states the invariants audit checks")
    if rule.cast is ConditionRule.cast:
        raise TypeError(f"condition {name!r} has no cast()")


RULES: Registry[type[ConditionRule]] = Registry("condition", _check)
for _rule in (Congruent, ConflictVcue, AbsentVcue, AudioOnly, VisionOnly, MultiInstance, Offscreen, Mixed,
              LeavesView, EntersView, TurnsTowards, CrossEvent):
    RULES.register(_rule.name, _rule)

__all__ = ["Cast", "CastContext", "CastSlot", "CastSource", "ClipCheck", "ClipContext", "ConditionRule", "RULES",
           "RecordCheck",
           "condition_names", "get_rule"]


def condition_names() -> tuple[str, ...]:
    return RULES.names()


def get_rule(name: str) -> ConditionRule:
    return RULES.get(name)()
