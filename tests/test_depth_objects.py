"""Image-derived depth objects: cutouts become closed, correctly oriented, real-size meshes."""
from __future__ import annotations

import numpy as np
import pytest

from renderers.visual.depth_objects import cutout_to_mesh
from renderers.visual.mesh_raster import MeshRasterRenderer
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, SceneObject


def two_colour_disc(h: int = 120, w: int = 90) -> np.ndarray:
    """An opaque ellipse, red on its left half and blue on its right half, transparent around."""
    rows, cols = np.mgrid[0:h, 0:w]
    inside = ((rows - h / 2 + 0.5) / (h / 2)) ** 2 + ((cols - w / 2 + 0.5) / (w / 2)) ** 2 <= 1.0
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 0] = np.where(cols < w // 2, 220, 20)
    rgba[..., 2] = np.where(cols < w // 2, 20, 220)
    rgba[..., 3] = np.where(inside, 255, 0)
    return rgba


def test_mesh_is_closed_real_size_and_centred():
    mesh = cutout_to_mesh(two_colour_disc(), height_m=0.6)
    assert mesh.is_watertight
    assert mesh.extents[2] == pytest.approx(0.6, rel=1e-6)
    assert mesh.extents[1] == pytest.approx(0.6 * 90 / 120, rel=0.02)
    assert np.allclose(mesh.bounds.mean(axis=0), 0.0, atol=1e-9)
    assert mesh.volume > 0  # outward normals


def test_relief_follows_the_depth_map():
    rgba = np.full((40, 40, 4), 255, np.uint8)
    depth = np.tile(np.linspace(0.0, 1.0, 40), (40, 1))  # left near, right far
    mesh = cutout_to_mesh(rgba, height_m=1.0, depth=depth, grid=20, relief_m=0.2)
    front = mesh.vertices[mesh.vertices[:, 0] > mesh.vertices[:, 0].min() + 1e-6]
    left = front[front[:, 1] < -0.3][:, 0].mean()
    right = front[front[:, 1] > 0.3][:, 0].mean()
    assert left - right == pytest.approx(0.2 * 0.7, abs=0.03)  # nearer parts protrude towards +x
    assert mesh.is_watertight


def test_rendered_cutout_is_upright_unmirrored_and_fills_its_mask():
    mesh = cutout_to_mesh(two_colour_disc(), height_m=0.6)
    renderer = MeshRasterRenderer(lambda key: mesh)
    try:
        scene = Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(160, 160, 40.0),
                      listener=Listener(), room=Room(), audio=AudioSettings(),
                      objects=[SceneObject(id=1, category="x", mesh="cutout", position_m=(2.0, 0.0, 0.0),
                                           yaw_deg=180.0)])  # front faces the camera
        v = renderer.render(scene)
        ids = v.instance_ids == 1
        cols = np.nonzero(ids)[1]
        left, right = ids & (np.arange(160)[None, :] < cols.mean()), ids & (np.arange(160)[None, :] > cols.mean())
        assert v.rgb[left][:, 0].mean() > v.rgb[left][:, 2].mean()    # red on the image left
        assert v.rgb[right][:, 2].mean() > v.rgb[right][:, 0].mean()  # blue on the image right
        # silhouette = the ellipse's area at that distance (pinhole), within a few percent
        f = 80 / np.tan(np.radians(20))
        expected = np.pi * (0.3 * 0.75) * 0.3 * (f / (2.0 - 0.006)) ** 2
        assert ids.sum() == pytest.approx(expected, rel=0.06)
        scene.objects[0].yaw_deg = 0.0  # seen from behind: mirrored, still a closed object
        assert (renderer.render(scene).instance_ids == 1).sum() == pytest.approx(ids.sum(), rel=0.03)
    finally:
        renderer.close()


def test_bad_cutouts_are_rejected():
    with pytest.raises(ValueError):
        cutout_to_mesh(np.zeros((10, 10, 4), np.uint8), height_m=1.0)
    with pytest.raises(ValueError):
        cutout_to_mesh(np.zeros((10, 10, 3), np.uint8), height_m=1.0)
