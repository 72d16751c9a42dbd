"""What a head model is: how the sound field reaches the listener's channels.

A head model turns arrivals (image sources at room positions, or plane waves from directions) into
its channels, says how a diffuse field looks at its ears (the late tail's inter-channel statistics)
and which points of the head must lie inside the room. Frames as in docs/conventions.md: head frame
= world frame of the un-rotated head (+x ahead, +y left, +z up, metres); a head rotated by ``R``
hears a world direction ``u`` at ``R.T u``; channel 0 is the LEFT ear (+y) where there are two.

Adding a head model: a module with a :class:`HeadModel` subclass and one
``HEADS.register(name, instance)`` line (renderers/acoustic/heads/__init__.py registers the
built-in ``spaced``, ``mono`` and ``hrtf``); the spec's ``listener.head`` then accepts its name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from simulator.core.scene import Listener


@dataclass
class PreparedHead:
    """One listener's head ready for rendering (built by :meth:`HeadModel.prepare`).

    ``ears_head`` (C, 3): omni receiver offsets in the head frame, metres (zeros for heads whose
    channels are not omni points); ``rotation`` R (3, 3): head frame -> world; ``hrtf``: the
    prepared HRTF or None; ``lead``: samples of response kept before t = 0; ``spacing``: distance
    between omni ears, metres (0 for one receiver or an HRTF)."""

    model: "HeadModel"
    n_channels: int
    ears_head: np.ndarray
    rotation: np.ndarray
    hrtf: Any
    lead: int
    spacing: float


class HeadModel:
    """Base class of head models (see the module docstring). ``channels``: output channels."""

    name: str = ""
    channels: int = 2
    #: True if the channels are omni point receivers (:meth:`omni_ears`), rendered in free field
    #: exactly as :class:`renderers.acoustic.free_field.FreeFieldRenderer` does.
    omni: bool = False

    def omni_ears(self, listener: Listener) -> np.ndarray | None:
        """Omni receiver positions (C, 3) in the head frame for free-field rendering, or None if
        the head's channels are not omni points."""
        return None

    def prepare(self, listener: Listener, rotation: np.ndarray, half_width: int,
                load_hrtf: Callable[[Listener], Any]) -> PreparedHead:
        """Validate the listener's head fields and prepare the head (``half_width``: taps of the
        fractional-delay interpolator on each side; ``load_hrtf(listener)``: the prepared HRTF)."""
        raise NotImplementedError

    def points(self, head: PreparedHead) -> np.ndarray:
        """Head-frame points (K, 3) that must lie inside the room, besides the head centre."""
        raise NotImplementedError

    def check_source(self, p: np.ndarray, head: PreparedHead, where: str) -> None:
        """Raise ValueError if a source at world point ``p`` (head at the origin) is too close."""
        raise NotImplementedError

    def receivers(self, head: PreparedHead, listener_room: np.ndarray) -> np.ndarray:
        """Receiver points (R, 3) in room coordinates for image-source visibility."""
        raise NotImplementedError

    def taps_after(self, head: PreparedHead, half_width: int) -> int:
        """Samples an arrival's response reaches after its delay."""
        return half_width + 1

    def accumulate(self, out: np.ndarray, head: PreparedHead, sample_rate: int, c: float, air: np.ndarray,
                   listener_room: np.ndarray, positions: np.ndarray, gains: np.ndarray, visible: np.ndarray | None,
                   lead: int, design, interpolation: str) -> None:
        """Add point-source arrivals (room positions (K, 3), per-band gains (K, B)) to ``out``
        (B, C, L) whose index 0 is t = -lead samples."""
        raise NotImplementedError

    def accumulate_directional(self, out: np.ndarray, head: PreparedHead, sample_rate: int, c: float,
                               times: np.ndarray, dirs_world: np.ndarray, amps_band: np.ndarray, lead: int,
                               design, interpolation: str) -> None:
        """Add plane-wave arrivals at the head centre (times (H,) s, directions the sound comes from
        (H, 3) world axes, amplitudes (H, B)) to ``out`` (B, C, L)."""
        raise NotImplementedError

    def diffuse_mixing(self, head: PreparedHead, freqs_hz: np.ndarray, c: float) -> tuple[np.ndarray, ...]:
        """Per-frequency Cholesky mixing of a diffuse field at the channels (renderers.acoustic.late):
        (G11, G21, G22) for two channels, (ones,) for one."""
        raise NotImplementedError

    def diffuse_power(self, head: PreparedHead, sample_rate: int) -> float:
        """Broadband power of the diffuse-field tail per unit envelope (1 for omni receivers)."""
        return 1.0
