"""Real-photo import (simulator/photos, renderers/visual/photo): a COCO-format fixture made here
(images drawn with PIL, polygon and RLE masks, metric .npy and relative .png depth maps, photos
without depth, broken entries) goes through the index, the depth conventions, the photo sampler,
the photo renderer and the shared annotator."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pycocotools import mask as mask_utils

from renderers.visual.photo import PhotoRenderer
from simulator.core import camera as cam
from simulator.annotate import annotate
from simulator.core.masks import decode_rle
from simulator.core.size_bins import size_bin_of
from simulator.assets.library import AssetLibrary
from simulator.photos import (PHOTO_CONDITIONS, DepthConfig, DepthProvider, PhotoConfig, PhotoIndex,
                              PhotoSampler, PhotoSelectionError, candidates, check_photo_spec, ground_plane_depth)
from simulator.photos.depth import resize_field
from simulator.photos.index import clear_memory_cache, source_pixel
from simulator.plan import PlanEntry
from simulator.core.scene import Scene
from simulator.spec.loader import load_spec_text

W, H = 160, 120
CATS = {1: "person", 3: "car", 18: "dog", 62: "chair", 77: "cell phone"}
ALLOWED = ["car", "dog", "person", "telephone"]
PITCH = 0.0254 / 90.0


def ellipse(cx, cy, rx, ry, n=32):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return [float(x) for p in zip(cx + rx * np.cos(t), cy + ry * np.sin(t)) for x in p]


def rect(x0, y0, x1, y1):
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def rect_mask(x0, y0, x1, y1):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def compressed_rle(m):
    rle = mask_utils.encode(np.asfortranarray(m))
    return {"size": [H, W], "counts": rle["counts"].decode("ascii")}


def uncompressed_rle(m):
    flat = m.flatten(order="F")
    counts, current, run = [], 0, 0
    for x in flat:
        if x == current:
            run += 1
        else:
            counts.append(run)
            current, run = x, 1
    counts.append(run)
    return {"size": [H, W], "counts": counts}


# (file, depth, objects); object = (ann id, category id, segmentation, expected visible bin)
U_SHAPE = [100, 60, 150, 60, 150, 110, 140, 110, 140, 70, 110, 70, 110, 110, 100, 110]
PHOTOS = {
    1: ("a.png", "npy", [(101, 18, ellipse(50, 70, 22, 26), "size2"), (102, 3, rect(110, 80, 130, 100), "size1")]),
    2: ("b.png", "png16", [(201, 18, ellipse(40, 90, 12, 10), "size1"), (202, 1, rect(90, 30, 120, 95), "size2")]),
    3: ("c.png", "npy", [(301, 18, ellipse(25, 40, 10, 10), "size1"), (302, 18, ellipse(25, 90, 18, 20), "size2"),
                         (303, 3, rect(70, 40, 150, 100), "size3")]),
    4: ("d.png", None, [(401, 1, rect(10, 50, 30, 90), "size1"), (402, 1, rect(60, 30, 90, 100), "size2"),
                        (403, 1, rect(110, 20, 140, 100), "size2")]),
    5: ("e.png", "png8", [(501, 3, rect(20, 50, 70, 100), "size2"), (502, 1, rect(100, 40, 115, 90), "size1"),
                          (503, 77, rect(130, 20, 140, 30), "size1")]),
    6: ("f.png", "npy_small", [(601, 18, ellipse(70, 60, 42, 36), "size3"), (602, 1, rect(60, 30, 80, 70), "size1")]),
    8: ("h.png", None, [(801, 3, compressed_rle(rect_mask(30, 60, 60, 90)), "size1"),
                        (802, 1, uncompressed_rle(rect_mask(90, 40, 110, 100)), "size2")]),
    9: ("i.jpg", None, [(901, 18, ellipse(80, 40, 15, 12), "size1"), (902, 3, rect(20, 80, 60, 115), "size2"),
                        (903, 62, rect(5, 5, 25, 25), "size1"), (904, 1, U_SHAPE, "size2")]),
}
COLORS = {1: (200, 40, 40), 3: (40, 60, 200), 18: (140, 90, 40), 62: (60, 160, 60), 77: (20, 20, 20)}


def base_depth():
    """Metric depth: 12 m at the top row, 2 m at the bottom row."""
    rows = (np.arange(H, dtype=np.float32) + 0.5)[:, None] * np.ones((1, W), np.float32)
    return (2.0 + 10.0 * (1.0 - rows / H)).astype(np.float32)


def decode_segm(segm):
    if isinstance(segm, list):
        return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([segm], H, W))).astype(bool)
    if isinstance(segm["counts"], list):
        return mask_utils.decode(mask_utils.frPyObjects(segm, H, W)).astype(bool)
    return decode_rle(segm)


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco")
    images_dir, depth_dir = root / "images", root / "depth"
    images_dir.mkdir()
    depth_dir.mkdir()
    images, anns = [], []
    for image_id, (file, depth, objects) in PHOTOS.items():
        img = Image.new("RGB", (W, H), (90 + image_id * 10, 120, 150))
        draw = ImageDraw.Draw(img)
        for ann_id, cat, segm, _ in objects:
            if isinstance(segm, list):
                draw.polygon(segm, fill=COLORS[cat])
            else:
                m = decode_segm(segm)
                arr = np.asarray(img).copy()
                arr[m] = COLORS[cat]
                img = Image.fromarray(arr)
                draw = ImageDraw.Draw(img)
            anns.append({"id": ann_id, "image_id": image_id, "category_id": cat, "iscrowd": 0,
                         "segmentation": [segm] if isinstance(segm, list) else segm})
        img.save(images_dir / file)
        images.append({"id": image_id, "file_name": file, "width": W, "height": H})
        stem = os.path.splitext(file)[0]
        metric = base_depth()
        disparity = 1.0 / metric
        if depth == "npy":
            if image_id == 3:  # a hole (no depth) at the car's source pixel
                metric[69:72, 109:112] = np.nan
            np.save(depth_dir / f"{stem}.npy", metric)
        elif depth == "npy_small":  # a map at half resolution: resized to the photo
            np.save(depth_dir / f"{stem}.npy", metric[::2, ::2].copy())
        elif depth == "png16":
            code = np.round(65535 * disparity / disparity.max()).astype(np.uint16)
            Image.fromarray(code).save(depth_dir / f"{stem}.png")
        elif depth == "png8":
            code = np.round(255 * disparity / disparity.max()).astype(np.uint8)
            Image.fromarray(code).save(depth_dir / f"{stem}.png")
    # a crowd of dogs on photo 8 (so it is neither "one dog" nor "no dog")
    anns.append({"id": 805, "image_id": 8, "category_id": 18, "iscrowd": 1,
                 "segmentation": compressed_rle(rect_mask(120, 10, 150, 30))})
    # broken entries: a missing file, a size mismatch, empty masks, an unknown image, garbage
    images.append({"id": 7, "file_name": "g.png", "width": W, "height": H})
    images.append({"id": 1, "file_name": "a.png", "width": W, "height": H})  # a duplicate id
    anns.append({"id": 701, "image_id": 7, "category_id": 18, "iscrowd": 0, "segmentation": [rect(10, 10, 50, 50)]})
    Image.new("RGB", (W, H)).save(images_dir / "j.png")
    images.append({"id": 10, "file_name": "j.png", "width": 200, "height": 100})
    anns.append({"id": 110, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[10, 10, 10, 10, 10, 10]]})
    anns.append({"id": 111, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[10, 10, 20, 20]]})
    anns.append({"id": 112, "image_id": 999, "category_id": 1, "iscrowd": 0, "segmentation": [rect(1, 1, 9, 9)]})
    anns.append({"id": 113, "image_id": 2, "category_id": 3, "iscrowd": 0, "segmentation": "garbage"})
    data = {"images": images, "annotations": anns,
            "categories": [{"id": k, "name": v} for k, v in CATS.items()]}
    ann_path = root / "instances.json"
    ann_path.write_text(json.dumps(data))
    return {"root": root, "annotations": ann_path, "images": images_dir, "depth": depth_dir, "data": data}


@pytest.fixture(scope="module")
def index(coco):
    return PhotoIndex.load(coco["annotations"], coco["images"], coco["depth"], cache=None)


def make_spec(projection="pinhole", extra=""):
    text = (f"name: photos\nseed: 11\nsamples: 50\nimage: {{width: 96, height: 64}}\n"
            f"camera: {{projection: {projection}}}\nobjects: {{categories: [{', '.join(ALLOWED)}]}}\n{extra}")
    return load_spec_text(text, "test-photos.yaml", library=AssetLibrary.default())[0]


def make_sampler(coco, index, projection="pinhole", extra="", **cfg):
    config = PhotoConfig(annotations=str(coco["annotations"]), images=str(coco["images"]), depth=str(coco["depth"]),
                         **{"depth_kind": "metric", **cfg})
    return PhotoSampler(make_spec(projection, extra), index, AssetLibrary.default(), config)


def entries():
    """Every (condition, size bin, category) the fixture can serve."""
    return [(cond, sb, c) for cond in PHOTO_CONDITIONS for sb in ("size1", "size2", "size3") for c in ALLOWED]


# -- the index ---------------------------------------------------------------------------------
def test_index_counts_categories_and_skips(index):
    assert [im.image_id for im in index.images] == [1, 2, 3, 4, 5, 6, 8, 9]
    assert index.skipped == {"image_missing": 1, "image_size_mismatch": 1, "image_duplicate_id": 1,
                             "annotation_empty_mask": 2,
                             "annotation_no_image": 1, "annotation_bad_segmentation": 1}
    assert index.stats["crowd_regions"] == 1 and index.stats["annotations_of_skipped_images"] == 1
    assert index.stats["objects"] == sum(len(objs) for _, _, objs in PHOTOS.values())
    assert index.image(8).crowd == ("dog",) and index.image(8).has("dog") and index.image(8).count("dog") == 0
    cats = {o.ann_id: o.category for im in index.images for o in im.objects}
    assert cats[503] == "telephone" and cats[903] == "chair" and cats[102] == "car"  # default alias, unmapped name
    assert index.image(2).depth_file == "b.png" and index.image(1).depth_file == "a.npy"
    assert index.image(4).depth_file is None
    assert "skipped" in index.summary()
    mapped = PhotoIndex.build(index.annotations, index.images_dir, None, {"cell phone": None, "chair": "piano"})
    cats = {o.ann_id: o.category for im in mapped.images for o in im.objects}
    assert 503 not in cats and cats[903] == "piano"


def test_size_bins_and_masks_follow_the_coco_masks(coco, index):
    for image_id, (_, _, objects) in PHOTOS.items():
        image = index.image(image_id)
        by_id = {o.ann_id: o for o in image.objects}
        for ann_id, _, segm, expected_bin in objects:
            o = by_id[ann_id]
            full = decode_segm(segm)
            assert np.array_equal(index.full_mask(image, ann_id), full)
            assert o.full_fraction == pytest.approx(full.mean())
            assert o.size_bin == expected_bin, (ann_id, o.area_fraction)
            assert o.size_bin == size_bin_of(o.area_fraction)
    # the person over the dog: the smaller object stays whole, the dog loses the overlap
    dog, person = (next(o for o in index.image(6).objects if o.ann_id == a) for a in (601, 602))
    assert person.area_fraction == pytest.approx(person.full_fraction)
    assert dog.area_fraction < dog.full_fraction


def test_source_pixel_is_inside_the_visible_mask(index):
    for image in index.images:
        layout = index.layout(image)
        for o in image.objects:
            u, v = o.source_px
            assert layout.ids[int(v), int(u)] == o.ann_id
            assert (u % 1, v % 1) == (0.5, 0.5)
    # a U shape: the centroid lies in the hollow, so the deepest pixel is used
    u_mask = decode_segm(U_SHAPE)
    rows, cols = np.nonzero(u_mask)
    assert not u_mask[int(rows.mean() + 0.5), int(cols.mean() + 0.5)]
    u, v = source_pixel(u_mask)
    assert u_mask[int(v), int(u)]
    assert next(o for o in index.image(9).objects if o.ann_id == 904).source_px == (u, v)


def test_index_cache_round_trip(coco, tmp_path):
    cache = tmp_path / "cache"
    clear_memory_cache()
    first = PhotoIndex.load(coco["annotations"], coco["images"], coco["depth"], cache=cache)
    files = list(cache.glob("*.json.gz"))
    assert len(files) == 1
    clear_memory_cache()
    second = PhotoIndex.load(coco["annotations"], coco["images"], coco["depth"], cache=cache)
    assert second.images == first.images and second.skipped == first.skipped
    assert np.array_equal(second.full_mask(second.image(6), 601), first.full_mask(first.image(6), 601))
    # a different category filter is a different index
    clear_memory_cache()
    third = PhotoIndex.load(coco["annotations"], coco["images"], coco["depth"], categories=["telephone"], cache=cache)
    assert [im.image_id for im in third.images] == [5]
    assert len(list(cache.glob("*.json.gz"))) == 2
    clear_memory_cache()


# -- depth ---------------------------------------------------------------------------------------
def test_ground_plane_prior_puts_higher_objects_farther():
    cfg = DepthConfig(camera_height_m=1.5, default_distance_m=10.0, min_distance_m=0.5, max_distance_m=50.0)
    f = 100.0
    depths = []
    for bottom in (70, 80, 95, 110):
        m = np.zeros((H, W), bool)
        m[bottom - 10:bottom, 50:60] = True
        d, method = ground_plane_depth(m, f, cfg)
        assert method == "ground_plane"
        assert d == pytest.approx(min(50.0, 1.5 * f / (bottom - H / 2)))
        depths.append(d)
    assert depths == sorted(depths, reverse=True)
    above = np.zeros((H, W), bool)
    above[20:50, 10:20] = True
    assert ground_plane_depth(above, f, cfg) == (10.0, "default")
    hanging = np.zeros((H, W), bool)
    hanging[0:80, 10:20] = True
    assert ground_plane_depth(hanging, f, cfg) == (10.0, "default")
    tall = np.zeros((H, W), bool)
    tall[0:H, 10:20] = True
    assert ground_plane_depth(tall, f, cfg)[1] == "ground_plane"


def test_photos_without_depth_use_the_ground_plane(coco, index):
    sampler = make_sampler(coco, index)
    scene = sampler.draft(PlanEntry(0, "multi_instance", "size2", "person"), 0)
    assert scene.image_source.image_id == 4 and scene.image_source.depth_file is None
    info = scene.image_source.objects
    by_ann = {d.ann_id: d for d in info.values()}
    assert {d.depth_method for d in by_ann.values()} == {"ground_plane"}
    # person 401 ends at row 90, 402 and 403 at row 100: 401 is higher, so farther
    assert by_ann[401].depth_m > by_ann[402].depth_m == pytest.approx(by_ann[403].depth_m)
    f = cam.pinhole(scene.camera).focal_px
    assert by_ann[401].depth_m == pytest.approx(1.5 * f / (90 - H / 2))


def test_screen_mode_follows_seeds000_depth_normalisation(coco, index):
    """Relative inverse depth (png): d_norm = d_max - d_p and x = 0.76 + d_norm * 0.5 (seeds/000's
    y_u = d_norm / 2 + 0.76), lateral position = pixel offset / 90 inch."""
    sampler = make_sampler(coco, index, "screen", depth_kind="relative_inverse")
    pinhole = make_sampler(coco, index, "pinhole", depth_kind="relative_inverse")
    code = np.asarray(Image.open(coco["depth"] / "b.png")).astype(np.float64)
    d = code / 65535.0 * 10.0
    seen = 0
    for i in range(40):
        entry = PlanEntry(i, "congruent", "size1", "dog")  # photos 2 (png depth) and 9 (no depth)
        scene = sampler.draft(entry, 0)
        if scene.image_source.image_id != 2:
            continue
        seen += 1
        src = scene.sources[0]
        u, v = scene.image_source.objects[str(src.object_id)].source_px
        d_norm = d.max() - d[int(v), int(u)]
        assert d_norm > 0
        assert src.position_m[0] == pytest.approx(0.76 + d_norm * 0.5, abs=1e-5)
        assert src.position_m[1] == pytest.approx(-(u - W / 2) * PITCH)
        assert src.position_m[2] == pytest.approx(-(v - H / 2) * PITCH)
        # the pinhole variant puts the same number on the pixel's ray (same x ahead)
        ps = pinhole.draft(entry, 0)
        assert ps.sources[0].position_m[0] == pytest.approx(0.76 + d_norm * 0.5, abs=1e-5)
    assert seen >= 5


def test_metric_maps_give_the_depth_at_the_source_pixel(coco, index):
    sampler = make_sampler(coco, index)
    metric = base_depth()
    methods = set()
    for image_id in (1, 3, 6):
        image = index.image(image_id)
        entry = PlanEntry(0, "congruent", "size1", "dog")
        scene = sampler.draft(entry, 0)  # any scene, to get the camera; then check every photo directly
        pin = cam.pinhole(scene.camera.__class__(W, H, 60.0))
        for o in image.objects:
            dep = sampler.depth.object_depth(image, o.source_px, index.full_mask(image, o.ann_id), pin.focal_px)
            methods.add(dep.method)
            u, v = o.source_px
            if dep.method == "map":
                full_map = metric if image_id != 6 else resize_field(metric[::2, ::2], (W, H))
                expected = full_map[int(v), int(u)]
                assert dep.depth_m == pytest.approx(expected, rel=1e-5) and dep.d_norm == dep.depth_m
            else:  # the car of photo 3 sits on a hole of the map
                assert (image_id, o.ann_id, dep.method) == (3, 303, "map_median")
                full = index.full_mask(image, 303)
                assert dep.depth_m == pytest.approx(np.nanmedian(np.where(full, metric, np.nan)), rel=0.05)
    assert methods == {"map", "map_median"}


class StubEstimator:
    """A DepthEstimator: relative inverse depth growing towards the bottom of the image."""

    kind = "relative_inverse"
    name = "stub"

    def __init__(self):
        self.calls = 0

    def estimate(self, rgb):
        self.calls += 1
        h, w = rgb.shape[:2]
        return np.tile(np.linspace(1.0, 5.0, h, dtype=np.float32)[:, None], (1, w))


def test_estimator_backend_and_broken_maps(coco, index, tmp_path):
    stub = StubEstimator()
    provider = DepthProvider(index, DepthConfig(kind="metric"), stub)
    image = index.image(4)
    o = image.objects[0]
    dep = provider.object_depth(image, o.source_px, index.full_mask(image, o.ann_id), 100.0)
    field = np.linspace(1.0, 5.0, H, dtype=np.float32)
    assert dep.method == "estimator"
    assert dep.d_norm == pytest.approx(5.0 - field[int(o.source_px[1])])
    assert dep.depth_m == pytest.approx(0.76 + 0.5 * dep.d_norm)
    provider.object_depth(image, o.source_px, index.full_mask(image, o.ann_id), 100.0)
    assert stub.calls == 1  # cached per photo
    # an unreadable map is counted and the photo falls back to the estimator / the ground plane
    bad_root = tmp_path / "depth"
    bad_root.mkdir()
    (bad_root / "a.png").write_bytes(b"not a png")
    broken = PhotoIndex.build(coco["annotations"], coco["images"], bad_root)
    provider = DepthProvider(broken, DepthConfig(kind="metric"))
    image = broken.image(1)
    o = image.objects[0]
    dep = provider.object_depth(image, o.source_px, broken.full_mask(image, o.ann_id), 100.0)
    assert dep.method in ("ground_plane", "default") and sum(provider.problems.values()) == 1
    assert provider.depth_image(image, (W, H)) is None


def test_transformers_depth_backend_with_a_tiny_random_model(tmp_path):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from simulator.photos import TransformersDepthEstimator

    config = transformers.DPTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                                    image_size=32, patch_size=16, backbone_out_indices=[0, 1],
                                    neck_hidden_sizes=[16, 32], fusion_hidden_size=16, reassemble_factors=[1, 1])
    model = transformers.DPTForDepthEstimation(config)
    model.save_pretrained(tmp_path / "dpt")
    transformers.DPTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp_path / "dpt")
    est = TransformersDepthEstimator(str(tmp_path / "dpt"))
    rgb = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    out = est.estimate(rgb)
    assert out.shape == (48, 64) and np.isfinite(out).all()


# -- the sampler and the renderer ----------------------------------------------------------------
@pytest.mark.parametrize("projection", ["pinhole", "screen"])
def test_drafted_sources_project_into_their_masks(coco, index, projection):
    sampler = make_sampler(coco, index, projection, extra="negatives: {offscreen: true}\n")
    renderer = PhotoRenderer(index, sampler.depth)
    served = 0
    for condition, size_bin, category in entries():
        entry0 = PlanEntry(0, condition, size_bin, category)
        if not sampler.candidates(entry0):
            with pytest.raises(PhotoSelectionError):
                sampler.draft(entry0, 0)
            continue
        served += 1
        for i in range(4):
            scene = sampler.draft(PlanEntry(i, condition, size_bin, category), 0)
            assert Scene.from_json(scene.to_json()).to_json() == scene.to_json()
            vis = renderer.render(scene)
            assert vis.rgb.shape == (H, W, 3) and vis.instance_ids.shape == (H, W)
            pin = cam.pinhole(scene.camera)
            for obj in scene.objects:  # every object's point projects (pinhole) into its mask
                u, v, depth = pin.project(np.asarray(obj.position_m))
                assert depth > 0 and vis.instance_ids[int(v), int(u)] == obj.id
            for src in scene.sources:
                if src.placement == "offscreen":
                    assert not cam.source_on_screen(scene.camera, src.position_m)
                    continue
                px = cam.source_pixel(scene.camera, src.position_m)  # pinhole or screen mapping
                assert vis.instance_ids[int(px[1]), int(px[0])] == src.object_id
                assert scene.object_by_id(src.object_id).sounding
            check_condition(scene, vis, category, size_bin)
            if condition != "offscreen" and scene.targets.audio:
                assert scene.manipulations.negatives.offscreen is not None
    assert served >= 15


def check_condition(scene, vis, c, size_bin):
    """The condition's semantics (docs/conditions.md) on a drafted photo scene."""
    same = [o for o in scene.objects if o.category == c]
    sounding = [o for o in scene.objects if o.sounding]
    cond = scene.condition
    if cond in ("congruent", "vision_only"):
        assert len(same) == 1 and scene.targets.semantic == [same[0].id]
        sized = same[0]
    elif cond == "multi_instance":
        assert 2 <= len(same) <= 5 and sorted(scene.targets.semantic) == sorted(o.id for o in same)
        assert len(sounding) == 1 and sounding[0].category == c
        sized = sounding[0]
    elif cond == "conflict_vcue":
        assert len(same) == 1 and scene.targets.semantic == [same[0].id]
        assert len(sounding) == 1 and sounding[0].category != c and sounding[0].category in ALLOWED
        sized = sounding[0]
    else:  # absent_vcue, offscreen
        assert not same and c not in scene.image_source.crowd
        sized = sounding[0] if cond == "absent_vcue" else None
    if cond in ("vision_only", "offscreen"):
        assert not sounding and not scene.targets.audio
        assert scene.targets.negative == ("offscreen" if cond == "offscreen" else scene.manipulations.audio)
    else:
        assert scene.targets.audio == [1] and scene.sources[0].category == c
        assert scene.sources[0].object_id == sized.id
    if sized is not None:
        assert size_bin_of(float((vis.instance_ids == sized.id).mean())) == size_bin


def test_unsupported_conditions_and_unservable_requests(coco, index):
    with pytest.raises(PhotoSelectionError, match="audio_only"):
        candidates(index, "audio_only", "size1", "dog", ALLOWED)
    config = PhotoConfig(annotations=str(coco["annotations"]), images=str(coco["images"]))
    spec = make_spec(extra="condition: {choice: [congruent, audio_only]}\n")
    problems = check_photo_spec(spec.resolved, spec.dists, index, config)
    assert [p for p in problems if p[0] == ("condition",)] == [
        (("condition",), next(p[1] for p in problems if p[0] == ("condition",)))]
    assert "audio_only is not available" in problems[0][1]
    spec = make_spec(extra="target: {category: person, size_bin: size3}\n")
    problems = check_photo_spec(spec.resolved, spec.dists, index, config)
    assert problems and problems[0][0] == ("target", "category") and "size3" in problems[0][1]
    spec = make_spec(extra="target: {size_bin: {choice: [size1, size2]}}\n")
    assert check_photo_spec(spec.resolved, spec.dists, index, config) == []


def test_renderer_masks_are_disjoint_and_equal_coco_masks(coco, index):
    sampler = make_sampler(coco, index)
    renderer = PhotoRenderer(index, sampler.depth)
    for image in index.images:
        # a scene on this photo: the sampler for an entry it serves, else a hand-made one
        scene = None
        for cond, sb, c in entries():
            for image_c, _ in sampler.candidates(PlanEntry(0, cond, sb, c)):
                if image_c.image_id == image.image_id:
                    for i in range(30):
                        s = sampler.draft(PlanEntry(i, cond, sb, c), 0)
                        if s.image_source.image_id == image.image_id:
                            scene = s
                            break
                if scene:
                    break
            if scene:
                break
        assert scene is not None, image.image_id
        vis = renderer.render(scene)
        assert np.array_equal(vis.rgb, np.asarray(Image.open(index.image_path(image)).convert("RGB")))
        ann_of = {o.id: o.photo_annotation for o in scene.objects}
        full = {oid: index.full_mask(image, aid) for oid, aid in ann_of.items()}
        cover = sum(m.astype(int) for m in full.values())
        for oid, m in full.items():
            mine = vis.instance_ids == oid
            alone = m & (cover == 1)
            assert np.array_equal(mine & (cover == 1), alone)  # equal to the COCO mask where not overlapped
            assert not (mine & ~m).any()
        overlap = cover > 1
        if overlap.any():  # photo 6: the smaller person is on top of the dog
            for r, col in np.argwhere(overlap):
                owners = [oid for oid, m in full.items() if m[r, col]]
                assert vis.instance_ids[r, col] == min(owners, key=lambda o: full[o].sum())
        amodal = renderer.render_amodal(scene, list(full))
        assert all(np.array_equal(amodal[oid], full[oid]) for oid in full)
        if sampler.depth.field(image) is None:  # no map (or an 8-bit PNG read as metric: unusable)
            for obj in scene.objects:
                expected = scene.image_source.objects[str(obj.id)].depth_m
                assert np.allclose(vis.depth[vis.instance_ids == obj.id], expected)
        else:
            assert (vis.depth > 0).mean() > 0.9


def test_stretch_resizes_photos_and_masks_together(coco, index):
    sampler = make_sampler(coco, index, resize="stretch")
    renderer = PhotoRenderer(index, sampler.depth)
    n = 0
    for condition, size_bin, category in entries():
        if not sampler.candidates(PlanEntry(0, condition, size_bin, category)):
            continue
        try:
            scene = sampler.draft(PlanEntry(3, condition, size_bin, category), 0)
        except PhotoSelectionError:
            continue  # a bin edge the resize crosses
        n += 1
        vis = renderer.render(scene)
        assert vis.rgb.shape == (64, 96, 3) and (scene.camera.width, scene.camera.height) == (96, 64)
        for src in scene.sources:
            if src.object_id is not None:
                px = cam.source_pixel(scene.camera, src.position_m)
                assert vis.instance_ids[int(px[1]), int(px[0])] == src.object_id
    assert n >= 10


def test_drafts_are_deterministic(coco, index):
    a = make_sampler(coco, index, "screen")
    b = make_sampler(coco, index, "screen")
    for i in range(6):
        entry = PlanEntry(i, "multi_instance", "size1", "dog")
        assert a.draft(entry, 0).to_json() == b.draft(entry, 0).to_json()
    assert a.draft(PlanEntry(0, "absent_vcue", "size2", "dog"), 1).seed == (11, 0, 1)


def test_photo_scene_through_the_shared_annotator_and_acoustics(coco, index):
    """What the pipeline does with a photo scene (render, annotate, free-field audio), minus the
    writer: the record's audio target lies on its object's mask and has the planned size bin."""
    from renderers.acoustic.free_field import FreeFieldRenderer
    from simulator.assets.library import loop_excerpt

    library = AssetLibrary.default()
    sampler = make_sampler(coco, index, "screen", depth_kind="relative_inverse")
    renderer = PhotoRenderer(index, sampler.depth)
    acoustic = FreeFieldRenderer(16000)
    for i, (cond, sb, c) in enumerate([("congruent", "size2", "dog"), ("conflict_vcue", "size3", "person"),
                                        ("multi_instance", "size2", "person"), ("absent_vcue", "size2", "dog")]):
        scene = sampler.draft(PlanEntry(i, cond, sb, c), 0)
        vis = renderer.render(scene)
        record = annotate(scene, vis.instance_ids, renderer.render_amodal(scene, [o.id for o in scene.objects]))
        json.dumps(record)
        (target,) = record["targets"]["audio"]
        obj = next(o for o in record["objects"] if o["id"] == target["object_id"])
        mask = decode_rle(obj["mask"])
        u, v = target["pixel"]
        assert mask[int(v), int(u)] and target["size_bin"] == sb and obj["sounding"]
        n = int(scene.audio.duration_s * 16000)
        clips = [loop_excerpt(library.clip(s.clip, 16000), int(s.clip_offset_s * 16000), n) for s in scene.sources]
        audio = acoustic.render(scene, clips)
        assert audio.mixture.shape == (2, n) and np.abs(audio.mixture).max() > 0
        # left/right follows the source: a source left of centre is louder in the left ear
        if abs(u - W / 2) > 20:
            left, right = np.sqrt((audio.mixture ** 2).mean(axis=1))
            assert (left > right) == (u < W / 2)


# -- end to end through `simulate` (active once image.renderer: photos is wired into the spec) ----
def _photos_wired() -> bool:
    from simulator.spec.schema import build_schema

    return "photos" in build_schema().fields


needs_wiring = pytest.mark.skipif(not _photos_wired(), reason="image.renderer: photos is not in the spec schema yet")


def write_photo_spec(path, coco, extra=""):
    path.write_text(
        "name: photos\nseed: 5\nsamples: 12\n"
        "condition: {choice: [congruent, conflict_vcue, absent_vcue, vision_only, multi_instance, offscreen]}\n"
        "image: {renderer: photos}\ncamera: {projection: screen}\n"
        f"objects: {{categories: [{', '.join(ALLOWED)}]}}\n"
        "target: {size_bin: {choice: [size1, size2]}}\n"
        f"photos: {{annotations: {coco['annotations']}, images: {coco['images']}, depth: {coco['depth']},\n"
        "         depth_kind: relative_inverse}\n"
        f"output: {{dir: out, depth: true}}\n{extra}")


@needs_wiring
@pytest.mark.slow
def test_photo_dataset_end_to_end(coco, tmp_path):
    from conftest import read_records, simulate, tree_digest

    spec = tmp_path / "photos.yaml"
    write_photo_spec(spec, coco)
    dry = simulate("--spec", str(spec), "--dry-run", cwd=tmp_path)
    assert "photos: 8 photos" in dry.stdout, dry.stdout
    simulate("--spec", str(spec), "--quiet", cwd=tmp_path)
    records = read_records(tmp_path / "out")
    assert len(records) == 12
    for rec in records:
        for t in rec["targets"]["audio"]:
            obj = next(o for o in rec["objects"] if o["id"] == t["object_id"])
            u, v = t["pixel"]
            assert decode_rle(obj["mask"])[int(v), int(u)] and t["size_bin"] == rec["size_bin"]
    (tmp_path / "w2").mkdir()
    write_photo_spec(tmp_path / "w2" / "photos.yaml", coco)
    simulate("--spec", str(tmp_path / "w2" / "photos.yaml"), "--quiet", "--workers", "2", cwd=tmp_path / "w2")
    assert tree_digest(tmp_path / "out") == tree_digest(tmp_path / "w2" / "out")
    record = next((tmp_path / "out" / "samples").rglob("0000003.json"))
    replay = simulate("replay", str(record), "--out", str(tmp_path / "replayed"), cwd=tmp_path)
    assert "DIFFERS" not in replay.stdout
    export = json.loads((tmp_path / "out" / "annotations.coco.json").read_text())
    assert {im["width"] for im in export["images"]} == {W} and "chair" in {c["name"] for c in export["categories"]}


@needs_wiring
def test_photo_spec_errors_exit_2(coco, tmp_path):
    from conftest import simulate

    spec = tmp_path / "bad.yaml"
    write_photo_spec(spec, coco)
    text = spec.read_text().replace("condition: {choice: [congruent,", "condition: {choice: [audio_only, congruent,")
    spec.write_text(text)
    proc = simulate("--spec", str(spec), "--dry-run", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "audio_only is not available" in proc.stderr
    good = text.replace("audio_only, ", "")
    spec.write_text(good.replace("size_bin: {choice: [size1, size2]}", "size_bin: size3, category: person"))
    proc = simulate("--spec", str(spec), "--dry-run", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "target.category" in proc.stderr, proc.stderr
    spec.write_text(good.replace(str(coco["annotations"]), "missing.json"))
    proc = simulate("--spec", str(spec), "--dry-run", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "photos.annotations" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def _has_rooms() -> bool:
    from simulator.spec.schema import build_schema

    room = build_schema().fields["room"].fields
    return "shoebox" in (room["type"].kind.choices or ()) and "size_m" in room


@pytest.mark.skipif(not _has_rooms(), reason="shoebox rooms are not in the spec schema")
@pytest.mark.parametrize("projection", ["pinhole", "screen"])
def test_far_photo_sources_are_pulled_into_a_room_keeping_their_pixel(coco, index, projection):
    sampler = make_sampler(coco, index, projection, extra="room: {type: shoebox, size_m: [3.0, 3.0, 2.5], "
                           "listener_fraction: [0.2, 0.5], listener_height_m: 1.4}\n")
    renderer = PhotoRenderer(index, sampler.depth)
    inside = sampler._clips._inside_room
    pulled = 0
    for i in range(12):
        try:
            scene = sampler.draft(PlanEntry(i, "congruent", "size2", "dog"), 0)
        except Exception as exc:  # noqa: BLE001 - a room too small for the photo: redrawn by the pipeline
            assert type(exc).__name__ == "PlacementError"
            continue
        vis = renderer.render(scene)
        (src,) = scene.sources
        assert inside(scene.room, np.asarray([src.position_m]), margin=0.29)
        px = cam.source_pixel(scene.camera, src.position_m)
        assert vis.instance_ids[int(px[1]), int(px[0])] == src.object_id
        pulled += scene.image_source.objects[str(src.object_id)].source_in_room_m is not None
    assert pulled >= 1
