"""Heads made of omnidirectional point receivers (``spaced``, ``mono``): each channel hears an
arrival at its own distance, with 1/r spreading and the delay r / c."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from simulator.core.scene import Listener

from .base import HeadModel, PreparedHead

#: A source closer than this to an ear (metres) is rejected: 1/r would blow up.
MIN_EAR_DISTANCE_M = 0.01


class OmniHead(HeadModel):
    """Omni receivers at :meth:`omni_ears` (subclasses give the ears and the diffuse field)."""

    omni = True

    def omni_ears(self, listener: Listener) -> np.ndarray:
        raise NotImplementedError

    def spacing(self, listener: Listener) -> float:
        return 0.0

    def prepare(self, listener: Listener, rotation: np.ndarray, half_width: int,
                load_hrtf: Callable[[Listener], Any]) -> PreparedHead:
        ears = self.omni_ears(listener)
        return PreparedHead(self, ears.shape[0], ears, rotation, None, half_width - 1, self.spacing(listener))

    def points(self, head: PreparedHead) -> np.ndarray:
        return head.ears_head

    def check_source(self, p: np.ndarray, head: PreparedHead, where: str) -> None:
        ears = head.ears_head @ head.rotation.T
        r_e = np.linalg.norm(p[None, :] - ears, axis=1)
        if np.any(r_e < MIN_EAR_DISTANCE_M):
            raise ValueError(f"{where}: source at {tuple(p.tolist())} m is within {MIN_EAR_DISTANCE_M} m of an "
                             "ear; 1/r spreading is undefined there")

    def receivers(self, head: PreparedHead, listener_room: np.ndarray) -> np.ndarray:
        return listener_room + head.ears_head @ head.rotation.T

    def accumulate(self, out, head, sample_rate, c, air, listener_room, positions, gains, visible, lead, design,
                   interpolation) -> None:
        if positions.shape[0] == 0:
            return
        from ..kernels import accumulate_omni  # Numba loads when sound is rendered, not when a spec is read

        fs = sample_rate
        rel = positions - listener_room
        ears = head.ears_head @ head.rotation.T  # (C, 3) world offsets
        dist = np.linalg.norm(rel[:, None, :] - ears[None, :, :], axis=-1)  # (K, C)
        delays = lead + dist * (fs / c)
        amps = gains[:, None, :] / dist[:, :, None]
        if np.any(air):
            amps = amps * np.exp(-0.5 * air[None, None, :] * dist[:, :, None])
        if visible is not None:
            vis = visible if visible.shape[0] == head.n_channels else np.repeat(visible[:1], head.n_channels, 0)
            amps = amps * vis.T[:, :, None]
        accumulate_omni(out, np.ascontiguousarray(delays), np.ascontiguousarray(amps),
                        design.half_width, design.window_table, design.oversampling)

    def accumulate_directional(self, out, head, sample_rate, c, times, dirs_world, amps_band, lead, design,
                               interpolation) -> None:
        if times.shape[0] == 0:
            return
        from ..kernels import accumulate_omni

        fs = sample_rate
        ears = head.ears_head @ head.rotation.T
        delays = lead + (times[:, None] - (dirs_world @ ears.T) / c) * fs  # plane wave: nearer ear earlier
        amps = np.ascontiguousarray(np.broadcast_to(amps_band[:, None, :],
                                                    (times.shape[0], head.n_channels, amps_band.shape[1])))
        accumulate_omni(out, np.ascontiguousarray(delays), amps, design.half_width, design.window_table,
                        design.oversampling)
