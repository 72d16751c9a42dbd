"""One slice of a dataset's plan, so that N machines (a SLURM array, independent hosts) make
exactly the samples one machine would.

``--part K/N`` (1 <= K <= N) takes the K-th of N contiguous, nearly equal index ranges of the
plan: part K holds indices ``[floor((K-1) * samples / N), floor(K * samples / N))``. A sample's
bytes depend only on the spec and its index (:mod:`simulator.plan`), so the parts joined in index
order by ``simulate merge`` are the one-machine dataset.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .spec.errors import SpecError

#: Most parts a plan may be split into (a SLURM array's usual ceiling is far below).
MAX_PARTS = 100_000


@dataclass(frozen=True)
class Part:
    """Part ``k`` of ``n`` (1-based)."""

    k: int
    n: int

    def indices(self, samples: int) -> range:
        """The plan indices of this part for a dataset of ``samples`` samples."""
        return range((self.k - 1) * samples // self.n, self.k * samples // self.n)

    def label(self) -> str:
        return f"{self.k}/{self.n}"

    def plain(self, samples: int) -> dict[str, Any]:
        """What dataset.json records of the part (``start`` inclusive, ``stop`` exclusive)."""
        r = self.indices(samples)
        return {"k": self.k, "n": self.n, "start": r.start, "stop": r.stop}


def parse_part(text: str, key: str = "--part") -> Part:
    """``"K/N"`` -> Part(K, N); anything else is a SpecError naming ``key`` (exit status 2)."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", text or "")
    if m is None:
        raise SpecError(f"{key} must be K/N with whole numbers, e.g. 3/8 (got {text!r})")
    k, n = int(m.group(1)), int(m.group(2))
    if not 1 <= n <= MAX_PARTS:
        raise SpecError(f"{key} {text}: N must be between 1 and {MAX_PARTS}")
    if not 1 <= k <= n:
        raise SpecError(f"{key} {text}: K must be between 1 and N")
    return Part(k, n)
