"""Size bins: the target's mask area as a fraction of the image area, (low, high], as in the
AudioCOCO protocol (docs/references.md). Targets above 30 % of the image are excluded."""
from __future__ import annotations

SIZE_BINS: dict[str, tuple[float, float]] = {
    "size1": (0.0, 0.05),
    "size2": (0.05, 0.15),
    "size3": (0.15, 0.30),
}
"""Bin name -> (low, high] mask-area fraction."""


def size_bin_of(area_fraction: float) -> str | None:
    """The size bin whose (low, high] contains the area fraction; None above 30 % or at 0."""
    for name, (lo, hi) in SIZE_BINS.items():
        if lo < area_fraction <= hi:
            return name
    return None
