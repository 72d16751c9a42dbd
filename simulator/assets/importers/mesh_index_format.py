"""What an imported mesh collection's index file is: its format tag (the sound index's is in
:mod:`.index_format`, whose path rule, :func:`.index_format.relative_inside`, mesh files follow too)."""
from __future__ import annotations

MESH_INDEX_FORMAT = "avsim-mesh-index/1"
