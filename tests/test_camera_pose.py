"""A turned and tipped camera (Camera.yaw_deg / pitch_deg): geometry and the real raster agree.

The camera's axes are rotation_zyx(yaw, pitch, 0) of the world's; a point unprojected from pixel
(u, v) at depth d projects back to (u, v), and the raster draws a sphere placed there centred on
(u, v) with depth d at its front, seen from cameras turned left/right and tipped up/down.
"""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from renderers.visual.mesh_raster import MeshRasterRenderer
from simulator.core.camera import camera_from_record, pinhole
from simulator.core.geometry import PinholeCamera, rotation_zyx
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, SceneObject

RADIUS = 0.15
MESHES = {"sphere": trimesh.creation.icosphere(subdivisions=4, radius=RADIUS)}


@pytest.fixture(scope="module")
def renderer():
    r = MeshRasterRenderer(MESHES.__getitem__)
    yield r
    r.close()


def make_scene(camera: Camera, objects) -> Scene:
    return Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=camera, listener=Listener(),
                 room=Room(), audio=AudioSettings(), objects=objects)


@pytest.mark.parametrize("yaw,pitch", [(0.0, 0.0), (30.0, 0.0), (-50.0, 20.0), (10.0, -35.0), (170.0, 60.0)])
def test_project_unproject_roundtrip_and_axes(yaw, pitch):
    pin = PinholeCamera(96, 64, 70.0, (0.3, -0.2, 0.1), yaw, pitch)
    rng = np.random.default_rng(3)
    u, v, d = rng.uniform(0, 96, 20), rng.uniform(0, 64, 20), rng.uniform(0.5, 6.0, 20)
    p = pin.unproject(u, v, d)
    u2, v2, d2 = pin.project(p)
    np.testing.assert_allclose(np.stack([u2, v2, d2]), np.stack([u, v, d]), atol=1e-9)
    # the optical axis is the rotated +x; a tipped-down camera sees a point straight ahead above centre
    np.testing.assert_allclose(pin.ray(48, 32), rotation_zyx(yaw, pitch, 0.0)[:, 0], atol=1e-12)
    if pitch > 0 and abs(yaw) < 90:
        _, v_ahead, _ = pin.project(np.array([5.0, 0.0, 0.1]) * np.array([np.cos(np.radians(yaw)), 1, 1])
                                    + np.array([0.3, -0.2 + 5 * np.sin(np.radians(yaw)), 0.0]))
        assert v_ahead < 32


def test_unrotated_camera_is_bitwise_the_old_one():
    pin = PinholeCamera(64, 48, 60.0, (0.1, 0.0, 0.2))
    pts = np.random.default_rng(0).normal(size=(50, 3)) + [3.0, 0.0, 0.0]
    rel = pts - np.array([0.1, 0.0, 0.2])
    assert np.array_equal(pin.to_camera(pts), rel)
    assert not pin.rotated


@pytest.mark.parametrize("yaw,pitch", [(25.0, 0.0), (-40.0, 15.0), (0.0, 35.0), (60.0, -20.0)])
def test_raster_draws_where_the_rotated_camera_projects(renderer, yaw, pitch):
    camera = Camera(width=160, height=120, hfov_deg=70.0, position_m=(0.0, 0.0, 0.0), yaw_deg=yaw, pitch_deg=pitch)
    pin = pinhole(camera)
    u, v, d = 110.0, 40.0, 3.0
    centre = pin.unproject(u, v, d + RADIUS)   # the sphere's front is at depth ~d
    out = renderer.render(make_scene(camera, [SceneObject(7, "sphere", "sphere", tuple(map(float, centre)))]))
    mask = out.instance_ids == 7
    assert mask.sum() > 50
    rows, cols = np.nonzero(mask)
    assert abs(cols.mean() + 0.5 - u) < 1.5 and abs(rows.mean() + 0.5 - v) < 1.5
    assert out.instance_ids[int(v), int(u)] == 7
    assert abs(float(out.depth[int(v), int(u)]) - d) < 0.02
    # a sphere behind the turned camera is not drawn (the frustum test turns with the camera)
    behind = pin.unproject(80.0, 60.0, -3.0)
    out2 = renderer.render(make_scene(camera, [SceneObject(7, "sphere", "sphere", tuple(map(float, behind)))]))
    assert not np.any(out2.instance_ids)


def test_camera_pose_in_record_reads_back():
    camera = Camera(width=32, height=24, hfov_deg=60.0, yaw_deg=12.0, pitch_deg=-7.5)
    from simulator.core.plain import to_plain
    plain = to_plain(camera)
    assert plain["yaw_deg"] == 12.0 and plain["pitch_deg"] == -7.5
    assert camera_from_record(plain) == camera
    assert "yaw_deg" not in to_plain(Camera(width=32, height=24, hfov_deg=60.0))
