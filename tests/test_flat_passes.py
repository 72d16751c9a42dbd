"""The reduced-pass raster (renderers/visual/flat_passes.py) against pyrender's own passes: on many
random scenes the ids, depth, colour and unoccluded silhouettes are bit for bit those of pyrender's
SEG and colour passes (one SEG pass per object for the silhouettes), and the pass counter counts
every pass the renderer makes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderers.visual.flat_passes import BITS_PER_PASS
from renderers.visual.mesh_raster import MeshRasterRenderer, id_to_rgb, rgb_to_id
from renderers.visual.textures import procedural_texture
from simulator.core.scene import Background, SceneObject
from test_mesh_raster import MESHES, load_mesh, make_scene


def reference(r: MeshRasterRenderer, scene) -> dict:
    """pyrender's own passes of ``scene`` (the renderer's pyrender scene synced to it): colour
    (pyrender's read-back), SEG ids and depth, and one SEG pass per object alone."""
    from pyrender import RenderFlags

    r._sync(scene)
    off = r._renderer(scene.camera.width, scene.camera.height)
    r._keep_resident()
    color, _ = off.render(r._scene, flags=RenderFlags.NONE)
    seg, depth = off.render(r._scene, flags=RenderFlags.SEG, seg_node_map=r._seg_colors)
    solo = {}
    for node, oid in r._node_ids.items():
        s, _ = off.render(r._scene, flags=RenderFlags.SEG, seg_node_map={node: id_to_rgb(oid)})
        solo[oid] = rgb_to_id(s) == oid
    return {"rgb": color, "ids": rgb_to_id(seg), "depth": depth, "solo": solo}


def random_scene(rng: np.random.Generator, n: int):
    keys = sorted(MESHES)
    objects = []
    for k in range(n):
        near = rng.random() < 0.1  # some straddle the near plane or sit right in front of the camera
        x = rng.uniform(0.1, 0.8) if near else rng.uniform(1.0, 8.0)
        oid = int(rng.integers(1, 2 ** 24 - 1)) if k == 0 else 100 + k  # large ids decode too
        objects.append(SceneObject(oid, "c", keys[rng.integers(len(keys))],
                                   (x, rng.uniform(-0.8, 0.8) * x, rng.uniform(-0.6, 0.6) * x),
                                   yaw_deg=rng.uniform(0, 360), pitch_deg=rng.uniform(-40, 40),
                                   roll_deg=rng.uniform(-40, 40), scale=rng.uniform(0.5, 3.0)))
    width, height = int(rng.integers(40, 260)), int(rng.integers(40, 260))
    background = Background()
    if rng.random() < 0.5:
        background = Background(tuple(rng.uniform(0, 1, 3)), kind="backdrop", texture="noise",
                                texture_seed=int(rng.integers(256)), distance_m=12.0)
    return make_scene(objects, width, height, hfov_deg=rng.uniform(30, 100), background=background)


@pytest.mark.parametrize("antialias", [True, False])
def test_reduced_passes_equal_pyrender_passes_on_random_scenes(antialias):
    rng = np.random.default_rng(14 + antialias)
    fast, ref = MeshRasterRenderer(load_mesh, antialias=antialias), MeshRasterRenderer(load_mesh, antialias=antialias)
    try:
        checked = 0
        for _ in range(40):
            scene = random_scene(rng, int(rng.integers(1, 8)))
            if rng.random() < 0.5:
                fast.render_ids(scene)  # the layout check's pass, then reused by render()
            out = fast.render(scene)
            masks = fast.render_amodal(scene, [o.id for o in scene.objects])
            want = reference(ref, scene)
            if not ref._node_ids:  # nothing in view: no pass at all, the background colour (as before)
                assert not out.instance_ids.any() and len(np.unique(out.rgb.reshape(-1, 3), axis=0)) == 1
                continue
            if antialias:
                np.testing.assert_array_equal(out.rgb, want["rgb"])
            np.testing.assert_array_equal(out.instance_ids, want["ids"])
            np.testing.assert_array_equal(out.depth, want["depth"])
            for o in scene.objects:
                np.testing.assert_array_equal(masks[o.id], want["solo"].get(o.id, np.zeros_like(masks[o.id])),
                                              err_msg=f"object {o.id}")
            checked += sum(int(m.sum() > 0) for m in masks.values())
        assert checked > 60  # most objects were in view
    finally:
        fast.close()
        ref.close()


def test_sampled_layouts_equal_pyrender_passes():
    """The main job's own layouts (room walls, library meshes): the same equality."""
    from simulator.assets.library import AssetLibrary
    from simulator.pipeline import SampleMaker
    from simulator.spec.loader import load_spec

    library = AssetLibrary.default()
    spec = load_spec(str(Path(__file__).resolve().parent.parent / "scenes" / "congruent.yaml"),
                     ["samples=8", "seed=3"], library=library)[0]
    maker = SampleMaker(spec, library)
    ref = MeshRasterRenderer(library.load_mesh)
    try:
        for index in range(8):
            scene, preview = maker.layout(index)
            masks = maker.image.amodal(scene, [o.id for o in scene.objects])
            want = reference(ref, scene)
            np.testing.assert_array_equal(preview.rgb, want["rgb"])
            np.testing.assert_array_equal(preview.instance_ids, want["ids"])
            np.testing.assert_array_equal(preview.depth, want["depth"])
            for o in scene.objects:
                np.testing.assert_array_equal(masks[o.id], want["solo"][o.id])
    finally:
        maker.close()
        ref.close()


def test_pass_counter_counts_every_pass():
    r = MeshRasterRenderer(load_mesh)
    try:
        objs = [SceneObject(1, "b", "box", (3.0, 0.0, 0.0)), SceneObject(2, "s", "big_sphere", (5.0, 0.2, 0.1)),
                SceneObject(3, "s", "small_sphere", (2.0, -0.1, 0.0))]
        scene = make_scene(objs, 96, 72)
        assert r.pass_count == 0
        r.render(make_scene([], 96, 72))
        assert r.pass_count == 0  # nothing to draw: no pass
        r.render(scene)
        assert r.passes == {"colour": 1, "ids": 1}
        r.render_amodal(scene, [1, 2, 3])  # overlapping silhouettes share one pass
        assert r.passes["silhouettes"] == 1
        r.render_ids(scene)  # the same camera and objects: the last id pass is reused
        assert r.passes["ids"] == 1
        moved = make_scene([SceneObject(1, "b", "box", (3.5, 0.0, 0.0)), *objs[1:]], 96, 72)
        ids = r.render_ids(moved)
        assert r.passes["ids"] == 2
        out = r.render(moved)  # colour only: ids and depth from the id pass just made
        assert r.passes == {"colour": 2, "ids": 2, "silhouettes": 1} and r.pass_count == 5
        np.testing.assert_array_equal(out.instance_ids, ids)
        many = make_scene([SceneObject(10 + k, "s", "small_sphere", (4.0, 0.1 * k - 1.5, 0.0))
                           for k in range(BITS_PER_PASS + 3)], 96, 72)
        masks = r.render_amodal(many, [o.id for o in many.objects])
        assert r.passes["silhouettes"] == 3  # 27 silhouettes: two passes
        assert all(m.any() for m in masks.values())
        assert r.raster_s > 0
    finally:
        r.close()


def test_wall_patterns_are_cached_and_unchanged():
    r = MeshRasterRenderer(load_mesh)
    try:
        first = r._pattern("checker", 7)
        np.testing.assert_array_equal(first, procedural_texture("checker", 7))
        assert r._pattern("checker", 7) is first
    finally:
        r.close()


def test_gl_info_says_what_it_runs_on():
    r = MeshRasterRenderer(load_mesh)
    try:
        info = r.gl_info()
        assert info["renderer"] and info["version"] and info["platform"]
    finally:
        r.close()
