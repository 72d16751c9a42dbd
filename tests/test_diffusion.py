"""renderers.visual.diffusion: layouts from the Scene, and generation with tiny random pipelines.

The pipelines are built here from randomly initialised tiny models (about 9 MB on disk), written
with ``save_pretrained`` to a temporary folder and loaded by the renderer through the same
``from_pretrained(model)`` call a real model id or path goes through. No network: the tokenizer
is a character-level CLIP tokenizer built from an in-memory vocabulary.

Tests that need torch/diffusers skip without the ``diffusion`` extra; the layout tests only need
the mesh raster.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
import trimesh

import tiny_diffusion
from renderers.visual.diffusion import (DIFFUSION_STREAM, DiffusionLayout, DiffusionRender, DiffusionRenderer,
                                        box_mask, box_of_mask, generation_seed, generation_size, join_phrases,
                                        normalise_box, paint_instances, phrase_for)
from renderers.visual.mesh_raster import MeshRasterRenderer
from simulator.core.image import DiffusionPrompt, PhotoPick
from simulator.core.masks import bbox_of
from simulator.core.scene import AudioSettings, Background, Camera, Listener, Room, Scene, SceneObject

os.environ.setdefault("HF_HUB_OFFLINE", "1")

WIDTH, HEIGHT = 96, 64
#: Generated at 32 px on the long side (32 x 24 for the 3:2 camera: multiples of 8), resized to 96 x 64.
RESOLUTION = 32
STEPS = 2

MESHES = {
    "cube": trimesh.creation.box(extents=(0.4, 0.4, 0.4)),
    "slab": trimesh.creation.box(extents=(0.3, 1.2, 0.7)),
    "ball": trimesh.creation.icosphere(subdivisions=2, radius=0.3),
}


def load_mesh(key: str) -> trimesh.Trimesh:
    return MESHES[key]


def make_scene(render_seed: int = 11, objects: list[SceneObject] | None = None, **kwargs) -> Scene:
    """Four objects: a near cube occluding part of a farther slab, a ball cut by the right image
    edge, and a bird behind the camera (no box)."""
    if objects is None:
        objects = [
            SceneObject(1, "dog", "cube", (3.0, 0.35, 0.0)),
            SceneObject(2, "car_horn", "slab", (5.0, 0.0, 0.1)),
            SceneObject(3, "elephant", "ball", (3.0, -1.9, -0.3)),
            SceneObject(4, "bird", "cube", (-2.0, 0.0, 0.0)),
        ]
    return Scene(index=0, seed=(0, 0, 0), condition="congruent",
                 camera=Camera(width=WIDTH, height=HEIGHT, hfov_deg=60.0), listener=Listener(), room=Room(),
                 audio=AudioSettings(), objects=objects, background=Background((0.2, 0.3, 0.4)),
                 render_seed=render_seed, **kwargs)


def xyxy(coco: list[int]) -> tuple[int, int, int, int]:
    x, y, w, h = coco
    return x, y, x + w, y + h


@pytest.fixture(scope="module")
def raster():
    r = MeshRasterRenderer(load_mesh)
    yield r
    r.close()


@pytest.fixture(scope="module")
def expected_boxes(raster) -> dict[int, tuple[int, int, int, int]]:
    """Boxes computed independently: COCO boxes of the raster's amodal silhouettes."""
    scene = make_scene()
    sil = raster.render_amodal(scene, [o.id for o in scene.objects])
    return {oid: xyxy(bbox_of(m)) for oid, m in sil.items() if m.any()}


# ------------------------------------------------------------------ no torch needed


def test_helpers():
    assert phrase_for("dog") == "a dog"
    assert phrase_for("elephant") == "an elephant"
    assert phrase_for("car_horn") == "a car horn"
    assert phrase_for("dog", "a photo of a {category}") == "a photo of a dog"
    assert join_phrases(["a dog"]) == "a dog"
    assert join_phrases(["a dog", "a car"]) == "a dog and a car"
    assert join_phrases(["a dog", "a cat", "a car"]) == "a dog, a cat and a car"
    m = np.zeros((10, 20), bool)
    m[2:5, 3:9] = True
    assert box_of_mask(m) == (3, 2, 9, 5)
    assert box_of_mask(np.zeros((4, 4), bool)) is None
    np.testing.assert_array_equal(box_mask((3, 2, 9, 5), 10, 20), m)
    assert normalise_box((3, 2, 9, 5), 20, 10) == [0.15, 0.2, 0.45, 0.5]
    ids = paint_instances({1: m, 2: box_mask((0, 0, 5, 4), 10, 20)}, order=[1, 2], height=10, width=20)
    assert ids[3, 4] == 2 and ids[4, 6] == 1 and ids[9, 19] == 0
    assert generation_size(224, 224, 512, 64) == (512, 512)
    assert generation_size(96, 64, 32, 4) == (32, 20)
    assert generation_size(96, 64, 32, 8) == (32, 24)
    assert generation_size(640, 480, 512, 64) == (512, 384)
    assert generation_seed(5, 0) == generation_seed(5, 0) != generation_seed(5, 1) != generation_seed(6, 1)
    assert DIFFUSION_STREAM not in (0, 1, 2, 3, 4)  # the mesh pipeline's image/audio noise streams


def test_layout_boxes_are_the_silhouette_boxes(raster, expected_boxes):
    r = DiffusionRenderer("unused-model-id", raster=raster)
    scene = make_scene()
    lay = r.layout(scene)
    assert isinstance(lay, DiffusionLayout)
    # Bird behind the camera: no box; the ball is clipped by the right edge.
    assert set(expected_boxes) == {1, 2, 3}
    assert lay.boxes == expected_boxes
    assert lay.boxes[3][2] == WIDTH
    # Far to near: slab (5 m) first, then the 3 m objects by id.
    assert lay.order == [2, 1, 3]
    assert lay.phrases == {1: "a dog", 2: "a car horn", 3: "an elephant"}
    assert lay.prompt == "a photo of a dog, a car horn and an elephant"
    # Nearer objects win: the cube's whole box is visible, the slab loses the overlap.
    np.testing.assert_array_equal(lay.instance_ids == 1, box_mask(expected_boxes[1], HEIGHT, WIDTH))
    overlap = box_mask(expected_boxes[1], HEIGHT, WIDTH) & box_mask(expected_boxes[2], HEIGHT, WIDTH)
    assert overlap.any() and not (lay.instance_ids[overlap] == 2).any()
    # Constant depth along +x inside each visible box, 0 elsewhere.
    for oid, x in ((1, 3.0), (2, 5.0), (3, 3.0)):
        np.testing.assert_allclose(lay.depth[lay.instance_ids == oid], x, rtol=1e-6)
    assert np.all(lay.depth[lay.instance_ids == 0] == 0)
    # render_amodal (what the sampler sizes objects with) is the box rectangle.
    am = r.render_amodal(scene, [1, 2, 4])
    np.testing.assert_array_equal(am[2], box_mask(expected_boxes[2], HEIGHT, WIDTH))
    assert not am[4].any()


def test_layout_image_source_overrides(raster):
    r = DiffusionRenderer("unused", raster=raster, negative_prompt="blurry")
    scene = make_scene(image_source=DiffusionPrompt(prompt="two things", phrases={"1": "a puppy"}))
    lay = r.layout(scene)
    assert lay.prompt == "two things" and lay.phrases[1] == "a puppy" and lay.phrases[2] == "a car horn"
    assert lay.negative_prompt == "blurry"
    with pytest.raises(ValueError, match="image_source"):
        r.layout(make_scene(image_source=PhotoPick(file="a.png", image_id=1, width=4, height=4)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        DiffusionRenderer("m", mode="controlnet", mesh_loader=load_mesh)
    with pytest.raises(ValueError, match="mesh_loader or raster"):
        DiffusionRenderer("m")
    with pytest.raises(ValueError, match="background"):
        DiffusionRenderer("m", mode="inpaint", background="photo", mesh_loader=load_mesh)


# ------------------------------------------------------------------ tiny random pipelines


@pytest.fixture(scope="module")
def torch_mod():
    torch = pytest.importorskip("torch")
    pytest.importorskip("diffusers", minversion="0.30")
    pytest.importorskip("transformers", minversion="5")  # CLIPTokenizer(vocab=..., merges=...) in memory
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add overhead on a shared 2-core machine
    yield torch
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def gligen_path(torch_mod, tmp_path_factory):
    return tiny_diffusion.save_tiny_gligen(tmp_path_factory.mktemp("tiny-gligen"))


@pytest.fixture(scope="module")
def inpaint_path(torch_mod, tmp_path_factory):
    return tiny_diffusion.save_tiny_inpaint(tmp_path_factory.mktemp("tiny-inpaint"))


@pytest.fixture(scope="module")
def gligen(gligen_path, raster):
    r = DiffusionRenderer(str(gligen_path), mode="gligen", raster=raster, steps=STEPS, guidance=7.5,
                          resolution=RESOLUTION, batch_size=4)
    yield r
    r.close()


def record_position_net(renderer, torch):
    """Wrap the UNet's GLIGEN position net to record the boxes and masks it receives."""
    net = renderer.pipe.unet.position_net
    calls: list[dict] = []
    original = net.forward

    def forward(*args, **kwargs):
        calls.append({k: v.detach().clone() for k, v in kwargs.items() if torch.is_tensor(v)})
        return original(*args, **kwargs)

    net.forward = forward
    return calls, lambda: setattr(net, "forward", original)


def test_gligen_render_boxes_masks_determinism(gligen, torch_mod, expected_boxes):
    torch = torch_mod
    scene = make_scene()
    calls, restore = record_position_net(gligen, torch)
    try:
        out = gligen.render(scene)
    finally:
        restore()
    assert isinstance(out, DiffusionRender)
    assert out.rgb.shape == (HEIGHT, WIDTH, 3) and out.rgb.dtype == np.uint8
    assert out.depth.shape == (HEIGHT, WIDTH) and out.depth.dtype == np.float32
    assert out.instance_ids.shape == (HEIGHT, WIDTH) and out.instance_ids.dtype == np.int32
    assert out.rgb.std() > 0  # the random model paints something, not a constant
    # The boxes are the sampler's (silhouette) boxes; the unoccluded objects' instance-id boxes too.
    assert out.boxes == expected_boxes
    assert out.mask_source == "box"
    for oid in (1, 3):
        assert xyxy(bbox_of(out.instance_ids == oid)) == expected_boxes[oid]
    assert 4 not in np.unique(out.instance_ids)
    # Masks: box rectangles; visible masks disjoint by construction, nearer cube wins.
    for oid, m in out.masks.items():
        np.testing.assert_array_equal(m, box_mask(expected_boxes[oid], HEIGHT, WIDTH))
    visible = [out.instance_ids == oid for oid in (1, 2, 3)]
    assert sum(v.astype(int) for v in visible).max() == 1
    assert (out.instance_ids == 2).sum() < out.masks[2].sum()  # occluded by the cube
    # The UNet's position net received the boxes normalised to [0, 1] (id order), every step;
    # the classifier-free-guidance half has its boxes masked out.
    assert len(calls) == STEPS
    want = torch.tensor([normalise_box(expected_boxes[oid], WIDTH, HEIGHT) for oid in (1, 2, 3)])
    for call in calls:
        boxes, masks = call["boxes"], call["masks"]
        assert boxes.shape == (2, 30, 4)  # (uncond, cond) x max objects
        torch.testing.assert_close(boxes[1, :3], want)
        assert float(boxes.min()) >= 0.0 and float(boxes.max()) <= 1.0
        assert masks[1].tolist() == [1.0] * 3 + [0.0] * 27 and not masks[0].any()
    assert out.info["boxes"] == {str(k): list(v) for k, v in expected_boxes.items()}
    assert out.info["prompt"] == "a photo of a dog, a car horn and an elephant"
    assert out.info["seed"] == scene.render_seed and out.info["generated_size"] == [32, 24]
    # Same Scene, same image; another render_seed, another image.
    again = gligen.render(make_scene())
    np.testing.assert_array_equal(again.rgb, out.rgb)
    np.testing.assert_array_equal(again.instance_ids, out.instance_ids)
    other = gligen.render(make_scene(render_seed=12))
    assert not np.array_equal(other.rgb, out.rgb)


def test_gligen_loop_matches_diffusers_pipeline(gligen, gligen_path, torch_mod):
    """The batched loop is diffusers' StableDiffusionGLIGENPipeline.__call__ for one image."""
    torch = torch_mod
    diffusers = pytest.importorskip("diffusers")
    if not hasattr(diffusers, "StableDiffusionGLIGENPipeline"):
        pytest.skip("this diffusers has no StableDiffusionGLIGENPipeline")
    ref = diffusers.StableDiffusionGLIGENPipeline.from_pretrained(gligen_path)  # float32, like the renderer on cpu
    ref.set_progress_bar_config(disable=True)
    scene = make_scene()
    lay = gligen.layout(scene)
    ids = sorted(lay.boxes)
    want = ref(prompt=lay.prompt, gligen_phrases=[lay.phrases[i] for i in ids], gligen_boxes=lay.normalised_boxes(),
               gligen_scheduled_sampling_beta=0.3, height=24, width=32, num_inference_steps=STEPS,
               guidance_scale=7.5, generator=torch.Generator("cpu").manual_seed(generation_seed(scene.render_seed)),
               output_type="np").images[0]
    from renderers.visual.diffusion import _resize, _to_uint8

    got = gligen.render(scene).rgb
    np.testing.assert_array_equal(got, _resize(_to_uint8(want), WIDTH, HEIGHT))


def test_render_batch_is_per_scene(gligen):
    scenes = [make_scene(render_seed=11), make_scene(render_seed=12, objects=[
        SceneObject(1, "piano", "slab", (4.0, 0.5, 0.0)), SceneObject(2, "dog", "ball", (2.5, -0.4, -0.2))]),
        make_scene(render_seed=13, objects=[SceneObject(1, "bird", "cube", (-2.0, 0.0, 0.0))])]  # nothing in view
    batch = gligen.render_batch(scenes)
    alone = [gligen.render(s) for s in scenes]
    assert [b.boxes for b in batch] == [a.boxes for a in alone]
    assert batch[1].info["prompt"] == "a photo of a piano and a dog"
    assert batch[2].boxes == {} and not batch[2].instance_ids.any() and batch[2].rgb.shape == (HEIGHT, WIDTH, 3)
    for b, a in zip(batch, alone):
        np.testing.assert_array_equal(b.instance_ids, a.instance_ids)
        # Same noise and conditioning; batched arithmetic may differ by float rounding only.
        assert np.abs(b.rgb.astype(int) - a.rgb.astype(int)).max() <= 2
    assert not np.array_equal(batch[0].rgb, batch[1].rgb)


def test_segmenter_masks(gligen_path, raster, expected_boxes, torch_mod):
    seen = {}

    def ellipses(rgb, boxes, phrases):
        """Stand-in segmenter: the ellipse inscribed in each box, spilling one pixel outside it."""
        seen.update(rgb_shape=rgb.shape, phrases=dict(phrases))
        rows, cols = np.mgrid[0:rgb.shape[0], 0:rgb.shape[1]] + 0.5
        out = {}
        for oid, (x0, y0, x1, y1) in boxes.items():
            cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 + 1, (y1 - y0) / 2 + 1
            out[oid] = ((cols - cx) / rx) ** 2 + ((rows - cy) / ry) ** 2 <= 1.0
        out.pop(3)  # the segmenter found nothing for the elephant
        return out

    # guidance 1: no classifier-free guidance (one UNet pass per step, boxes not doubled)
    with DiffusionRenderer(gligen_path, raster=raster, steps=STEPS, resolution=RESOLUTION, segmenter=ellipses,
                           guidance=1.0) as r:
        out = r.render(make_scene())
    assert seen["rgb_shape"] == (HEIGHT, WIDTH, 3) and seen["phrases"][2] == "a car horn"
    assert out.mask_source == "segmenter" and out.info["mask_source"] == "segmenter"
    assert out.boxes == expected_boxes
    for oid, m in out.masks.items():
        assert not (m & ~box_mask(expected_boxes[oid], HEIGHT, WIDTH)).any()  # clipped to its box
    assert not out.masks[3].any() and not (out.instance_ids == 3).any()
    assert (out.instance_ids == 1).sum() == out.masks[1].sum()  # nearest: fully visible
    assert not ((out.instance_ids == 2) & out.masks[1]).any()
    assert np.all(out.depth[out.instance_ids == 0] == 0)


def test_inpaint_mode(inpaint_path, raster, expected_boxes, torch_mod):
    with DiffusionRenderer(inpaint_path, mode="inpaint", raster=raster, steps=STEPS, resolution=RESOLUTION,
                           batch_size=2) as r:
        scene = make_scene()
        out = r.render(scene)
        again = r.render_batch([make_scene(), make_scene(render_seed=5)])
    assert out.rgb.shape == (HEIGHT, WIDTH, 3) and out.rgb.dtype == np.uint8
    assert out.boxes == expected_boxes
    assert out.info["prompts"] == {"1": "a photo of a dog", "2": "a photo of a car horn",
                                   "3": "a photo of an elephant"}
    # Outside every box the background colour is kept exactly; inside, the model painted.
    inside = np.zeros((HEIGHT, WIDTH), bool)
    for b in expected_boxes.values():
        inside |= box_mask(b, HEIGHT, WIDTH)
    bg = np.round(255 * np.array([0.2, 0.3, 0.4]) ** (1 / 2.2)).astype(np.uint8)
    assert np.all(out.rgb[~inside] == bg)
    assert np.any(out.rgb[inside] != bg)
    np.testing.assert_array_equal(again[0].rgb, out.rgb)  # same Scene, same image, in any batch
    assert not np.array_equal(again[1].rgb, out.rgb)
    assert (out.instance_ids == 1).sum() == out.masks[1].sum()


def test_gligen_mode_rejects_a_model_without_boxes(inpaint_path, raster, torch_mod):
    r = DiffusionRenderer(inpaint_path, mode="gligen", raster=raster)
    with pytest.raises(ValueError, match="not a GLIGEN"):
        r.render(make_scene())


@pytest.mark.slow
def test_with_the_real_sampler(gligen_path, torch_mod):
    """The real sampler with the default library, sizing objects by their box masks: the
    generated image's boxes are the sampler's boxes and the sized object's mask is in its bin."""
    from simulator.core.size_bins import size_bin_of
    from simulator.assets.library import AssetLibrary
    from simulator.plan import Plan
    from simulator.sampler import PlacementError, Sampler
    from simulator.spec.loader import load_spec

    library = AssetLibrary.default()
    spec = load_spec(os.path.join(os.path.dirname(__file__), "..", "scenes", "congruent.yaml"), library=library,
                     overrides=["objects.count=3", "image.width=64", "image.height=64", "samples=3"])[0]
    sampler, plan = Sampler(spec, library), Plan(spec, library)
    with DiffusionRenderer(gligen_path, mesh_loader=library.load_mesh, steps=STEPS, resolution=RESOLUTION) as r:
        checked = 0
        for index in range(3):
            draft = sampler.draft(plan.entry(index), 0)
            try:
                scene = sampler.place(draft, lambda s, ids: {i: float(m.mean())
                                                             for i, m in r.render_amodal(s, ids).items()})
            except PlacementError:
                continue
            out = r.render(scene)
            with MeshRasterRenderer(library.load_mesh) as own:
                sil = own.render_amodal(scene, [o.id for o in scene.objects])
            assert out.boxes == {oid: xyxy(bbox_of(m)) for oid, m in sil.items() if m.any()}
            assert out.rgb.shape == (64, 64, 3)
            sized = out.masks[draft.sized_object].mean()
            assert size_bin_of(float(sized)) == scene.size_bin
            checked += 1
    assert checked >= 1
