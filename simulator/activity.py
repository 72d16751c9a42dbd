"""When each source emits: onsets and offsets within the clip (docs/motion.md, "Onsets and offsets").

A :class:`simulator.core.scene.Source` emits from ``onset_s`` to ``offset_s`` seconds of the clip
(either absent: from the clip's start / to its end). The dry clip is multiplied by a gate that is
1 inside that interval and 0 outside, with raised-cosine ramps of :data:`RAMP_S` seconds *inside*
the interval at each edge that is not the clip's own start or end (so nothing sounds outside it).
Times are emission times at the source; the sound reaches the ears a propagation delay later.

The spec's ``source.activity`` block (``kind: always | gated``) draws the intervals from a stream
of the sample's own seed sequence, ``SeedSequence(spec_seed, spawn_key=(index, attempt,
ACTIVITY_STREAM))``, one draw per source in id order; ``always`` draws nothing and stores nothing
(a spec without gating keeps its Scenes' bytes). Condition rules with a time course (such as
``cross_event``) set the intervals themselves. :func:`fit_excerpts` then moves a gated source's
clip offset, where needed, so that the part it emits holds sound.
"""
from __future__ import annotations

import numpy as np

from .core.scene import Scene, Source

#: Length of each raised-cosine ramp of the gate, seconds.
RAMP_S = 0.005
#: The extra spawn-key element of the activity stream.
ACTIVITY_STREAM = 0xAC71
#: Shortest active interval a gate keeps, seconds (a drawn interval is at least this long).
MIN_ACTIVE_S = 0.05


def is_gated(src: Source) -> bool:
    """True when the source does not emit throughout the clip."""
    return src.onset_s is not None or src.offset_s is not None


def active_at(src: Source, t_s) -> np.ndarray:
    """(n,) bool: does the source emit at times ``t_s`` (seconds; onset inclusive, offset exclusive)."""
    t = np.atleast_1d(np.asarray(t_s, dtype=float))
    on = np.ones(t.shape, bool)
    if src.onset_s is not None:
        on &= t >= float(src.onset_s)
    if src.offset_s is not None:
        on &= t < float(src.offset_s)
    return on


def gate(src: Source, sample_rate: int, n: int) -> np.ndarray | None:
    """(n,) float32 gain of the source's dry signal at samples k / sample_rate (None: not gated)."""
    if not is_gated(src):
        return None
    t = np.arange(n, dtype=float) / float(sample_rate)
    g = active_at(src, t).astype(float)
    ramp = max(RAMP_S, 1.0 / sample_rate)
    if src.onset_s is not None and src.onset_s > 0:
        x = (t - float(src.onset_s)) / ramp
        rising = (x >= 0) & (x < 1)
        g[rising] *= 0.5 - 0.5 * np.cos(np.pi * x[rising])
    if src.offset_s is not None:
        x = (float(src.offset_s) - t) / ramp
        falling = (x > 0) & (x < 1)
        g[falling] *= 0.5 - 0.5 * np.cos(np.pi * x[falling])
    return g.astype(np.float32)


def check_activity(src: Source, duration_s: float, path: str = "source") -> None:
    """ValueError naming ``path`` unless the interval is ordered and overlaps [0, duration_s)."""
    on = 0.0 if src.onset_s is None else float(src.onset_s)
    off = float(duration_s) if src.offset_s is None else float(src.offset_s)
    if not off > on:
        raise ValueError(f"{path}: offset_s {off} is not after onset_s {on}")
    if on >= duration_s:
        raise ValueError(f"{path}: onset_s {on} is not inside the clip ({duration_s} s)")


def activity_rng(scene: Scene) -> np.random.Generator:
    """The sample's activity stream."""
    spec_seed, index, attempt = scene.seed
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec_seed,
                                                                       spawn_key=(index, attempt, ACTIVITY_STREAM))))


def draw_activity(scene: Scene, spec) -> Scene:
    """Store each source's drawn interval (in place; returned) when ``source.activity.kind`` can be
    ``gated``: per source (id order) its kind, then ``onset_s`` and ``active_s``; the onset is kept
    at most ``duration - MIN_ACTIVE_S`` and the offset is left out when it reaches the clip's end."""
    dist = spec.dists["source.activity.kind"]
    kinds = dist.probabilities() if hasattr(dist, "probabilities") else {dist.value: 1.0}
    if kinds.get("gated", 0.0) <= 0:
        return scene
    rng = activity_rng(scene)
    duration = float(scene.audio.duration_s)
    for src in sorted(scene.sources, key=lambda s: s.id):
        if spec.sample("source.activity.kind", rng) != "gated":
            continue
        onset = min(float(spec.sample("source.activity.onset_s", rng)), max(0.0, duration - MIN_ACTIVE_S))
        offset = onset + max(float(spec.sample("source.activity.active_s", rng)), MIN_ACTIVE_S)
        src.onset_s = onset
        src.offset_s = offset if offset < duration else None
    return scene


def fit_excerpts(scene: Scene, library) -> Scene:
    """Make the emitting part of every gated source's excerpt hold sound (in place; returned).

    The sampler draws a clip offset whose whole excerpt is active (simulator/sampler.py); a gate
    keeps only part of it, which can fall on a pause of the clip. For each gated source (id order),
    when the excerpt's emitting samples, from ``round(onset * rate)`` to ``round(offset * rate)``,
    are not an active excerpt of the clip (``library.active_offsets``), the clip offset is moved so
    that they start at an active offset drawn uniformly (stream ``ACTIVITY_STREAM``, sub-key 1);
    PlacementError (the sample is redrawn) when the clip has no active excerpt that long."""
    from .errors import PlacementError

    gated = [s for s in sorted(scene.sources, key=lambda s: s.id) if is_gated(s)]
    if not gated:
        return scene
    spec_seed, index, attempt = scene.seed
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec_seed,
                                                                     spawn_key=(index, attempt, ACTIVITY_STREAM, 1))))
    sr = library.sample_rate
    n = int(round(scene.audio.duration_s * sr))
    for src in gated:
        start = int(round((src.onset_s or 0.0) * sr))
        stop = n if src.offset_s is None else min(n, int(round(src.offset_s * sr)))
        if stop <= start:
            continue
        active = library.active_offsets(src.clip, stop - start)
        size = active.size
        at = (int(round(src.clip_offset_s * sr)) + start) % size
        if np.any((active.starts <= at) & (at < active.ends)):
            continue
        if not active.count:
            raise PlacementError(f"source {src.id}: clip {src.clip} has no active {(stop - start) / sr:g} s excerpt")
        moved = active.offset_s(float(rng.uniform(0.0, active.count / sr)), sr)
        src.clip_offset_s = float(((int(np.floor(moved * sr)) - start) % size) / sr)
    return scene


def activity_entry(src: Source) -> dict[str, float]:
    """The record's onset/offset fields of a source (empty when it emits throughout)."""
    out = {}
    if src.onset_s is not None:
        out["onset_s"] = float(src.onset_s)
    if src.offset_s is not None:
        out["offset_s"] = float(src.offset_s)
    return out


__all__ = ["ACTIVITY_STREAM", "MIN_ACTIVE_S", "RAMP_S", "active_at", "activity_entry", "activity_rng",
           "check_activity", "draw_activity", "fit_excerpts", "gate", "is_gated"]
