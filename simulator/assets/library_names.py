"""The names of asset libraries, which prefix every asset key (``<library>:<path>``)."""
from __future__ import annotations

#: The bundled default library.
DEFAULT_LIBRARY = "default"
#: A user's sound folder (``library.sounds: DIR``) and mesh folder (``library.meshes: DIR``).
SOUNDS_LIBRARY = "user_sounds"
MESHES_LIBRARY = "user_meshes"
#: Names an imported collection may not take.
RESERVED_NAMES = frozenset({DEFAULT_LIBRARY, SOUNDS_LIBRARY, MESHES_LIBRARY})
