"""A whole moving Scene's audio: every source rendered along its trajectory, heard by the moving,
turning head (:func:`renderers.acoustic.moving.render_moving` per source), mixed, with the room's
noise floor as the static renderer adds it.

The Scene's positions and yaw are sampled at :data:`CONTROL_RATE_HZ` (every 10 ms) by
:func:`simulator.core.scene_motion.motion_control` and interpolated linearly in between by the
moving renderer; a source on an object follows its object. The result is the static renderer's
:class:`simulator.core.render.AudioRender` without impulse responses (a moving path has no single
response) and without occlusion (not rendered for moving sources). Units: seconds, metres,
degrees; signals (channels, n) float32, channel 0 LEFT.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from simulator.core.render import AudioRender
from simulator.core.scene import Scene
from simulator.core.scene_motion import motion_control

from .free_field import dry_clips
from .moving import render_moving
from .room_renderer import RoomRenderer

#: Rate at which the Scene's trajectories are handed to the moving renderer, Hz.
CONTROL_RATE_HZ = 100.0


def render_moving_scene(renderer: RoomRenderer, scene: Scene, clips: Sequence[np.ndarray]) -> AudioRender:
    """Render every source of the moving ``scene`` with its dry clip (1-D, ``round(duration_s *
    fs)`` samples at the renderer's rate); see the module docstring. ValueError names what is
    wrong (a room the moving renderer does not follow, occlusion, a pose outside the room)."""
    fs = renderer.sample_rate
    xs = dry_clips(scene, clips, fs)
    n = int(round(float(scene.audio.duration_s) * fs))
    if scene.room.occlusion:
        raise ValueError("room.occlusion is not rendered for moving sources")
    control = motion_control(scene, CONTROL_RATE_HZ)
    model, head = renderer._setup(scene)
    stems = []
    mix = np.zeros((head.n_channels, n))
    for k, (src, (x, _)) in enumerate(zip(scene.sources, xs)):
        y = render_moving(x, fs, control.sources_m[k], control.listener_m, control.head_yaw_deg,
                          1.0 / CONTROL_RATE_HZ, room=scene.room, listener=scene.listener,
                          gain_db=float(src.gain_db), render_seed=int(scene.render_seed), source_index=k,
                          renderer=renderer)
        stems.append(y.astype(np.float32))
        mix += y
    renderer.add_noise_floor(mix, scene, model, head)
    return AudioRender(mixture=mix.astype(np.float32), stems=stems, impulse_responses=[], occlusion=[])


__all__ = ["CONTROL_RATE_HZ", "render_moving_scene"]
