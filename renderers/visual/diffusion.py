"""Diffusion image backend: multi-object images whose layout the sampler chose (seeds/001's IS3, made controllable).

The sampler places objects in 3D at real size exactly as for the mesh raster (a pixel centre and a
mask-area fraction give a depth). This backend reads the same :class:`simulator.core.scene.Scene` and
turns it into a *layout* before any model runs:

* **box**: the bounding box of the object's silhouette as :class:`MeshRasterRenderer` draws it
  (``render_amodal``: the unoccluded silhouette, already clipped to the image), as integer pixel
  edges ``(x0, y0, x1, y1)``: the box covers columns ``x0 .. x1 - 1`` and rows ``y0 .. y1 - 1``, i.e.
  the continuous rectangle ``[x0, x1] x [y0, y1]`` of :mod:`simulator.core.geometry`'s pixel convention.
  Its COCO box is ``[x0, y0, x1 - x0, y1 - y0]``. Objects with an empty silhouette (out of view)
  get no box and are not generated.
* **phrase**: the category name through ``phrase_template`` (default ``"{article} {name}"``:
  ``car_horn`` -> ``"a car horn"``). **prompt**: ``prompt_template`` with the phrases listed
  (default ``"a photo of {objects}"`` -> ``"a photo of a dog, a cat and a car"``).
* **occlusion**: one depth per object, the distance of its centre (``position_m``) along the
  optical axis (+x) from the camera. Masks are painted far to near (painter's algorithm), so the
  nearer object wins where boxes overlap and the visible masks are disjoint.

Then the model paints the image:

* ``mode="gligen"``: box-conditioned text-to-image (GLIGEN, Li et al. 2023): each phrase is
  grounded in its box, given to the UNet's gated self-attention as ``[x0/W, y0/H, x1/W, y1/H]``
  (normalised to [0, 1]). The denoising loop here is the one of diffusers'
  ``StableDiffusionGLIGENPipeline.__call__`` (reproduced exactly for one image, see
  tests/test_diffusion.py), batched so that every image of a batch has its own boxes, phrases and
  seed. It only needs diffusers' core ``StableDiffusionPipeline`` components and a UNet with
  ``attention_type="gated"`` (diffusers deprecated the GLIGEN pipeline class itself).
* ``mode="inpaint"``: start from a background (``background="color"``: the Scene's background
  colour; ``"raster"``: the mesh raster of the Scene) and inpaint each box in turn, far to near,
  with ``StableDiffusionInpaintPipeline`` (prompt: ``prompt_template`` of the object's phrase).
  Pixels outside the box being painted are kept exactly (the generated box is pasted back), so
  nearer objects are painted over farther ones, as the masks say.

Masks: ``mask_source="box"`` (default) uses the box rectangles; a ``segmenter`` (any callable
``segmenter(rgb, boxes, phrases) -> {object_id: bool (H, W) mask}``, e.g. SAM prompted with the
boxes) replaces them after generation; its masks are clipped to their boxes before the
painter's algorithm, and an object it finds nothing for gets an empty mask (not visible).

Depth is approximate: inside an object's visible mask it is the object's constant depth above
(metres along +x), 0 elsewhere. It places sound sources (``simulator.core.camera.source_at_pixel``)
but is not a surface.

Model and device: ``model`` is a local folder written by ``save_pretrained`` or a hub id, loaded
with ``from_pretrained`` in both cases (``HF_HUB_OFFLINE=1`` or ``load_kwargs={"local_files_only":
True}`` keep it off the network). ``device=None`` picks ``cuda`` when available, else ``cpu``;
``dtype=None`` picks float16 on cuda and float32 elsewhere. The model is loaded on first use, so a
renderer can be built in a parent process and used in a worker.

Seeds: every image is seeded from ``Scene.render_seed`` alone (a CPU ``torch.Generator`` per image
and inpainting round, seeded with ``SeedSequence(render_seed, spawn_key=(DIFFUSION_STREAM, round))``),
so a Scene re-renders to the same image on the same device, dtype and library versions, whatever
else is in its batch (the initial noise is identical; a different batch size can change the
arithmetic by float rounding, i.e. by a level or so on a few pixels). The initial noise is drawn on
the CPU, so CPU and GPU start from the same noise but do not give bit-identical images.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from renderers.visual.mesh_raster import DISPLAY_GAMMA, MeshRasterRenderer
from simulator.core.image import DiffusionPrompt
from simulator.core.render import VisualRender
from simulator.core import camera as cam
from simulator.core.scene import Scene

MODES = ("gligen", "inpaint")
BACKGROUNDS = ("color", "raster")

#: GLIGEN's position network takes at most this many grounded boxes (diffusers' ``max_objs``).
GLIGEN_MAX_OBJECTS = 30

#: First spawn-key element of the diffusion seeds (the mesh pipeline uses 0, 1, 2.. for image and
#: audio noise); the second is the inpainting round (0 for GLIGEN).
DIFFUSION_STREAM = 100

#: ``segmenter(rgb (H, W, 3) uint8, boxes {id: (x0, y0, x1, y1)}, phrases {id: str}) -> {id: mask}``.
Segmenter = Callable[[np.ndarray, Mapping[int, tuple[int, int, int, int]], Mapping[int, str]],
                     Mapping[int, np.ndarray]]

Box = tuple[int, int, int, int]


# ---------------------------------------------------------------------------------------- data


@dataclass
class DiffusionLayout:
    """What the model is asked to draw, derived from a Scene before generation (no model needed).

    ``boxes``: id -> (x0, y0, x1, y1) integer pixel edges (module docstring) of every generated
    object. ``order``: their ids far to near (the painting order). ``depths``: id -> metres along
    +x of the object's centre. ``phrases``: id -> phrase. ``prompt``: the image prompt (GLIGEN).
    ``instance_ids``/``depth``: the box-mask id image (painter's algorithm) and constant depths,
    as :class:`VisualRender` has them, so size and visibility checks can run on a layout.
    ``dropped``: ids of visible objects left out because GLIGEN takes at most 30 boxes (the
    farthest are dropped). ``negative_prompt``: the negative prompt or None.
    """

    width: int
    height: int
    boxes: dict[int, Box]
    order: list[int]
    depths: dict[int, float]
    phrases: dict[int, str]
    prompt: str
    negative_prompt: str | None
    instance_ids: np.ndarray
    depth: np.ndarray
    dropped: list[int] = field(default_factory=list)

    def box_masks(self) -> dict[int, np.ndarray]:
        """id -> boolean (H, W) rectangle of its box."""
        return {oid: box_mask(b, self.height, self.width) for oid, b in self.boxes.items()}

    def normalised_boxes(self) -> list[list[float]]:
        """GLIGEN boxes ``[x0/W, y0/H, x1/W, y1/H]`` in [0, 1], in ``sorted(boxes)`` (id) order."""
        return [normalise_box(self.boxes[oid], self.width, self.height) for oid in sorted(self.boxes)]


@dataclass
class DiffusionRender(VisualRender):
    """A :class:`VisualRender` from the diffusion backend, plus what the annotation needs.

    ``rgb`` (H, W, 3) uint8 at the Scene's camera size; ``depth`` (H, W) float32, the object's
    constant depth inside its visible mask (approximate, see the module docstring), 0 elsewhere;
    ``instance_ids`` (H, W) int32. ``boxes``: id -> (x0, y0, x1, y1) pixel edges of every generated
    object (the sampler's boxes; COCO ``[x0, y0, x1 - x0, y1 - y0]``). ``masks``: id -> boolean
    unoccluded mask (its box, or the segmenter's mask clipped to the box): the amodal masks for
    ``visible_fraction`` (also ``annotation_masks`` when they come from the segmenter; box masks
    equal the silhouettes' boxes the annotation takes anyway). ``mask_source``: ``"box"`` or
    ``"segmenter"``. ``info``: JSON-ready description of the generation (mode, prompt(s), phrases,
    boxes, seed, ...), written to the record as ``extras["diffusion"]``.
    """

    boxes: dict[int, Box] = field(default_factory=dict)
    masks: dict[int, np.ndarray] = field(default_factory=dict)
    mask_source: str = "box"
    info: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- pure helpers


def box_of_mask(mask: np.ndarray) -> Box | None:
    """Integer pixel edges (x0, y0, x1, y1) of a boolean mask's bounding box, or None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def box_mask(box: Box, height: int, width: int) -> np.ndarray:
    """Boolean (height, width) mask of the pixels inside ``box`` (pixel edges)."""
    x0, y0, x1, y1 = box
    m = np.zeros((height, width), dtype=bool)
    m[max(y0, 0):max(min(y1, height), 0), max(x0, 0):max(min(x1, width), 0)] = True
    return m


def normalise_box(box: Box, width: int, height: int) -> list[float]:
    """Pixel-edge box -> ``[x0/W, y0/H, x1/W, y1/H]`` (GLIGEN's normalised xyxy)."""
    x0, y0, x1, y1 = box
    return [x0 / width, y0 / height, x1 / width, y1 / height]


def paint_instances(masks: Mapping[int, np.ndarray], order: Sequence[int], height: int, width: int) -> np.ndarray:
    """(H, W) int32 id image: each object's mask painted in ``order`` (far to near), 0 elsewhere."""
    ids = np.zeros((height, width), dtype=np.int32)
    for oid in order:
        m = masks.get(oid)
        if m is not None:
            ids[m] = oid
    return ids


def constant_depth(instance_ids: np.ndarray, depths: Mapping[int, float]) -> np.ndarray:
    """(H, W) float32: ``depths[id]`` where ``instance_ids == id``, 0 on the background."""
    out = np.zeros(instance_ids.shape, dtype=np.float32)
    for oid, d in depths.items():
        out[instance_ids == oid] = d
    return out


def phrase_for(category: str, template: str = "{article} {name}") -> str:
    """A category's phrase: ``{category}`` (as is), ``{name}`` (underscores as spaces),
    ``{article}`` ("a" or "an" by the name's first letter)."""
    name = category.replace("_", " ").strip()
    article = "an" if name[:1].lower() in "aeiou" and name else "a"
    return template.format(category=category, name=name, article=article)


def join_phrases(phrases: Sequence[str]) -> str:
    """English list: "a", "a and b", "a, b and c"."""
    phrases = list(phrases)
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def generation_seed(render_seed: int, round_index: int = 0) -> int:
    """The torch seed of one image (GLIGEN) or one inpainting round: a function of the Scene's
    ``render_seed`` only (so not of the batch it is rendered in)."""
    ss = np.random.SeedSequence(int(render_seed), spawn_key=(DIFFUSION_STREAM, int(round_index)))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def generation_size(width: int, height: int, resolution: int, multiple: int) -> tuple[int, int]:
    """(w, h) to generate at: the longer side ``resolution``, the aspect of (width, height), both
    rounded to a multiple of ``multiple`` (at least one multiple)."""
    scale = resolution / max(width, height)
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    return w, h


def display_rgb(color_linear: Sequence[float]) -> np.ndarray:
    """(3,) uint8 display-encoded colour of a linear RGB background (as the mesh raster writes it)."""
    lin = np.clip(np.asarray(color_linear, dtype=float), 0.0, 1.0)
    return np.round(255.0 * lin ** (1.0 / DISPLAY_GAMMA)).astype(np.uint8)


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """float images in [0, 1] -> uint8, rounding as diffusers' ``numpy_to_pil`` does."""
    return np.clip(np.round(np.asarray(images, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def _resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a uint8 (h, w, 3) image to (height, width, 3) (Lanczos); no-op at the same size."""
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.LANCZOS))


def _scaled_box(box: Box, from_wh: tuple[int, int], to_wh: tuple[int, int]) -> Box:
    """A pixel-edge box scaled to another image size, grown to whole pixels (floor/ceil)."""
    sx, sy = to_wh[0] / from_wh[0], to_wh[1] / from_wh[1]
    x0, y0, x1, y1 = box
    return (int(np.floor(x0 * sx)), int(np.floor(y0 * sy)),
            min(to_wh[0], int(np.ceil(x1 * sx))), min(to_wh[1], int(np.ceil(y1 * sy))))


# ------------------------------------------------------------------------------ renderer


class DiffusionRenderer:
    """Diffusion image backend of a Scene (see the module docstring). One per worker, reused.

    Parameters
    ----------
    model:
        Local folder (``save_pretrained`` layout) or hub id of a Stable Diffusion pipeline: a GLIGEN
        text-box model for ``mode="gligen"`` (e.g. ``masterful/gligen-1-4-generation-text-box``), an
        inpainting model for ``mode="inpaint"`` (e.g. ``stable-diffusion-v1-5/stable-diffusion-inpainting``).
    mode:
        ``"gligen"`` (box-conditioned generation) or ``"inpaint"`` (per-box inpainting).
    device, dtype:
        torch device (None: ``cuda`` if available, else ``cpu``) and dtype (None: float16 on cuda,
        float32 otherwise; a torch dtype or its name).
    steps, guidance:
        Denoising steps and classifier-free guidance scale (guidance <= 1 disables it).
    batch_size:
        Images generated together by :meth:`render_batch`.
    resolution:
        Longer side of the generated image, pixels (None: the model's native size,
        ``unet.config.sample_size * vae_scale_factor``, e.g. 512); the image is generated at the
        camera's aspect and resized to the camera size (boxes are normalised, so they carry over).
    segmenter:
        Optional callable giving object masks from the generated image (module docstring).
    mesh_loader, raster:
        Where silhouettes come from: an existing :class:`MeshRasterRenderer` (shared with the
        sampler; not closed by :meth:`close`) or a mesh loader to build one on first use.
    phrase_template, prompt_template, negative_prompt:
        Phrase of a category (:func:`phrase_for`), prompt from the listed phrases
        (``{objects}``), negative prompt. A Scene's ``image_source``
        (:class:`simulator.core.image.DiffusionPrompt`) may override ``prompt``, ``negative_prompt``
        and ``phrases`` ({id: phrase}).
    gligen_beta:
        GLIGEN's scheduled-sampling fraction: the boxes steer the first ``gligen_beta`` of the
        steps (diffusers' ``gligen_scheduled_sampling_beta``, 0.3).
    background:
        Inpaint mode's starting image: ``"color"`` (the Scene's background colour) or ``"raster"``.
    load_kwargs:
        Extra keyword arguments of ``from_pretrained`` (``variant``, ``revision``,
        ``local_files_only``, ``safety_checker=None``, ...).
    """

    def __init__(self, model: str | os.PathLike, mode: str = "gligen", *, device: str | None = None,
                 dtype: Any = None, steps: int = 30, guidance: float = 7.5, batch_size: int = 4,
                 resolution: int | None = None, segmenter: Segmenter | None = None,
                 mesh_loader: Callable[[str], Any] | None = None, raster: MeshRasterRenderer | None = None,
                 phrase_template: str = "{article} {name}", prompt_template: str = "a photo of {objects}",
                 negative_prompt: str | None = None, gligen_beta: float = 0.3, background: str = "color",
                 load_kwargs: Mapping[str, Any] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {BACKGROUNDS}, got {background!r}")
        if int(steps) < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0.0 <= float(gligen_beta) <= 1.0:
            raise ValueError(f"gligen_beta must be in [0, 1], got {gligen_beta}")
        if resolution is not None and int(resolution) < 8:
            raise ValueError(f"resolution must be >= 8 pixels, got {resolution}")
        if raster is None and mesh_loader is None:
            raise ValueError("DiffusionRenderer needs mesh_loader or raster (object boxes come from silhouettes)")
        self.model = os.fspath(model)
        self.mode = mode
        self.steps = int(steps)
        self.guidance = float(guidance)
        self.batch_size = int(batch_size)
        self.resolution = None if resolution is None else int(resolution)
        self.segmenter = segmenter
        self.phrase_template = phrase_template
        self.prompt_template = prompt_template
        self.negative_prompt = negative_prompt
        self.gligen_beta = float(gligen_beta)
        self.background = background
        self.load_kwargs = dict(load_kwargs or {})
        self._device_arg = device
        self._dtype_arg = dtype
        self._mesh_loader = mesh_loader
        self._raster = raster
        self._owns_raster = raster is None
        self._pipe: Any = None

    # ------------------------------------------------------------------ model

    @property
    def device(self) -> str:
        if self._device_arg is not None:
            return str(self._device_arg)
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def dtype(self) -> Any:
        import torch

        if self._dtype_arg is None:
            return torch.float16 if self.device.startswith("cuda") else torch.float32
        if isinstance(self._dtype_arg, str):
            dt = getattr(torch, self._dtype_arg, None)
            if not isinstance(dt, torch.dtype):
                raise ValueError(f"unknown torch dtype {self._dtype_arg!r}")
            return dt
        return self._dtype_arg

    @property
    def pipe(self) -> Any:
        """The diffusers pipeline, loaded with ``from_pretrained(model)`` on first use."""
        if self._pipe is None:
            self._pipe = self._load()
        return self._pipe

    def _load(self) -> Any:
        try:
            import diffusers
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the diffusion backend needs the `diffusion` extra: "
                              "pip install 'avsim[diffusion]' (torch, diffusers, transformers)") from exc
        # GLIGEN checkpoints are plain Stable Diffusion components with a gated UNet; loading them
        # with the core StableDiffusionPipeline avoids diffusers' deprecated GLIGEN pipeline class.
        cls = diffusers.StableDiffusionPipeline if self.mode == "gligen" else diffusers.StableDiffusionInpaintPipeline
        kwargs = {_dtype_keyword(): self.dtype, **self.load_kwargs}
        pipe = cls.from_pretrained(self.model, **kwargs)
        pipe = pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        unet_in = int(pipe.unet.config.in_channels)
        if self.mode == "gligen":
            if getattr(pipe.unet, "position_net", None) is None:
                raise ValueError(f"{self.model}: not a GLIGEN box-conditioned model (its UNet has no position_net; "
                                 "it needs attention_type='gated')")
            if unet_in != 4:
                raise ValueError(f"{self.model}: GLIGEN text-box generation needs a 4-channel UNet, got {unet_in}")
        elif unet_in not in (4, 9):
            raise ValueError(f"{self.model}: an inpainting UNet has 9 (or 4) input channels, got {unet_in}")
        return pipe

    def _multiple(self) -> int:
        """Generated sizes are multiples of this: the VAE factor times the UNet's downsampling
        (so latents halve evenly), and of 8 (diffusers' pipelines check it): 64 for SD 1.x."""
        pipe = self.pipe
        return int(np.lcm(8, int(pipe.vae_scale_factor) * 2 ** (len(pipe.unet.config.down_block_types) - 1)))

    def _generation_size(self, scene: Scene) -> tuple[int, int]:
        pipe = self.pipe
        res = self.resolution or int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
        return generation_size(scene.camera.width, scene.camera.height, res, self._multiple())

    def describe(self) -> dict[str, Any]:
        """JSON-ready settings and library versions (for dataset.json)."""
        import diffusers
        import torch
        import transformers

        return {"renderer": "diffusion", "model": self.model, "mode": self.mode, "steps": self.steps,
                "guidance": self.guidance, "batch_size": self.batch_size, "resolution": self.resolution,
                "gligen_beta": self.gligen_beta, "background": self.background,
                "phrase_template": self.phrase_template, "prompt_template": self.prompt_template,
                "negative_prompt": self.negative_prompt,
                "mask_source": "segmenter" if self.segmenter is not None else "box",
                "device": self.device, "dtype": str(self.dtype).replace("torch.", ""),
                "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                             "transformers": transformers.__version__}}

    # ------------------------------------------------------------------ layout (no model)

    @property
    def raster(self) -> MeshRasterRenderer:
        if self._raster is None:
            self._raster = MeshRasterRenderer(self._mesh_loader)
        return self._raster

    def render_amodal(self, scene: Scene, object_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Each listed object's annotated mask before generation: its box rectangle (the same
        interface as :meth:`MeshRasterRenderer.render_amodal`, so the sampler sizes objects by the
        area of the mask that the annotation will hold). All-False for an object out of view."""
        h, w = scene.camera.height, scene.camera.width
        sil = self.raster.render_amodal(scene, object_ids)
        out = {}
        for oid, m in sil.items():
            b = box_of_mask(m)
            out[oid] = box_mask(b, h, w) if b is not None else np.zeros((h, w), bool)
        return out

    def layout(self, scene: Scene) -> DiffusionLayout:
        """The Scene's boxes, phrases, prompt, painting order and box-mask id image."""
        src = scene.image_source
        if src is not None and not isinstance(src, DiffusionPrompt):
            raise ValueError(f"scene {scene.index}: image_source {type(src).name!r} is not a diffusion prompt")
        src = src or DiffusionPrompt()
        h, w = scene.camera.height, scene.camera.width
        pin = cam.pinhole(scene.camera)
        sil = self.raster.render_amodal(scene, [o.id for o in scene.objects]) if scene.objects else {}
        boxes: dict[int, Box] = {}
        depths: dict[int, float] = {}
        for obj in scene.objects:
            b = box_of_mask(sil[obj.id])
            depth = float(pin.to_camera(np.asarray(obj.position_m, float))[0])
            if b is None or depth <= 0:
                continue
            boxes[obj.id] = b
            depths[obj.id] = depth
        dropped: list[int] = []
        if self.mode == "gligen" and len(boxes) > GLIGEN_MAX_OBJECTS:
            near_first = sorted(boxes, key=lambda oid: (depths[oid], oid))
            dropped = sorted(near_first[GLIGEN_MAX_OBJECTS:])
            for oid in dropped:
                boxes.pop(oid)
                depths.pop(oid)
        # Far to near; ties by id so the order is total.
        order = sorted(boxes, key=lambda oid: (-depths[oid], oid))
        overrides = {int(k): str(v) for k, v in (src.phrases or {}).items()}
        phrases = {oid: overrides.get(oid, phrase_for(scene.object_by_id(oid).category, self.phrase_template))
                   for oid in sorted(boxes)}
        prompt = src.prompt or self.prompt_template.format(objects=join_phrases(list(phrases.values()))).strip()
        negative = src.negative_prompt if src.negative_prompt is not None else self.negative_prompt
        masks = {oid: box_mask(b, h, w) for oid, b in boxes.items()}
        ids = paint_instances(masks, order, h, w)
        return DiffusionLayout(width=w, height=h, boxes=boxes, order=order, depths=depths, phrases=phrases,
                               prompt=prompt, negative_prompt=negative, instance_ids=ids,
                               depth=constant_depth(ids, depths), dropped=dropped)

    # ------------------------------------------------------------------ rendering

    def render(self, scene: Scene) -> DiffusionRender:
        """Generate the Scene's image: rgb at the camera size, instance ids, depth, boxes, masks."""
        return self.render_batch([scene])[0]

    def render_batch(self, scenes: Sequence[Scene]) -> list[DiffusionRender]:
        """Render several Scenes, ``batch_size`` images per model call (same generated size per
        call); results in input order. Each image depends only on its own Scene."""
        scenes = list(scenes)
        layouts = [self.layout(s) for s in scenes]
        sizes = [self._generation_size(s) for s in scenes]
        results: list[DiffusionRender | None] = [None] * len(scenes)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, size in enumerate(sizes):
            groups.setdefault(size, []).append(i)
        for size, members in groups.items():
            for start in range(0, len(members), self.batch_size):
                chunk = members[start:start + self.batch_size]
                cs, ls = [scenes[i] for i in chunk], [layouts[i] for i in chunk]
                if self.mode == "gligen":
                    images, extra = self._generate_gligen(cs, ls, size)
                else:
                    images, extra = self._generate_inpaint(cs, ls, size)
                for k, i in enumerate(chunk):
                    results[i] = self._finish(scenes[i], layouts[i], images[k], size, extra[k])
        return results  # type: ignore[return-value]

    def _finish(self, scene: Scene, lay: DiffusionLayout, rgb: np.ndarray, size: tuple[int, int],
                extra: dict[str, Any]) -> DiffusionRender:
        h, w = lay.height, lay.width
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        if self.segmenter is not None:
            found = self.segmenter(rgb.copy(), dict(lay.boxes), dict(lay.phrases)) if lay.boxes else {}
            masks = {}
            for oid, b in lay.boxes.items():
                m = found.get(oid)
                if m is None:
                    masks[oid] = np.zeros((h, w), bool)
                    continue
                m = np.asarray(m, dtype=bool)
                if m.shape != (h, w):
                    raise ValueError(f"segmenter mask of object {oid} has shape {m.shape}, expected {(h, w)}")
                masks[oid] = m & box_mask(b, h, w)
            source = "segmenter"
        else:
            masks = lay.box_masks()
            source = "box"
        ids = paint_instances(masks, lay.order, h, w)
        info = {"type": "diffusion", "model": self.model, "mode": self.mode, "steps": self.steps,
                "guidance": self.guidance, "seed": int(scene.render_seed),
                "generated_size": [int(size[0]), int(size[1])],
                "phrases": {str(k): v for k, v in lay.phrases.items()},
                "boxes": {str(k): list(v) for k, v in lay.boxes.items()}, "box_format": "xyxy_pixel_edges",
                "order": list(lay.order), "mask_source": source, "negative_prompt": lay.negative_prompt,
                "dropped": list(lay.dropped), **extra}
        if self.mode == "gligen":
            info["prompt"] = lay.prompt
            info["gligen_beta"] = self.gligen_beta
        else:
            info["background"] = self.background
        return DiffusionRender(rgb=rgb, depth=constant_depth(ids, lay.depths), instance_ids=ids,
                               annotation_masks=masks if source == "segmenter" else None,
                               extras={"diffusion": info}, boxes=dict(lay.boxes), masks=masks, mask_source=source,
                               info=info)

    # ------------------------------------------------------------------ GLIGEN

    def _generate_gligen(self, scenes: list[Scene], layouts: list[DiffusionLayout],
                         size: tuple[int, int]) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
        """Batched GLIGEN text-box generation: diffusers' ``StableDiffusionGLIGENPipeline.__call__``
        loop, with per-image boxes, phrases and generators. Returns uint8 images at camera size."""
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        pipe = self.pipe
        device = torch.device(self.device)
        gw, gh = size
        n_img = len(scenes)
        cfg = self.guidance > 1.0
        with torch.no_grad():
            prompts = [lay.prompt for lay in layouts]
            negatives = [lay.negative_prompt or "" for lay in layouts]
            prompt_embeds, negative_embeds = pipe.encode_prompt(prompts, device, 1, cfg, negatives if cfg else None)
            if cfg:
                prompt_embeds = torch.cat([negative_embeds, prompt_embeds])
            dtype = prompt_embeds.dtype
            te_dtype = pipe.text_encoder.dtype
            dim = int(pipe.unet.config.cross_attention_dim)
            boxes = torch.zeros(n_img, GLIGEN_MAX_OBJECTS, 4, device=device, dtype=te_dtype)
            embeds = torch.zeros(n_img, GLIGEN_MAX_OBJECTS, dim, device=device, dtype=te_dtype)
            masks = torch.zeros(n_img, GLIGEN_MAX_OBJECTS, device=device, dtype=te_dtype)
            for b, lay in enumerate(layouts):
                ids = sorted(lay.boxes)
                if not ids:
                    continue
                tokens = pipe.tokenizer([lay.phrases[i] for i in ids], padding=True, return_tensors="pt").to(device)
                embeds[b, :len(ids)] = pipe.text_encoder(**tokens).pooler_output
                boxes[b, :len(ids)] = torch.tensor(lay.normalised_boxes())
                masks[b, :len(ids)] = 1
            if cfg:
                boxes, embeds, masks = torch.cat([boxes] * 2), torch.cat([embeds] * 2), torch.cat([masks] * 2)
                masks[:n_img] = 0  # the unconditional half sees no boxes
            gligen = {"boxes": boxes, "positive_embeddings": embeds, "masks": masks}

            scheduler = pipe.scheduler
            scheduler.set_timesteps(self.steps, device=device)
            timesteps = scheduler.timesteps
            generators = [torch.Generator("cpu").manual_seed(generation_seed(s.render_seed, 0)) for s in scenes]
            shape = (n_img, int(pipe.unet.config.in_channels), gh // pipe.vae_scale_factor, gw // pipe.vae_scale_factor)
            latents = randn_tensor(shape, generator=generators, device=device, dtype=torch.float32).to(dtype)
            latents = latents * scheduler.init_noise_sigma
            extra_step = pipe.prepare_extra_step_kwargs(generators, 0.0)
            grounding_steps = int(self.gligen_beta * len(timesteps))
            _enable_fuser(pipe.unet, True)
            try:
                for i, t in enumerate(timesteps):
                    if i == grounding_steps:
                        _enable_fuser(pipe.unet, False)
                    model_in = torch.cat([latents] * 2) if cfg else latents
                    model_in = scheduler.scale_model_input(model_in, t)
                    noise = pipe.unet(model_in, t, encoder_hidden_states=prompt_embeds,
                                      cross_attention_kwargs={"gligen": gligen}).sample
                    if cfg:
                        uncond, cond = noise.chunk(2)
                        noise = uncond + self.guidance * (cond - uncond)
                    latents = scheduler.step(noise, t, latents, **extra_step).prev_sample
            finally:
                _enable_fuser(pipe.unet, True)
            image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
            image, nsfw = pipe.run_safety_checker(image, device, dtype)
            denorm = [True] * n_img if nsfw is None else [not x for x in nsfw]
            image = pipe.image_processor.postprocess(image, output_type="np", do_denormalize=denorm)
        out = [_resize(_to_uint8(img), lay.width, lay.height) for img, lay in zip(image, layouts)]
        extra = [{"nsfw": bool(nsfw[k]) if nsfw is not None else False} for k in range(n_img)]
        return out, extra

    # ------------------------------------------------------------------ inpainting

    def _background(self, scene: Scene) -> np.ndarray:
        h, w = scene.camera.height, scene.camera.width
        if self.background == "raster":
            return np.ascontiguousarray(self.raster.render(scene).rgb)
        return np.broadcast_to(display_rgb(scene.background.color), (h, w, 3)).copy()

    def _generate_inpaint(self, scenes: list[Scene], layouts: list[DiffusionLayout],
                          size: tuple[int, int]) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
        """Inpaint each Scene's boxes far to near; round r inpaints the r-th box of every Scene
        of the batch that has one, in one call. Outside the box, pixels are kept exactly."""
        import torch
        from PIL import Image

        pipe = self.pipe
        gw, gh = size
        canvases = [self._background(s) for s in scenes]
        prompts_used: list[dict[str, str]] = [{} for _ in scenes]
        nsfw_any = [False] * len(scenes)
        rounds = max((len(lay.order) for lay in layouts), default=0)
        for r in range(rounds):
            members = [k for k, lay in enumerate(layouts) if r < len(lay.order)]
            prompts, negatives, images, mask_images, generators, boxes = [], [], [], [], [], []
            for k in members:
                lay, oid = layouts[k], layouts[k].order[r]
                box = lay.boxes[oid]
                prompt = self.prompt_template.format(objects=lay.phrases[oid])
                prompts_used[k][str(oid)] = prompt
                prompts.append(prompt)
                negatives.append(lay.negative_prompt or "")
                images.append(Image.fromarray(_resize(canvases[k], gw, gh)))
                gbox = _scaled_box(box, (lay.width, lay.height), (gw, gh))
                mask_images.append(Image.fromarray(box_mask(gbox, gh, gw).astype(np.uint8) * 255))
                generators.append(torch.Generator("cpu").manual_seed(generation_seed(scenes[k].render_seed, r)))
                boxes.append(box)
            out = pipe(prompt=prompts, image=images, mask_image=mask_images, height=gh, width=gw, strength=1.0,
                       num_inference_steps=self.steps, guidance_scale=self.guidance,
                       negative_prompt=negatives if self.guidance > 1.0 else None, generator=generators,
                       output_type="np")
            flags = out.nsfw_content_detected
            for j, k in enumerate(members):
                lay = layouts[k]
                painted = _resize(_to_uint8(out.images[j]), lay.width, lay.height)
                x0, y0, x1, y1 = boxes[j]
                canvases[k][y0:y1, x0:x1] = painted[y0:y1, x0:x1]
                nsfw_any[k] |= bool(flags[j]) if flags is not None else False
        extra = [{"prompts": prompts_used[k], "nsfw": nsfw_any[k]} for k in range(len(scenes))]
        return canvases, extra

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Drop the model (frees GPU memory) and close the raster if this renderer made it."""
        if self._pipe is not None:
            self._pipe = None
            try:
                import torch

                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            except ImportError:  # pragma: no cover
                pass
        if self._owns_raster and self._raster is not None:
            self._raster.close()
            self._raster = None

    def __enter__(self) -> "DiffusionRenderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dtype_keyword() -> str:
    """``from_pretrained``'s dtype argument: ``dtype`` in diffusers versions that deprecate
    ``torch_dtype`` (those with ``_resolve_dtype``, e.g. 0.42), ``torch_dtype`` before."""
    from diffusers.utils import deprecation_utils

    return "dtype" if hasattr(deprecation_utils, "_resolve_dtype") else "torch_dtype"


def _enable_fuser(unet: Any, enabled: bool) -> None:
    """Switch GLIGEN's gated self-attention (the box grounding) on or off, as diffusers'
    ``StableDiffusionGLIGENPipeline.enable_fuser`` does."""
    from diffusers.models.attention import GatedSelfAttentionDense

    for module in unet.modules():
        if type(module) is GatedSelfAttentionDense:
            module.enabled = enabled
