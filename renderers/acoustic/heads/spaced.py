"""``spaced``: two omni ears at y = +-ear_spacing_m / 2 (channel 0 LEFT), no head shadow: the
interaural cues are the path differences alone (the AudioCOCO stereo set-up)."""
from __future__ import annotations

import numpy as np

from simulator.core.scene import Listener

from ..late import spaced_mixing
from .omni import OmniHead


class SpacedHead(OmniHead):
    name = "spaced"
    channels = 2

    def spacing(self, listener: Listener) -> float:
        s = listener.ear_spacing_m
        if not (isinstance(s, (int, float, np.integer, np.floating)) and np.isfinite(s) and s > 0):
            raise ValueError(f"listener.ear_spacing_m must be a positive number of metres, got {s!r}")
        return float(s)

    def omni_ears(self, listener: Listener) -> np.ndarray:
        s = self.spacing(listener)
        return np.array([[0.0, 0.5 * s, 0.0], [0.0, -0.5 * s, 0.0]])

    def diffuse_mixing(self, head, freqs_hz, c):
        return spaced_mixing(freqs_hz, head.spacing, c)
