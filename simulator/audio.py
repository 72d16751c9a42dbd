"""A sample's audio from its Scene: the rendered mixture with its stems and responses, or the
condition's silence or noise, the negatives written beside it, and the output level. A Scene
that moves is rendered along its trajectories (no responses); its negatives stay static.

Every setting comes from the Scene (``audio.level_db``, ``audio.noise_rms_db``,
``manipulations``); noise is seeded by the Scene's ``render_seed`` with its own stream per signal
(1: the sample's noise audio, 2 + k: the k-th negative kind), so a Scene re-renders exactly.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from renderers.acoustic.heads import HEADS
from renderers.acoustic.moving_scene import render_moving_scene

from .activity import gate
from .annotate import annotate_source
from .assets.library import loop_excerpt
from .core.scene import NEGATIVE_KINDS, Scene, Source
from .core.scene_motion import is_static


@dataclass
class SampleAudio:
    """(C, n) float32 signals at the output level; ``record`` is the record's ``audio`` entry and
    ``negatives_record`` its ``negatives`` list (None: the sample has none)."""

    mixture: np.ndarray
    stems: list[np.ndarray]
    impulse_responses: list[np.ndarray]
    negatives: dict[str, np.ndarray] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    negatives_record: list[dict[str, Any]] | None = None


def output_gain(audio: np.ndarray, level_db: float) -> float:
    """``level_db`` as a linear gain, lowered further only if the signal would clip."""
    gain = 10.0 ** (level_db / 20.0)
    peak = float(np.max(np.abs(audio))) * gain if audio.size else 0.0
    return gain * (0.999 / peak if peak > 0.999 else 1.0)


def noise_audio(scene: Scene, kind: str, channels: int, n: int, stream: int) -> np.ndarray:
    """Silence, or white Gaussian noise at ``audio.noise_rms_db`` (independent per channel),
    seeded by the Scene's render_seed and ``stream``."""
    if kind == "silence":
        return np.zeros((channels, n), np.float32)
    rms = 10.0 ** (scene.audio.noise_rms_db / 20.0)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(scene.render_seed, spawn_key=(stream,))))
    return (rms * rng.standard_normal((channels, n))).astype(np.float32)


def render_audio(scene: Scene, acoustic, clip: Callable[[str, int], np.ndarray],
                 occluders: Callable[[Scene], list]) -> SampleAudio:
    """The sample's audio. ``acoustic``: the acoustic renderer for the Scene's rate;
    ``clip(key, rate)``: a library clip; ``occluders(scene)``: object hulls that may block direct
    sound (renderers.acoustic.occlusion)."""
    sr, n = scene.audio.sample_rate, int(round(scene.audio.duration_s * scene.audio.sample_rate))
    channels = HEADS.get(scene.listener.head).channels
    kind = scene.manipulations.audio
    occlusion = None
    moving = not is_static(scene)
    if kind is None:
        clips = _clips(scene.sources, clip, sr, n)
        rendered = render_moving_scene(acoustic, scene, clips) if moving else \
            acoustic.render(scene, clips, occluders(scene))
        mixture, stems, irs = rendered.mixture, rendered.stems, rendered.impulse_responses
        occlusion = rendered.occlusion
    else:
        mixture, stems, irs = noise_audio(scene, kind, channels, n, stream=1), [], []
    gain = output_gain(mixture, scene.audio.level_db)
    record = {"sample_rate": sr, "duration_s": scene.audio.duration_s, "channels": channels,
              "head": scene.listener.head, "content": kind or "rendered",
              "output_gain_db": float(20.0 * np.log10(gain))}
    if moving and kind is None:
        record["moving"] = True  # rendered along the trajectories (renderers/acoustic/moving_scene.py)
    if scene.room.occlusion and kind is None:
        record["occlusion"] = occlusion  # one entry per source whose direct path is blocked
    negatives: dict[str, np.ndarray] = {}
    negatives_record = None
    neg = scene.manipulations.negatives
    if neg is not None:
        negatives_record = []
        for k, name in enumerate(NEGATIVE_KINDS):
            if name == "offscreen":
                if neg.offscreen is None:
                    continue
                src = neg.offscreen.source
                alone = dataclasses.replace(scene, sources=[src])
                signal = acoustic.render(alone, _clips([src], clip, sr, n), occluders(alone)).mixture
                info = {"kind": name, "region": neg.offscreen.region, "source": annotate_source(scene.camera, src)}
            else:
                if not getattr(neg, name):
                    continue
                signal = noise_audio(scene, name, channels, n, stream=2 + k)
                info = {"kind": name}
            g = output_gain(signal, scene.audio.level_db)
            negatives[name] = signal * np.float32(g)
            negatives_record.append({**info, "output_gain_db": float(20.0 * np.log10(g))})
    g = np.float32(gain)
    return SampleAudio(mixture * g, [x * g for x in stems], irs, negatives, record, negatives_record)


def _clips(sources: list[Source], clip: Callable[[str, int], np.ndarray], sample_rate: int, n: int) -> list[np.ndarray]:
    """Each source's dry excerpt of ``n`` samples, gated to its onset and offset (simulator/activity.py)."""
    out = []
    for s in sources:
        x = loop_excerpt(clip(s.clip, sample_rate), int(round(s.clip_offset_s * sample_rate)), n)
        g = gate(s, sample_rate, n)
        out.append(x if g is None else (x * g).astype(x.dtype))
    return out
