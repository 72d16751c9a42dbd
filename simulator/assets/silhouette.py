"""Orthographic silhouette areas of a mesh seen along +x, as a function of its yaw.

Used to decide which (category, size bin) pairs are reachable at real size and to guess the
depth at which an object covers a given image fraction. Yaws are tabulated every
``YAW_STEP_DEG`` over [0, 360); areas are computed over [0, 180) only, since the silhouette at
yaw + 180 is the mirror image of the one at yaw.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..core.geometry import rotation_zyx

YAW_STEP_DEG = 15.0
YAWS_DEG = np.arange(0.0, 360.0, YAW_STEP_DEG)


def silhouette_table(vertices: np.ndarray, faces: np.ndarray, grid: int = 128) -> dict[str, list[float]]:
    """Per yaw of ``YAWS_DEG``: ``area_m2``, the silhouette area on the y-z plane (m^2), and
    ``front_m``, how far the mesh reaches towards the camera (-x) from its origin (m)."""
    vertices = np.asarray(vertices, float)
    half = len(YAWS_DEG) // 2
    areas, fronts = [], []
    for k, yaw in enumerate(YAWS_DEG):
        p = vertices @ rotation_zyx(float(yaw)).T
        fronts.append(float(-p[:, 0].min()))
        if k >= half:
            areas.append(areas[k - half])
            continue
        yz = p[:, 1:]
        lo = yz.min(axis=0)
        span = float((yz.max(axis=0) - lo).max()) or 1.0
        scale = grid / span
        pix = (yz - lo) * scale
        image = Image.new("1", (grid + 2, grid + 2), 0)
        draw = ImageDraw.Draw(image)
        for tri in pix[np.asarray(faces)]:
            draw.polygon([tuple(tri[0]), tuple(tri[1]), tuple(tri[2])], fill=1)
        areas.append(float(np.asarray(image).sum()) / scale**2)
    return {"area_m2": areas, "front_m": fronts}


def at_yaw(table: dict[str, list[float]], yaw_deg: float) -> tuple[float, float]:
    """(area_m2, front_m) at any yaw, from the nearest tabulated yaw."""
    k = int(round((yaw_deg % 360.0) / YAW_STEP_DEG)) % len(YAWS_DEG)
    return table["area_m2"][k], table["front_m"][k]


def area_fraction_at(table: dict[str, list[float]], yaw_deg: float, depth_m: float, focal_px: float,
                     width: int, height: int) -> float:
    """Estimated image fraction of the silhouette when the object's origin is ``depth_m`` ahead."""
    area, _ = at_yaw(table, yaw_deg)
    return area * focal_px**2 / (depth_m**2 * width * height)


def add_silhouettes_to_index(root) -> None:
    """Compute every mesh's silhouette table and store it in ``root/library.json`` (so workers
    need not compute them at start-up). Idempotent."""
    import json
    from pathlib import Path

    import trimesh

    index_path = Path(root) / "library.json"
    index = json.loads(index_path.read_text())
    for entry in index["categories"].values():
        for m in entry.get("meshes", []):
            mesh = trimesh.load(Path(root) / m["file"], force="mesh")
            table = silhouette_table(mesh.vertices, mesh.faces)
            m["silhouette"] = {k: [round(x, 6) for x in v] for k, v in table.items()}
    index_path.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
