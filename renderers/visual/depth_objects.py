"""Image-derived depth objects: an RGBA cutout (photo or clip-art), with an optional depth map,
turned into a closed relief mesh with a real-world size, to be placed in 3D like any mesh.

Frame of the result (the library's mesh convention): metres, +z up, bounding-box centre at the
origin, the image's visible side facing +x. Seen from the front (from +x, looking towards -x), the
image is upright and not mirrored: image column grows towards +y, image row grows towards -z.

Construction: the cutout is cropped to its opaque pixels and divided into square cells (``grid``
cells along its longer side). Every cell whose centre is opaque (alpha >= ``alpha_threshold``)
becomes a front quad, a back quad and, where a neighbour is transparent, side walls, so the mesh
is closed with outward normals (the renderer's segmentation pass culls back faces). Each face
carries its cell's colour (face colours: flat shading, exact colours). Without a depth map the
object is a thin slab (``thickness_m``); with one, the front surface moves towards +x by
``relief_m * (1 - depth_normalised)`` where the depth map is normalised to [0, 1] over the
opaque pixels (0 = nearest to the viewer), a bas-relief of the photo's own geometry.
"""
from __future__ import annotations

import numpy as np
import trimesh


def cutout_to_mesh(rgba: np.ndarray, height_m: float, depth: np.ndarray | None = None, grid: int = 64,
                   relief_m: float | None = None, thickness_m: float | None = None,
                   alpha_threshold: int = 128) -> trimesh.Trimesh:
    """Relief mesh of an (H, W, 4) uint8 cutout whose opaque part is ``height_m`` metres tall.

    ``depth``: optional (H, W) array, larger = farther from the viewer (any units; normalised).
    ``relief_m``: depth range of the relief (default 30 % of the smaller of width and height).
    ``thickness_m``: slab thickness behind the relief (default 2 % of the height).
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected an (H, W, 4) RGBA image, got shape {rgba.shape}")
    if height_m <= 0:
        raise ValueError(f"height_m must be > 0, got {height_m}")
    opaque = rgba[..., 3] >= alpha_threshold
    if not opaque.any():
        raise ValueError("the cutout has no opaque pixel")
    rows, cols = np.flatnonzero(opaque.any(axis=1)), np.flatnonzero(opaque.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    rgba, opaque = rgba[r0:r1, c0:c1], opaque[r0:r1, c0:c1]
    h_px, w_px = opaque.shape
    step = max(h_px, w_px) / float(grid)
    n_rows, n_cols = max(1, int(round(h_px / step))), max(1, int(round(w_px / step)))
    # cell centres in pixel coordinates, nearest-pixel sampling
    rc = np.minimum(((np.arange(n_rows) + 0.5) * h_px / n_rows).astype(int), h_px - 1)
    cc = np.minimum(((np.arange(n_cols) + 0.5) * w_px / n_cols).astype(int), w_px - 1)
    cell_on = opaque[np.ix_(rc, cc)]
    cell_rgb = rgba[np.ix_(rc, cc)][..., :3]
    metres_per_px = height_m / h_px
    cell_h, cell_w = h_px / n_rows * metres_per_px, w_px / n_cols * metres_per_px
    thickness = thickness_m if thickness_m is not None else 0.02 * height_m
    front = np.zeros((n_rows + 1, n_cols + 1))
    if depth is not None:
        d = np.asarray(depth, dtype=float)[r0:r1, c0:c1]
        if d.shape != opaque.shape:
            raise ValueError(f"depth map shape {np.asarray(depth).shape} does not match the image")
        relief = relief_m if relief_m is not None else 0.3 * min(h_px, w_px) * metres_per_px
        valid = d[opaque]
        span = float(valid.max() - valid.min()) or 1.0
        dn = np.clip((d - valid.min()) / span, 0.0, 1.0)
        # corner heights: mean of the adjacent opaque cells' depth
        cell_d = np.where(cell_on, dn[np.ix_(rc, cc)], np.nan)
        padded = np.pad(cell_d, 1, constant_values=np.nan)
        stack = np.stack([padded[:-1, :-1], padded[:-1, 1:], padded[1:, :-1], padded[1:, 1:]])
        with np.errstate(invalid="ignore"):
            corner = np.nanmean(np.where(np.isnan(stack), np.nan, stack), axis=0)
        front = relief * (1.0 - np.nan_to_num(corner, nan=1.0))

    # vertex grid: (row, col) corner -> y, z; front layer x = front, back layer x = -thickness
    jj, ii = np.meshgrid(np.arange(n_cols + 1), np.arange(n_rows + 1))
    y = jj * cell_w
    z = -ii * cell_h
    n_corner = (n_rows + 1) * (n_cols + 1)
    vertices = np.concatenate([
        np.stack([front.ravel(), y.ravel(), z.ravel()], axis=1),
        np.stack([np.full(n_corner, -thickness), y.ravel(), z.ravel()], axis=1),
    ])

    def vid(i, j, back=False):
        return i * (n_cols + 1) + j + (n_corner if back else 0)

    faces, colors = [], []
    on_rows, on_cols = np.nonzero(cell_on)
    for i, j in zip(on_rows, on_cols):
        color = np.append(cell_rgb[i, j], 255)
        a, b, c, d_ = vid(i, j), vid(i, j + 1), vid(i + 1, j + 1), vid(i + 1, j)
        # front (+x normal): seen from +x, +y is to the right and +z up
        faces += [[a, d_, c], [a, c, b]]
        ab, bb, cb, db = vid(i, j, True), vid(i, j + 1, True), vid(i + 1, j + 1, True), vid(i + 1, j, True)
        faces += [[ab, cb, db], [ab, bb, cb]]  # back (-x normal)
        colors += [color] * 4
        # side walls where the neighbour is empty (outward normals)
        if i == 0 or not cell_on[i - 1, j]:        # top edge a-b, normal +z
            faces += [[a, b, bb], [a, bb, ab]]
            colors += [color] * 2
        if i == n_rows - 1 or not cell_on[i + 1, j]:  # bottom edge d-c, normal -z
            faces += [[d_, db, cb], [d_, cb, c]]
            colors += [color] * 2
        if j == 0 or not cell_on[i, j - 1]:        # left edge a-d, normal -y
            faces += [[a, ab, db], [a, db, d_]]
            colors += [color] * 2
        if j == n_cols - 1 or not cell_on[i, j + 1]:  # right edge b-c, normal +y
            faces += [[b, c, cb], [b, cb, bb]]
            colors += [color] * 2
    mesh = trimesh.Trimesh(vertices=vertices, faces=np.asarray(faces), process=False)
    mesh.visual.face_colors = np.asarray(colors, dtype=np.uint8)
    mesh.remove_unreferenced_vertices()
    lo, hi = mesh.bounds
    mesh.apply_translation(-(lo + hi) / 2.0)
    return mesh
