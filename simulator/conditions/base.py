"""What a condition rule decides: the cast of a sample (which objects, which sounds, which targets).

The sampler draws everything common to all conditions (camera, lighting, placement, clips) and
asks the sample's rule only for the cast. A new condition is a new rule, not a fork of the sampler; it also declares its spec options and
the invariants ``simulate audit`` checks on its samples.

Vocabulary: ``c`` is the sample's planned category (the category of the sound that plays; for
``vision_only``, of the object that would sound). The *sized* slot is the one whose mask area is
controlled to fall in the sample's size bin (the audio target's object where there is one).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

#: How often :meth:`CastContext.distractors` draws a size bin before giving up on matching it.
BIN_DRAWS = 16

@dataclass
class CastSlot:
    """An object to place. ``size_bin`` is set on the sized slot only (the sample's planned bin).
    Every other slot is sized like it, in a bin drawn from the same distribution (``target.size_bin``):
    ``bin`` when the rule drew it with the category (:meth:`CastContext.distractors`), else the
    sampler draws one the category can reach. ``role`` is written to the annotation (target,
    semantic, distractor, instance, ...)."""

    category: str
    role: str
    sounding: bool = False
    size_bin: str | None = None
    bin: str | None = None


@dataclass
class CastSource:
    """A sound source: a clip of ``category``.

    ``placement``: ``object`` (on slot ``attach_to``), ``point`` (a random point in view whose
    target region is a disk of the sample's size bin, for audio_only) or ``offscreen`` (outside
    the field of view, in ``region``).
    """

    category: str
    attach_to: int | None = None
    placement: str = "object"
    region: str | None = None


@dataclass
class Cast:
    slots: list[CastSlot]
    sources: list[CastSource]
    audio_targets: list[int] = field(default_factory=list)      # indices into ``sources``
    semantic_targets: list[int] = field(default_factory=list)   # indices into ``slots``
    negative: str | None = None
    image: str | None = None   # None (rendered) | "gray" | "noise"
    audio: str | None = None   # None (rendered) | "silence" | "noise"


@dataclass
class CastContext:
    """What a rule may use: the sample's rng, its planned category and size bin, the drawn
    object count, the categories allowed in the image, ``option(key)`` to draw a value of the
    spec's ``conditions.<name>`` block, ``reachable(category)`` telling whether a category can
    fill the size bin at real size, ``reaches(category, size_bin)`` the same for any bin, and
    ``draw_bin()`` a size bin drawn like the sample's (``target.size_bin``)."""

    rng: np.random.Generator
    category: str
    size_bin: str
    count: int
    categories: list[str]
    option: Callable[[str], Any]
    reachable: Callable[[str], bool]
    reaches: Callable[[str, str], bool] = lambda category, size_bin: True
    draw_bin: Callable[[], str] | None = None

    def other_categories(self, k: int, exclude: set[str]) -> list[str]:
        """``k`` categories drawn uniformly with replacement from those not in ``exclude``
        (fewer if none is left)."""
        pool = [c for c in self.categories if c not in exclude]
        if not pool or k <= 0:
            return []
        return [pool[int(i)] for i in self.rng.integers(0, len(pool), size=k)]

    def distractors(self, k: int, exclude: set[str], role: str = "distractor") -> list[CastSlot]:
        """``k`` silent objects of categories not in ``exclude``, each drawn as a planned target is:
        a size bin like the sample's (``draw_bin``), then a category uniform among those that can
        reach it, so their sizes and distances follow the target's distributions (no visual
        shortcut to the sounding object). A bin no allowed category reaches is drawn again (up
        to :data:`BIN_DRAWS` times; then a category uniform over the allowed, its bin left to the
        sampler). Fewer than ``k`` if no category is allowed."""
        pool = [c for c in self.categories if c not in exclude]
        if not pool or k <= 0:
            return []
        slots = []
        for _ in range(k):
            for _ in range(BIN_DRAWS if self.draw_bin is not None else 0):
                size_bin = self.draw_bin()
                fits = [c for c in pool if self.reaches(c, size_bin)]
                if fits:
                    slots.append(CastSlot(fits[int(self.rng.integers(len(fits)))], role=role, bin=size_bin))
                    break
            else:
                slots.append(CastSlot(pool[int(self.rng.integers(len(pool)))], role=role))
        return slots

    def sized_other_category(self, exclude: set[str]) -> str:
        """One category not in ``exclude`` that can fill the size bin (uniform)."""
        pool = [c for c in self.categories if c not in exclude and self.reachable(c)]
        if not pool:
            raise ValueError(f"no category other than {sorted(exclude)} can fill {self.size_bin}")
        return pool[int(self.rng.integers(len(pool)))]


class RecordCheck(Protocol):
    """What a rule's :meth:`ConditionRule.check` works with: one sample's record under audit
    (simulator/audit.py's ``RecordAudit``). ``r``: the record; ``objects`` / ``sources``: its
    entries by id; ``audio_targets``, ``semantic``, ``targets``: its target lists."""

    r: dict[str, Any]
    objects: dict[int, dict[str, Any]]
    sources: dict[int, dict[str, Any]]
    targets: dict[str, Any]
    audio_targets: list[dict[str, Any]]
    semantic: list[int]

    def fail(self, check: str, message: str) -> None:
        """Report a broken invariant (``check``: a dotted name such as ``congruent.instances``)."""

    def plain(self, cond: str, negative: str | None = None) -> None:
        """Rendered image and audio, and the expected negative label."""

    def one_object_target(self, cond: str) -> tuple[dict, dict] | None:
        """The single source on an object and its object (checked to be the audio target)."""

    def sized(self, cond: str, obj: dict | None, what: str) -> None:
        """``obj``'s mask area lies in the sample's size bin."""

    def of_category(self, category: str) -> list[int]:
        """Ids of the objects of ``category``."""

    def inside_image(self, pixel) -> bool:
        """True if a pixel (u, v) lies inside the image."""


@dataclass
class ClipContext:
    """What a temporal rule's :meth:`ConditionRule.arrange` may use on a laid-out clip Scene:
    ``rng`` (the sample's clip stream), ``option(key)`` (a value of the rule's
    ``conditions.<name>`` block), the clip's ``duration_s`` and ``fps``, ``inside(points,
    margin)`` (are (n, 3) world points at least ``margin`` m inside the room), ``object_points(id)``
    (the object's posed vertices at t = 0, world frame, m) and ``margin`` (the spec's
    ``target.margin``, a fraction of the image kept free of object centres)."""

    rng: np.random.Generator
    option: Callable[[str], Any]
    duration_s: float
    fps: float
    inside: Callable[[np.ndarray, float], bool]
    object_points: Callable[[int], np.ndarray]
    margin: float = 0.1


class ClipCheck(Protocol):
    """What :meth:`ConditionRule.check_clip` works with (simulator/clip_audit.py): the record
    ``r``, its clip's per-frame labels ``frames`` (the record's ``video.frames``), the clip
    ``event`` (the record's ``video.event`` or None) and ``fail``."""

    r: dict[str, Any]
    frames: list[dict[str, Any]]
    event: dict[str, Any] | None

    def fail(self, check: str, message: str) -> None:
        """Report a broken invariant."""


class ConditionRule:
    """Base class of condition rules: the cast of a sample, the options of the spec's
    ``conditions.<name>`` block, and the invariants audit checks.

    ``cast`` must draw only from ``ctx.rng`` / ``ctx.option``. ``options``: name -> spec field
    (:mod:`simulator.spec.fields`) of the rule's own options, documented by ``description``.
    ``check`` must be implemented: a rule without one cannot be registered.
    ``sized_is_planned_category``: the sized object has the planned category c (so the plan
    balances c over the categories that can reach each size bin). ``needs_other_category``: the
    image needs objects of categories other than c (so the spec must allow at least two).
    """

    name: str = ""
    description: str = ""
    options: dict[str, Any] = {}
    sized_is_planned_category: bool = True
    needs_other_category: bool = False
    #: A condition with a time course (docs/video.md, temporal conditions): it needs a clip
    #: (``video.fps``), arranges motion or onsets once the layout is settled (:meth:`arrange`)
    #: and states its per-frame invariants (:meth:`check_clip`).
    temporal: bool = False

    def cast(self, ctx: CastContext) -> Cast:
        raise NotImplementedError

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on one sample's record (report with ``a.fail``)."""
        raise NotImplementedError(f"condition {self.name!r} has no invariant check")

    def arrange(self, scene, ctx: ClipContext) -> None:
        """Give the settled clip Scene its time course (in place): trajectories, head turn, onsets,
        and ``scene.video.event``. Raise simulator.errors.PlacementError when this layout cannot
        have it (the sample is redrawn). Still conditions arrange nothing."""

    def check_clip(self, a: ClipCheck) -> None:
        """The condition's invariants on each frame of a clip (report with ``a.fail``)."""
