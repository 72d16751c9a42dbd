"""Where a Scene's image comes from, as typed Scene data.

* :class:`ImageOptions`: the image backend and its settings, the same for every sample of a
  dataset (``Scene.image``; the spec's ``image.renderer`` and its blocks). Stored with the
  backend's name under ``backend``.
* :class:`ImageSource`: what this sample's image shows when it is not the objects' meshes alone
  (``Scene.image_source``): a photo of a collection, or a diffusion prompt's overrides. Stored
  with its name under ``type``.

An image backend that needs settings of its own defines an :class:`ImageOptions` dataclass with a
``name`` and registers it with ``IMAGE_OPTIONS.register(name, cls)`` (simulator/image_backends).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .plain import Variant
from .registry import Registry

Vec3 = tuple[float, float, float]


class ImageOptions(Variant):
    """Base of the image backends' settings (a :class:`~.plain.Variant` keyed by ``backend``)."""

    tag: ClassVar[str] = "backend"
    members: ClassVar[Registry] = Registry("image backend")


class ImageSource(Variant):
    """Base of per-sample image sources (a :class:`~.plain.Variant` keyed by ``type``)."""

    tag: ClassVar[str] = "type"
    members: ClassVar[Registry] = Registry("image source")


IMAGE_OPTIONS = ImageOptions.members
IMAGE_SOURCES = ImageSource.members


@dataclass(frozen=True)
class MeshOptions(ImageOptions):
    """The pyrender raster of the objects' meshes. ``antialias``: 4x multisampled colour pass."""

    name: ClassVar[str] = "mesh"
    antialias: bool = True


@dataclass(frozen=True)
class DiffusionOptions(ImageOptions):
    """A diffusion model paints the sampled layout (the spec's ``image.diffusion`` block, see
    docs/diffusion.md): model folder or hub id, GLIGEN boxes or per-box inpainting, steps,
    guidance, batch size, generation resolution, torch device and dtype, the phrase and prompt
    templates, the negative prompt, GLIGEN's scheduled-sampling fraction and the inpainting start."""

    name: ClassVar[str] = "diffusion"
    model: str | None = None
    mode: str = "gligen"
    steps: int = 30
    guidance: float = 7.5
    batch_size: int = 4
    resolution: int | None = None
    device: str | None = None
    dtype: str | None = None
    phrase_template: str = "{article} {name}"
    prompt_template: str = "a photo of {objects}"
    negative_prompt: str | None = None
    gligen_beta: float = 0.3
    background: str = "color"


@dataclass(frozen=True)
class PhotoOptions(ImageOptions):
    """Real photos of a COCO-format collection (the spec's ``photos`` block, docs/photos.md):
    annotation file, image and depth folders (resolved paths), the depth maps' convention, the
    category map, the assumed field of view (degrees), output size mode, source-pixel margin, the
    monocular depth model, the ground-plane prior (camera height, default / nearest / farthest
    distance, m), the relative-depth mapping (m) and where the index is cached."""

    name: ClassVar[str] = "photos"
    annotations: str
    images: str
    depth: str | None = None
    depth_kind: str = "relative_inverse"
    depth_png_scale: float | None = None
    category_map: dict[str, str | None] = field(default_factory=dict)
    assumed_hfov_deg: float | None = 60.0
    resize: str = "native"
    margin: float = 0.0
    estimator: str | None = None
    estimator_kind: str = "relative_inverse"
    camera_height_m: float = 1.5
    default_distance_m: float = 10.0
    min_distance_m: float = 0.5
    max_distance_m: float = 50.0
    relative_near_m: float = 0.76
    relative_unit_m: float = 0.5
    cache: str | bool | None = "auto"


@dataclass
class PhotoObjectInfo:
    """How a photo object became a SceneObject: its COCO annotation id, the pixel its sound sits
    on (u, v), its normalised depth (screen mode), its depth in metres along +x and how the depth
    was found; ``source_in_room_m`` when the source was pulled inside the room (head frame, m)."""

    ann_id: int
    source_px: tuple[float, float]
    d_norm: float
    depth_m: float
    depth_method: str
    source_in_room_m: Vec3 | None = None


@dataclass
class PhotoPick(ImageSource):
    """The photo a sample shows: its file (relative to the images folder), COCO image id, depth
    map file, stored size in pixels, crowd categories, the resize mode and, per SceneObject id
    (as a string), how the object was placed."""

    name: ClassVar[str] = "photo"
    file: str
    image_id: int
    width: int
    height: int
    depth_file: str | None = None
    crowd: list[str] = field(default_factory=list)
    resize: str = "native"
    objects: dict[str, PhotoObjectInfo] = field(default_factory=dict)


@dataclass
class DiffusionPrompt(ImageSource):
    """Per-sample overrides of the diffusion backend's prompt, negative prompt and object phrases
    (SceneObject id as a string -> phrase)."""

    name: ClassVar[str] = "diffusion"
    prompt: str | None = None
    negative_prompt: str | None = None
    phrases: dict[str, str] | None = None


for _cls in (MeshOptions, DiffusionOptions, PhotoOptions):
    IMAGE_OPTIONS.register(_cls.name, _cls)
for _cls in (PhotoPick, DiffusionPrompt):
    IMAGE_SOURCES.register(_cls.name, _cls)
