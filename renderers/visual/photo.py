"""The photo "renderer": a Scene whose ``image_source`` is a photo (simulator/photos) as rgb,
depth and instance ids, so the shared pipeline (checks, annotate, writers) works unchanged.

* ``rgb``: the photo's file as 8-bit RGB in its stored pixel order (no EXIF rotation; COCO
  annotations refer to the stored pixels), resized bilinearly to the Scene camera's size when it
  differs (``photos.resize: stretch``).
* ``instance_ids``: each SceneObject (``photo_annotation``: its COCO annotation id) painted with
  its id from its full COCO mask (resized nearest-neighbour with the image), largest full-mask area first
  (ties: lower annotation id first), so a smaller object that overlaps a larger one stays on top
  and the masks are disjoint. Where no mask overlaps another the ids equal the COCO masks exactly.
  Crowd regions and unannotated pixels are 0 (background). This is the layout
  :meth:`simulator.photos.index.PhotoIndex.layout` computes, so the sampler's source pixels lie
  on the rendered masks.
* ``depth``: metres along +x. With a depth map (or an estimator) every pixel gets the map's
  depth converted as :mod:`simulator.photos.depth` says (0 where the map has no value); without
  one, each object's visible mask gets the constant depth the sampler gave it and the rest is 0.
* ``render_amodal(scene, ids)``: the full COCO masks (overlaps not removed).

No randomness; one renderer per worker, reused (it keeps the index's small mask cache warm).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator.core.image import PhotoPick
from simulator.core.render import VisualRender
from simulator.core.scene import Scene, SceneObject


def annotation_id(obj: SceneObject) -> int:
    """The COCO annotation id a photo's SceneObject stands for."""
    if obj.photo_annotation is None:
        raise ValueError(f"photo scene object {obj.id} has no photo_annotation (its COCO annotation id)")
    return int(obj.photo_annotation)


def load_rgb(path: Path) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB, in its stored pixel order (no EXIF rotation: COCO
    annotations refer to the stored pixels)."""
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _relabel(ann_ids: np.ndarray, lut: dict[int, int]) -> np.ndarray:
    """Annotation-id image -> SceneObject-id image (0 for annotations not in ``lut``)."""
    keys = np.array(sorted(lut), dtype=np.int64)
    if keys.size == 0:
        return np.zeros(ann_ids.shape, np.int32)
    values = np.array([lut[k] for k in keys], dtype=np.int32)
    pos = np.clip(np.searchsorted(keys, ann_ids), 0, keys.size - 1)
    return np.where(keys[pos] == ann_ids, values[pos], 0).astype(np.int32)


class PhotoRenderer:
    """Renders photo Scenes from a :class:`simulator.photos.index.PhotoIndex` (and, for depth
    images, a :class:`simulator.photos.depth.DepthProvider`)."""

    def __init__(self, index, depth=None):
        self.index = index
        self.depth = depth

    def close(self) -> None:
        """Nothing to release (the same interface as the mesh renderer)."""

    def _image(self, scene: Scene):
        src = scene.image_source
        if not isinstance(src, PhotoPick):
            raise ValueError("PhotoRenderer renders only scenes whose image_source is a photo")
        image = self.index.image(src.image_id)
        if image.file != src.file:
            raise ValueError(f"photo {src.image_id} is {image.file!r} in the index but {src.file!r} "
                             "in the scene: the photo index is not the one the scene was drawn from")
        return image

    def render(self, scene: Scene) -> VisualRender:
        image = self._image(scene)
        size = (scene.camera.width, scene.camera.height)
        rgb = load_rgb(self.index.image_path(image))
        if (rgb.shape[1], rgb.shape[0]) != size:
            from PIL import Image

            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR), dtype=np.uint8)
        layout = self.index.layout(image, size)
        ids = _relabel(layout.ids, {annotation_id(o): o.id for o in scene.objects})
        depth = self.depth.depth_image(image, size) if self.depth is not None else None
        if depth is None:
            depth = np.zeros((size[1], size[0]), np.float32)
            objects = scene.image_source.objects
            cx = float(scene.camera.position_m[0])
            for obj in scene.objects:
                info = objects.get(str(obj.id))
                depth[ids == obj.id] = info.depth_m if info is not None else float(obj.position_m[0]) - cx
        return VisualRender(rgb=np.ascontiguousarray(rgb), depth=depth.astype(np.float32), instance_ids=ids)

    def render_amodal(self, scene: Scene, object_ids) -> dict[int, np.ndarray]:
        """Full COCO masks of the given objects at the camera's size."""
        image = self._image(scene)
        size = (scene.camera.width, scene.camera.height)
        by_id = {o.id: o for o in scene.objects}
        return {oid: self.index.full_mask(image, annotation_id(by_id[oid]), size) for oid in object_ids}
