"""Mesh helpers for the default asset library builder.

Every mesh written by the builder follows the project's object frame:
metres, +z up, the object's front (face, head, keyboard, bonnet, dial) facing +x,
its left side towards +y, and the centre of its axis-aligned bounding box at the
origin. Colours are stored as per-vertex colours (glTF ``COLOR_0``), so the
GLB renders in colour in pyrender without textures.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import trimesh

# Sweet Home 3D furniture libraries (Debian package ``sweethome3d-furniture``).
SH3F_DIR = Path("/usr/share/sweethome3d/furniture")

# Sweet Home 3D models are y-up with their front towards +z (facing the viewer
# of the catalogue icon) and their left side towards +x. This rotation maps them
# into the project frame: obj z -> x (front), obj x -> y (left), obj y -> z (up).
SH3D_TO_PROJECT = np.array(
    [[0.0, 0.0, 1.0, 0.0],
     [1.0, 0.0, 0.0, 0.0],
     [0.0, 1.0, 0.0, 0.0],
     [0.0, 0.0, 0.0, 1.0]]
)


def rotation_z(deg: float) -> np.ndarray:
    """Homogeneous rotation about +z by ``deg`` degrees (counter-clockwise seen from above)."""
    return trimesh.transformations.rotation_matrix(np.radians(deg), [0, 0, 1])


def extract_sh3f_model(archive: str, model_dir: str, dest: Path) -> Path:
    """Extract one model folder (OBJ, MTL, textures) from a ``.sh3f`` zip archive.

    ``archive`` is the file name inside :data:`SH3F_DIR`, ``model_dir`` the folder
    inside the archive (for example ``"scopia/phone"``). Returns the folder holding
    the extracted files.
    """
    path = SH3F_DIR / archive
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: install it with 'apt-get install sweethome3d-furniture'")
    out = dest / model_dir
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith(model_dir.rstrip("/") + "/")]
        if not names:
            raise FileNotFoundError(f"{model_dir} not found in {path}")
        for name in names:
            if name.endswith("/"):
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(name))
    return out


def read_sh3f_text(archive: str, member: str) -> str:
    """Return a text member (licence, catalogue) of a ``.sh3f`` archive."""
    with zipfile.ZipFile(SH3F_DIR / archive) as zf:
        return zf.read(member).decode("latin-1")


def require_catalog_creator(archive: str, obj: str, creator: str) -> None:
    """Check that the archive's catalogue lists ``creator`` as the author of model ``obj``."""
    import re

    text = read_sh3f_text(archive, "PluginFurnitureCatalog.properties")
    m = re.search(r"^model#(\d+)=/" + re.escape(obj) + r"\s*$", text, re.M)
    if not m or not re.search(rf"^creator#{m.group(1)}={re.escape(creator)}\s*$", text, re.M):
        raise RuntimeError(f"licence check failed: creator {creator!r} of {obj} not in the "
                           f"catalogue of {archive}")


def _geometry_to_colored(geom: trimesh.Trimesh) -> trimesh.Trimesh:
    """Copy ``geom`` with its material or texture baked into RGBA vertex colours."""
    geom = geom.copy()
    vis = geom.visual
    if isinstance(vis, trimesh.visual.TextureVisuals):
        mat = vis.material
        if vis.uv is not None and getattr(mat, "image", None) is not None:
            uv = np.asarray(vis.uv, dtype=np.float64) % 1.0
            colors = mat.to_color(uv)
            diffuse = getattr(mat, "diffuse", None)
            if diffuse is not None:
                # the OBJ Kd multiplies the texture; usually white
                colors = (colors.astype(np.float64) * (np.asarray(diffuse, float) / 255.0)).round()
                colors = np.clip(colors, 0, 255).astype(np.uint8)
                colors[:, 3] = 255
        else:
            colors = None
            if mat is not None:
                main = getattr(mat, "main_color", None)
                if main is not None:
                    colors = np.tile(np.asarray(main, np.uint8), (len(geom.vertices), 1))
            if colors is None:
                colors = np.full((len(geom.vertices), 4), 200, np.uint8)
        colors = np.asarray(colors, np.uint8).copy()
        colors[:, 3] = 255
        geom.visual = trimesh.visual.ColorVisuals(geom, vertex_colors=colors)
    else:
        colors = np.asarray(vis.vertex_colors, np.uint8).copy()
        colors[:, 3] = 255
        geom.visual = trimesh.visual.ColorVisuals(geom, vertex_colors=colors)
    return geom


def load_as_colored_mesh(obj_path: Path) -> trimesh.Trimesh:
    """Load an OBJ (with MTL and textures) as one mesh with vertex colours."""
    loaded = trimesh.load(str(obj_path), process=False)
    if isinstance(loaded, trimesh.Scene):
        parts = []
        for node in loaded.graph.nodes_geometry:
            transform, name = loaded.graph[node]
            geom = loaded.geometry[name]
            if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
                continue
            part = _geometry_to_colored(geom)
            part.apply_transform(transform)
            parts.append(part)
        mesh = trimesh.util.concatenate(parts)
    else:
        mesh = _geometry_to_colored(loaded)
    return mesh


def decimate(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """Reduce ``mesh`` to at most about ``max_faces`` faces, keeping vertex colours.

    Uses quadric decimation (``fast-simplification``); colours are transferred
    from the nearest original vertex. Deterministic for a given input.
    """
    if len(mesh.faces) <= max_faces:
        return mesh
    import fast_simplification
    from scipy.spatial import cKDTree

    colors = np.asarray(mesh.visual.vertex_colors, np.uint8)
    merged = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    verts, faces = np.asarray(merged.vertices, np.float64), np.asarray(merged.faces, np.int64)
    for _ in range(4):  # one pass can stop short of the target on meshes with many seams
        reduction = 1.0 - max_faces / float(len(faces))
        if reduction <= 0:
            break
        verts, faces = fast_simplification.simplify(verts, faces, target_reduction=reduction)
    _, idx = cKDTree(mesh.vertices).query(verts)
    out = trimesh.Trimesh(verts, faces, vertex_colors=colors[idx], process=False)
    return out


def orient_faces(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Make the winding consistent and closed parts outward-facing (``trimesh.repair.fix_normals``
    with ``multibody=True``), keeping vertices and colours: adjacency is found on a copy whose
    vertices are merged by position, and the faces it flipped are flipped in ``mesh``."""
    merged = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    before = merged.face_normals.copy()
    trimesh.repair.fix_normals(merged, multibody=True)
    flipped = np.einsum("ij,ij->i", before, merged.face_normals) < 0
    if not flipped.any():
        return mesh
    faces = np.asarray(mesh.faces).copy()
    faces[flipped] = faces[flipped][:, ::-1]
    return trimesh.Trimesh(mesh.vertices, faces, vertex_colors=np.asarray(mesh.visual.vertex_colors),
                           process=False)


def finalize(mesh: trimesh.Trimesh, transform: np.ndarray | None = None,
             target: dict | None = None) -> trimesh.Trimesh:
    """Orient, scale and centre a mesh into the project frame.

    ``transform`` (4x4) rotates the mesh into the project frame. ``target`` is one
    of ``{"height": m}``, ``{"length": m}`` (x), ``{"width": m}`` (y) or
    ``{"max": m}``: a uniform scale makes that extent equal to the value. The
    bounding-box centre is then moved to the origin.
    """
    mesh = mesh.copy()
    if transform is not None:
        mesh.apply_transform(transform)
    if target:
        (key, value), = target.items()
        axis = {"length": 0, "width": 1, "height": 2}.get(key)
        current = mesh.extents.max() if axis is None else mesh.extents[axis]
        mesh.apply_scale(float(value) / float(current))
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    mesh.remove_unreferenced_vertices()
    return mesh


def write_glb(mesh: trimesh.Trimesh, path: Path) -> list[float]:
    """Write ``mesh`` as a binary glTF with vertex colours; return its extents (m)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # float32 storage: round positions so the stored extents are what we report
    mesh = trimesh.Trimesh(np.asarray(mesh.vertices, np.float32).astype(np.float64), mesh.faces,
                           vertex_colors=np.asarray(mesh.visual.vertex_colors, np.uint8),
                           process=False)
    data = trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh), include_normals=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    back = trimesh.load(io.BytesIO(data), file_type="glb", force="mesh")
    return [round(float(v), 4) for v in back.extents]
