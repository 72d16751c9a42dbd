"""Real-rendering tests of renderers.visual.mesh_raster (headless pyrender, Mesa EGL or a GPU)."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from renderers.visual.mesh_raster import MAX_INSTANCE_ID, MeshRasterRenderer
from simulator.core.render import VisualRender
from simulator.core.geometry import PinholeCamera, spherical_to_cartesian
from simulator.core.scene import (AudioSettings, Background, Camera, Lighting, Listener, Room, Scene,
                             SceneObject)

BOX_HALF = 0.2  # half extent of the test box, metres

MESHES: dict[str, trimesh.Trimesh] = {
    "box": trimesh.creation.box(extents=(2 * BOX_HALF,) * 3),
    "small_sphere": trimesh.creation.icosphere(subdivisions=3, radius=0.08),
    "big_sphere": trimesh.creation.icosphere(subdivisions=4, radius=0.5),
    "wide_box": trimesh.creation.box(extents=(0.2, 1.0, 0.6)),
}
# Face colours exercise the flat-shading path (pyrender refuses face colours on smooth meshes).
MESHES["wide_box"].visual.face_colors = [200, 60, 40, 255]


def load_mesh(key: str) -> trimesh.Trimesh:
    return MESHES[key]


def make_scene(objects: list[SceneObject], width: int = 224, height: int = 224, hfov_deg: float = 60.0,
               position_m: tuple[float, float, float] = (0.0, 0.0, 0.0), **kwargs) -> Scene:
    return Scene(index=0, seed=(0, 0, 0), condition="congruent",
                 camera=Camera(width=width, height=height, hfov_deg=hfov_deg, position_m=position_m),
                 listener=Listener(), room=Room(), audio=AudioSettings(), objects=objects, **kwargs)


def centroid(mask: np.ndarray) -> tuple[float, float]:
    """Centroid (u, v) of a mask in continuous pixel coordinates (pixel centres at +0.5)."""
    rows, cols = np.nonzero(mask)
    return float(cols.mean() + 0.5), float(rows.mean() + 0.5)


@pytest.fixture(scope="module")
def renderer():
    r = MeshRasterRenderer(load_mesh)
    yield r
    r.close()


def test_output_types(renderer):
    out = renderer.render(make_scene([SceneObject(1, "box", "box", (3.0, 0.0, 0.0))], width=64, height=48))
    assert isinstance(out, VisualRender)
    assert out.rgb.shape == (48, 64, 3) and out.rgb.dtype == np.uint8
    assert out.depth.shape == (48, 64) and out.depth.dtype == np.float32
    assert out.instance_ids.shape == (48, 64) and out.instance_ids.dtype == np.int32


@pytest.mark.parametrize("camera_pos", [(0.0, 0.0, 0.0), (0.5, 0.1, -0.05)])
def test_box_depth_is_front_face_distance(renderer, camera_pos):
    x_centre = 3.0
    scene = make_scene([SceneObject(7, "box", "box", (x_centre, 0.0, 0.0))], position_m=camera_pos)
    out = renderer.render(scene)
    visible = out.instance_ids == 7
    assert visible.sum() > 500
    expected = x_centre - BOX_HALF - camera_pos[0]
    np.testing.assert_allclose(out.depth[visible], expected, atol=0.01)
    assert np.all(out.depth[out.instance_ids == 0] == 0.0)


@pytest.mark.parametrize("camera_pos", [(0.0, 0.0, 0.0), (0.1, -0.2, 0.15)])
def test_sphere_centroid_matches_pinhole_projection(renderer, camera_pos):
    width, height, hfov = 200, 150, 60.0
    pin = PinholeCamera(width, height, hfov, camera_pos)
    for az, el in [(0.0, 0.0), (20.0, 10.0), (-22.0, -14.0), (8.0, -15.0), (-12.0, 16.0)]:
        centre = spherical_to_cartesian(az, el, 3.0)
        assert pin.in_view(centre, margin_px=10)
        scene = make_scene([SceneObject(5, "ball", "small_sphere", tuple(centre))],
                           width=width, height=height, hfov_deg=hfov, position_m=camera_pos)
        out = renderer.render(scene)
        mask = out.instance_ids == 5
        assert mask.sum() > 20
        u, v = centroid(mask)
        pu, pv, _ = pin.project(centre)
        # Tighter than a pixel: a half-pixel convention slip must fail.
        assert abs(u - pu) < 0.35 and abs(v - pv) < 0.35, (az, el, (u, v), (pu, pv))
        # The amodal silhouette of a lone object is its visible mask.
        amodal = renderer.render_amodal(scene, [5])[5]
        np.testing.assert_array_equal(amodal, mask)


def test_left_right_up_down(renderer):
    width, height = 200, 150
    cases = {  # position -> (which image half it must land in)
        (3.0, 0.6, 0.0): lambda u, v: u < width / 2,   # +y (left of the listener) -> image left
        (3.0, -0.6, 0.0): lambda u, v: u > width / 2,  # -y -> image right
        (3.0, 0.0, 0.5): lambda u, v: v < height / 2,  # +z -> upper half
        (3.0, 0.0, -0.5): lambda u, v: v > height / 2,  # -z -> lower half
    }
    for pos, ok in cases.items():
        out = renderer.render(make_scene([SceneObject(3, "ball", "small_sphere", pos)], width, height))
        mask = out.instance_ids == 3
        assert mask.any()
        assert ok(*centroid(mask)), pos


def test_occlusion_and_24bit_ids(renderer):
    front = SceneObject(300, "box", "box", (2.0, 0.0, 0.0))
    back = SceneObject(70000, "wide", "wide_box", (3.5, 0.25, 0.0))
    scene = make_scene([back, front])
    out = renderer.render(scene)
    assert set(np.unique(out.instance_ids).tolist()) == {0, 300, 70000}

    alone = renderer.render(make_scene([back])).instance_ids == 70000
    visible_back = out.instance_ids == 70000
    assert 0 < visible_back.sum() < alone.sum() - 200  # partly hidden
    assert np.all(alone[visible_back])                # visible part lies within the silhouette

    amodal = renderer.render_amodal(scene, [70000, 300])
    assert set(amodal) == {70000, 300}
    assert amodal[70000].dtype == bool and amodal[70000].shape == out.instance_ids.shape
    np.testing.assert_array_equal(amodal[70000], alone)  # full, unoccluded silhouette
    np.testing.assert_array_equal(amodal[300], out.instance_ids == 300)  # front object: unoccluded


def test_large_ids_decode_exactly(renderer):
    ids = [1, 255, 256, 65535, 0x123456, MAX_INSTANCE_ID]
    objects = [SceneObject(i, "ball", "small_sphere", (3.0, 0.9 - 0.36 * k, 0.0)) for k, i in enumerate(ids)]
    out = renderer.render(make_scene(objects, width=320, height=120))
    assert set(np.unique(out.instance_ids).tolist()) == {0, *ids}
    with pytest.raises(ValueError):
        renderer.render(make_scene([SceneObject(MAX_INSTANCE_ID + 1, "b", "box", (3.0, 0.0, 0.0))]))
    with pytest.raises(ValueError):
        renderer.render(make_scene([SceneObject(0, "b", "box", (3.0, 0.0, 0.0))]))


def test_depth_and_ids_agree(renderer):
    objects = [
        SceneObject(11, "box", "box", (2.5, 0.3, 0.1), yaw_deg=25.0, pitch_deg=10.0),
        SceneObject(12, "ball", "small_sphere", (2.2, 0.15, 0.05)),
        SceneObject(13, "wide", "wide_box", (3.5, -0.3, -0.2), yaw_deg=-30.0, roll_deg=15.0, scale=1.3),
        SceneObject(14, "big", "big_sphere", (5.0, -1.0, 0.6)),
    ]
    for w, h, pos in [(224, 224, (0.0, 0.0, 0.0)), (200, 150, (0.2, -0.1, 0.1))]:
        out = renderer.render(make_scene(objects, w, h, position_m=pos))
        assert (out.instance_ids > 0).sum() > 1000
        np.testing.assert_array_equal(out.depth > 0, out.instance_ids > 0)
        assert np.all(np.isfinite(out.depth))


def test_reuse_across_sizes_matches_fresh_renderers():
    objects = [SceneObject(21, "box", "box", (2.5, 0.2, 0.0), yaw_deg=30.0),
               SceneObject(22, "wide", "wide_box", (3.5, -0.4, 0.1)),
               SceneObject(23, "ball", "small_sphere", (2.0, -0.1, -0.1))]
    scene_a = make_scene(objects, 224, 224)
    scene_b = make_scene(objects[1:], 200, 150, hfov_deg=70.0, position_m=(0.1, 0.0, 0.05),
                         background=Background((0.2, 0.3, 0.4)))
    reused = MeshRasterRenderer(load_mesh)
    try:
        got = [reused.render(s) for s in (scene_a, scene_b, scene_a)]
        got_amodal = reused.render_amodal(scene_b, [22, 23])
    finally:
        reused.close()
    expected = []
    for s in (scene_a, scene_b):
        fresh = MeshRasterRenderer(load_mesh)
        try:
            expected.append(fresh.render(s))
        finally:
            fresh.close()
    for g, e in zip(got, [expected[0], expected[1], expected[0]]):
        assert g.rgb.shape == e.rgb.shape
        np.testing.assert_array_equal(g.instance_ids, e.instance_ids)
        np.testing.assert_array_equal(g.depth, e.depth)
        assert np.abs(g.rgb.astype(int) - e.rgb.astype(int)).max() <= 1
    for oid in (22, 23):  # after the resize, silhouettes cover the visible pixels
        visible = expected[1].instance_ids == oid
        assert visible.any() and np.all(got_amodal[oid][visible])


def test_key_light_direction(renderer):
    """A sphere lit from the listener's left (+y) is brighter on the image's left half."""
    brightness = {}
    for az in (90.0, -90.0):
        scene = make_scene([SceneObject(1, "big", "big_sphere", (3.0, 0.0, 0.0))],
                           lighting=Lighting(key_azimuth_deg=az, key_elevation_deg=0.0, key_intensity=3.0,
                                             ambient=0.1))
        out = renderer.render(scene)
        mask = out.instance_ids == 1
        u, _ = centroid(mask)
        gray = out.rgb.astype(float).mean(axis=2)
        cols = np.arange(mask.shape[1])[None, :] + 0.5
        left = gray[mask & (cols < u - 5)].mean()
        right = gray[mask & (cols > u + 5)].mean()
        brightness[az] = (left, right)
    assert brightness[90.0][0] > brightness[90.0][1] + 20
    assert brightness[-90.0][1] > brightness[-90.0][0] + 20


def test_background_and_empty_scene(renderer):
    scene = make_scene([], 40, 30, background=Background((0.0, 0.5, 1.0)))
    out = renderer.render(scene)
    assert not out.instance_ids.any() and not out.depth.any()
    # Linear background encoded like pyrender's shader output: 255 * c ** (1 / 2.2).
    np.testing.assert_array_equal(out.rgb[0, 0], [0, 186, 255])
    with_obj = renderer.render(make_scene([SceneObject(1, "b", "box", (3.0, 0.0, 0.0))], 40, 30,
                                          background=Background((0.0, 0.5, 1.0))))
    np.testing.assert_array_equal(with_obj.rgb[0, 0], [0, 186, 255])


def test_partly_visible_and_hidden_objects(renderer):
    width, height, hfov = 200, 150, 60.0
    pin = PinholeCamera(width, height, hfov)
    # Centre just beyond the right edge, limb inside: must not be culled.
    edge = spherical_to_cartesian(-31.5, 0.0, 3.0)
    assert not pin.in_view(edge)
    behind = (-3.0, 0.0, 0.0)
    far_left = tuple(spherical_to_cartesian(80.0, 0.0, 3.0))
    scene = make_scene([SceneObject(1, "big", "big_sphere", tuple(edge)),
                        SceneObject(2, "box", "box", behind),
                        SceneObject(3, "box", "box", far_left)], width, height, hfov)
    out = renderer.render(scene)
    edge_mask = out.instance_ids == 1
    assert edge_mask.any() and edge_mask[:, -1].any()
    assert set(np.unique(out.instance_ids).tolist()) == {0, 1}
    amodal = renderer.render_amodal(scene, [1, 2, 3])
    np.testing.assert_array_equal(amodal[1], edge_mask)
    assert not amodal[2].any() and not amodal[3].any()
    with pytest.raises(KeyError):
        renderer.render_amodal(scene, [99])


def test_amodal_masks_match_solo_renders(renderer):
    """Grouped amodal passes give each object's silhouette exactly as if rendered alone."""
    objects = [SceneObject(31, "box", "box", (2.5, 0.0, 0.0), yaw_deg=30.0),
               SceneObject(32, "wide", "wide_box", (4.0, 0.2, 0.1)),           # behind 31
               SceneObject(33, "ball", "small_sphere", (3.0, 1.2, 0.6)),        # far from the others
               SceneObject(34, "ball", "small_sphere", (3.0, -1.2, -0.6)),
               SceneObject(35, "big", "big_sphere", (6.0, -1.5, 1.0)),
               SceneObject(36, "box", "box", (0.4, 0.0, 0.0))]                  # straddles the near plane
    scene = make_scene(objects, 200, 150)
    amodal = renderer.render_amodal(scene, [o.id for o in objects])
    for obj in objects:
        solo = renderer.render(make_scene([obj], 200, 150)).instance_ids == obj.id
        np.testing.assert_array_equal(amodal[obj.id], solo, err_msg=str(obj.id))
    assert amodal[33].any() and amodal[34].any() and amodal[36].any()


def test_antialias_off_rgb_edges_follow_ids():
    objects = [SceneObject(41, "wide", "wide_box", (3.0, 0.3, 0.0), yaw_deg=20.0),
               SceneObject(42, "wide", "wide_box", (2.5, -0.4, 0.2), roll_deg=35.0)]
    scene = make_scene(objects, 160, 120, background=Background((0.0, 0.0, 1.0)))
    outs = {}
    for aa in (True, False):
        r = MeshRasterRenderer(load_mesh, antialias=aa)
        try:
            outs[aa] = r.render(scene)
        finally:
            r.close()
    for aa, out in outs.items():
        is_bg = np.all(out.rgb == [0, 0, 255], axis=-1)
        if aa:  # blended silhouette pixels: neither background colour nor inside an object
            assert np.any(~is_bg & (out.instance_ids == 0))
        else:
            np.testing.assert_array_equal(~is_bg, out.instance_ids > 0)
    np.testing.assert_array_equal(outs[True].instance_ids, outs[False].instance_ids)
    np.testing.assert_array_equal(outs[True].depth, outs[False].depth)


def test_mesh_residency_and_eviction_keep_results(renderer):
    """Meshes leaving and re-entering the scene (kept resident, or evicted) render the same."""
    scenes = [make_scene([SceneObject(1, "a", key, (3.0, 0.1, 0.0), yaw_deg=15.0)], 96, 72)
              for key in ("box", "wide_box", "small_sphere", "big_sphere")]
    sequence = [0, 1, 2, 3, 0, 1, 0, 2, 3]
    expected = {i: renderer.render(scenes[i]) for i in range(len(scenes))}
    tiny = MeshRasterRenderer(load_mesh, max_resident_meshes=1)
    try:
        for i in sequence:
            got = tiny.render(scenes[i])
            np.testing.assert_array_equal(got.instance_ids, expected[i].instance_ids)
            np.testing.assert_array_equal(got.depth, expected[i].depth)
            np.testing.assert_array_equal(got.rgb, expected[i].rgb)
            assert len(tiny._resident) <= 2  # the cap, plus what the current scene holds
    finally:
        tiny.close()


def test_dropping_a_renderer_leaves_others_working(renderer):
    """pyrender's own delete() would eglTerminate the display shared by every renderer."""
    import gc

    scene = make_scene([SceneObject(1, "b", "box", (3.0, 0.0, 0.0))], 64, 48)
    before = renderer.render(scene)
    closed = MeshRasterRenderer(load_mesh)
    closed.render(scene)
    closed.close()
    dropped = MeshRasterRenderer(load_mesh)
    dropped.render(scene)
    del dropped
    gc.collect()
    after = renderer.render(scene)
    np.testing.assert_array_equal(before.instance_ids, after.instance_ids)
    np.testing.assert_array_equal(before.rgb, after.rgb)


def test_gl_platform_choice(monkeypatch):
    from renderers.visual import gl_platform

    monkeypatch.setenv("PYOPENGL_PLATFORM", "osmesa")
    assert gl_platform.choose_platform() == "osmesa"
    monkeypatch.delenv("PYOPENGL_PLATFORM")
    with pytest.warns(RuntimeWarning):  # OpenGL is already imported in this process
        assert gl_platform.choose_platform() == gl_platform.DEFAULT_PLATFORM == "egl"
    assert gl_platform.import_pyrender().OffscreenRenderer is not None


@pytest.mark.parametrize("texture", ["noise", "checker", "stripes", "gradient"])
def test_backdrop_is_background_and_never_hides_objects(renderer, texture):
    objs = [SceneObject(id=1, category="box", mesh="box", position_m=(3.0, 0.4, 0.0), yaw_deg=20.0),
            SceneObject(id=2, category="box", mesh="box", position_m=(5.0, -0.8, 0.3))]
    plain = renderer.render(make_scene(objs))
    scene = make_scene(objs)
    scene.background = Background(color=(0.4, 0.5, 0.6), kind="backdrop", texture=texture, texture_seed=3,
                                  distance_m=6.0)
    textured = renderer.render(scene)
    np.testing.assert_array_equal(textured.instance_ids, plain.instance_ids)
    np.testing.assert_array_equal(textured.depth, plain.depth)
    bg = plain.instance_ids == 0
    assert textured.rgb[bg].std(axis=0).max() > 1.0 or texture == "gradient"  # a texture, not a flat colour
    assert not np.array_equal(textured.rgb[bg], plain.rgb[bg])
    again = renderer.render(scene)
    np.testing.assert_array_equal(again.rgb, textured.rgb)


def test_osmesa_fallback_when_no_egl(monkeypatch):
    from renderers.visual import gl_platform

    monkeypatch.delenv("PYOPENGL_PLATFORM", raising=False)
    monkeypatch.setattr(gl_platform, "_has_library", lambda name: name == "OSMesa")
    assert gl_platform.choose_platform() == "osmesa"
    monkeypatch.delenv("PYOPENGL_PLATFORM", raising=False)
    monkeypatch.setattr(gl_platform, "_has_library", lambda name: True)
    assert gl_platform.choose_platform() == "egl"


@pytest.mark.skipif(__import__("ctypes.util").util.find_library("OSMesa") is None, reason="libosmesa6 not installed")
def test_osmesa_renders_the_same_labels_as_egl(renderer):
    """The fallback platform gives the same instance ids and depth (run in a fresh process)."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, numpy as np; from tests.test_mesh_raster import *; "
            "r = MeshRasterRenderer(load_mesh); "
            "v = r.render(make_scene([SceneObject(id=7, category='b', mesh='box', position_m=(3.0, 0.3, 0.1))])); "
            "print(json.dumps([int((v.instance_ids == 7).sum()), float(v.depth.max())]))")
    env = dict(os.environ, PYOPENGL_PLATFORM="osmesa")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    assert out.returncode == 0, out.stderr[-2000:]
    pixels, depth = json.loads(out.stdout.strip().splitlines()[-1])
    v = renderer.render(make_scene([SceneObject(id=7, category="b", mesh="box", position_m=(3.0, 0.3, 0.1))]))
    assert abs(pixels - int((v.instance_ids == 7).sum())) <= 2
    assert depth == pytest.approx(float(v.depth.max()), abs=1e-3)


def test_room_background_shows_walls_but_stays_background(renderer):
    objs = [SceneObject(id=1, category="box", mesh="box", position_m=(2.5, 0.3, -0.2), yaw_deg=20.0)]
    plain = renderer.render(make_scene(objs))
    scene = make_scene(objs)
    scene.room = Room(type="shoebox", size_m=(6.0, 5.0, 3.0), listener_position_m=(1.0, 2.5, 1.5), rt60_s=0.4)
    scene.background = Background(color=(0.5, 0.4, 0.3), kind="room", texture="checker", texture_seed=2)
    walls = renderer.render(scene)
    np.testing.assert_array_equal(walls.instance_ids, plain.instance_ids)
    np.testing.assert_array_equal(walls.depth, plain.depth)
    bg = plain.instance_ids == 0
    assert walls.rgb[bg].std(axis=0).max() > 5.0  # walls, floor and ceiling differ in shading and texture
    # the floor is below the horizon: the bottom rows differ from the top rows (ceiling)
    assert not np.allclose(walls.rgb[-5:].mean(axis=(0, 1)), walls.rgb[:5].mean(axis=(0, 1)), atol=2.0)


def test_spec_texture_names_are_the_renderer_kinds():
    from renderers.visual.textures import KINDS
    from simulator.spec.schema import TEXTURES

    assert TEXTURES == KINDS
