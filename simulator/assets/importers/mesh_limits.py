"""Limits on a library mesh, for user mesh folders and imported collections alike."""
from __future__ import annotations

#: Most triangles a library mesh may have (a 1.3 M-triangle mesh costs minutes per run).
MAX_MESH_FACES = 200_000
#: Largest mesh file read, bytes (larger files are skipped before they are parsed).
MAX_MESH_BYTES = 64_000_000
#: Mesh file types read (anything ``trimesh.load`` reads of these).
MESH_EXTENSIONS = {".obj", ".glb", ".gltf", ".ply", ".stl", ".off"}
