"""What a scan of user asset folders found, used and skipped (recorded in dataset.json)."""
from __future__ import annotations

from dataclasses import dataclass, field


class UserLibraryWarning(UserWarning):
    """A user-library file was skipped (the reason is in the message)."""


@dataclass(frozen=True)
class Skipped:
    """A file of a user folder that is not used, and why."""

    kind: str  # "sound" | "mesh" | "sizes"
    path: str  # as given (absolute or relative to the working directory)
    reason: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path, "reason": self.reason}


@dataclass
class LibraryReport:
    """What a scan of user folders found, used and skipped."""

    sounds_found: int = 0
    sounds_used: int = 0
    meshes_found: int = 0
    meshes_used: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    sound_seconds: dict[str, float] = field(default_factory=dict)  # category -> total duration

    def found(self, kind: str) -> None:
        """Count a found file of ``kind`` (``sound`` or ``mesh``)."""
        if kind == "sound":
            self.sounds_found += 1
        else:
            self.meshes_found += 1

    def counts(self) -> dict:
        """JSON-ready summary for dataset.json (``library`` entry)."""
        return {"sounds": {"found": self.sounds_found, "used": self.sounds_used,
                           "skipped": self.sounds_found - self.sounds_used},
                "meshes": {"found": self.meshes_found, "used": self.meshes_used,
                           "skipped": self.meshes_found - self.meshes_used},
                "skipped": [s.to_dict() for s in self.skipped]}

    @classmethod
    def merge(cls, reports) -> "LibraryReport":
        out = cls()
        for r in reports:
            out.sounds_found += r.sounds_found
            out.sounds_used += r.sounds_used
            out.meshes_found += r.meshes_found
            out.meshes_used += r.meshes_used
            out.skipped += r.skipped
            out.sound_seconds.update(r.sound_seconds)
        return out
