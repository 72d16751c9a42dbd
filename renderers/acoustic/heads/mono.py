"""``mono``: one omni receiver at the head centre (one channel)."""
from __future__ import annotations

import numpy as np

from simulator.core.scene import Listener

from ..late import mono_mixing
from .omni import OmniHead


class MonoHead(OmniHead):
    name = "mono"
    channels = 1

    def omni_ears(self, listener: Listener) -> np.ndarray:
        return np.zeros((1, 3))

    def diffuse_mixing(self, head, freqs_hz, c):
        return mono_mixing(freqs_hz)
