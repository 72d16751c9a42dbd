"""Rendering a Scene into a finished Sample, from the Scene alone (the replay contract).

One :class:`SceneRenderer` per worker process holds what is expensive to build and reused for
every sample: the asset libraries the Scenes name, one image renderer per image-backend options,
one acoustic renderer per sample rate. :meth:`SceneRenderer.render` runs the rendering steps:

1. the image (the Scene's image backend; a preview made while sampling is reused);
2. the condition's image manipulation (uniform gray or Gaussian noise);
3. the annotation (:func:`simulator.annotate.annotate`, masks from the backend);
4. the audio (:func:`simulator.audio.render_audio`: mixture, stems, negatives, output level;
   along the trajectories when the Scene moves);
5. a clip's frames and per-frame labels (:func:`simulator.video.render_frames`), when the Scene
   has ``video``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from renderers.acoustic.heads import HEADS
from renderers.acoustic.occlusion import scene_occluders
from renderers.acoustic.room_kinds import ROOM_KINDS
from renderers.acoustic.room_renderer import make_acoustic_renderer
from renderers.visual.textures import KINDS

from .activity import check_activity, is_gated
from .annotate import annotate
from .assets.library import AssetLibrary
from .assets.user import open_library
from .audio import render_audio
from .conditions import RULES
from .conditions.offscreen import OFFSCREEN_REGIONS
from .core.image import ImageOptions
from .core.render import VisualRender
from .core.scene import LibraryRef, Scene
from .image_backends import IMAGE_BACKENDS, ImageRenderer
from .video import VideoFrames, render_frames


@dataclass
class Sample:
    """Everything written for one sample. Audio arrays are (channels, n) float32."""

    scene: Scene
    record: dict[str, Any]
    rgb: np.ndarray
    depth: np.ndarray
    instance_ids: np.ndarray
    audio: np.ndarray
    stems: list[np.ndarray]
    impulse_responses: list[np.ndarray]
    negatives: dict[str, np.ndarray]
    video: VideoFrames | None = None


def check_scene_names(scene: Scene) -> None:
    """The Scene's names that registries and tables define (condition, head model, room kind,
    background texture, off-screen region, a clip's event) are known, and each source's onset
    precedes its offset inside the clip; ValueError naming the field otherwise.
    (Types and ranges were checked when the Scene was read.)"""
    checks = [("condition", scene.condition, RULES.names()), ("listener.head", scene.listener.head, HEADS.names()),
              ("room.type", scene.room.type, ROOM_KINDS.names())]
    if scene.background.texture is not None:
        checks.append(("background.texture", scene.background.texture, KINDS))
    negatives = scene.manipulations.negatives
    if negatives is not None and negatives.offscreen is not None:
        checks.append(("manipulations.negatives.offscreen.region", negatives.offscreen.region, OFFSCREEN_REGIONS))
    for field, value, known in checks:
        if value not in known:
            raise ValueError(f"{field}: {value!r} is not one of {', '.join(known)}")
    ids = [o.id for o in scene.objects]
    if len(set(ids)) != len(ids):
        raise ValueError(f"objects: ids {ids} are not unique")
    for k, src in enumerate(scene.sources):
        if src.object_id is not None and src.object_id not in ids:
            raise ValueError(f"sources[{k}].object_id: no object {src.object_id}")
        if is_gated(src):
            check_activity(src, scene.audio.duration_s, f"sources[{k}]")
    event = scene.video.event if scene.video is not None else None
    if event is not None:
        if event.kind not in RULES.names() or not RULES.get(event.kind).temporal:
            raise ValueError(f"video.event.kind: {event.kind!r} is not a clip condition")
        if event.source_id not in {s.id for s in scene.sources}:
            raise ValueError(f"video.event.source_id: no source {event.source_id}")


def manipulate_image(scene: Scene, vis: VisualRender) -> VisualRender:
    """Uniform gray or Gaussian-noise images (audio_only): no object pixels remain. Noise is
    seeded by the Scene's render seed (stream 0)."""
    m = scene.manipulations.image
    if m is None:
        return vis
    h, w = scene.camera.height, scene.camera.width
    if m.kind == "gray":
        rgb = np.full((h, w, 3), m.gray_level, np.uint8)
    else:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(scene.render_seed, spawn_key=(0,))))
        rgb = np.clip(np.round(128.0 + m.noise_std * rng.standard_normal((h, w, 3))), 0, 255).astype(np.uint8)
    return VisualRender(rgb=rgb, depth=np.zeros((h, w), np.float32), instance_ids=np.zeros((h, w), np.int32))


class SceneRenderer:
    """One worker's renderers (see the module docstring)."""

    def __init__(self) -> None:
        self._libraries: dict[tuple[str, str], AssetLibrary] = {}
        self._images: dict[str, tuple[ImageOptions, ImageRenderer]] = {}
        self._acoustic: dict[int, Any] = {}
        self._hull_points: dict[str, np.ndarray] = {}
        #: Seconds spent so far in :meth:`render`'s steps: ``image`` (the image and its
        #: manipulation), ``annotation`` (masks and the record), ``acoustics`` (the audio).
        self.stage_s: dict[str, float] = {"image": 0.0, "annotation": 0.0, "acoustics": 0.0}

    # -- what the Scenes name ------------------------------------------------------------------
    def add_library(self, ref: LibraryRef, library: AssetLibrary) -> None:
        """Use ``library`` for Scenes that name ``ref`` (e.g. the one a spec was validated against)."""
        self._libraries[(ref.sounds, ref.meshes)] = library

    def library(self, ref: LibraryRef) -> AssetLibrary:
        """The library a Scene's asset keys resolve in (opened once per worker)."""
        key = (ref.sounds, ref.meshes)
        if key not in self._libraries:
            self._libraries[key] = open_library(ref.sounds, ref.meshes)
        return self._libraries[key]

    def image(self, options: ImageOptions, library: AssetLibrary) -> ImageRenderer:
        """The image renderer of these options (one kept per backend; other options replace it)."""
        held = self._images.get(options.name)
        if held is not None and held[0] == options:
            return held[1]
        if held is not None:
            held[1].close()
        renderer = IMAGE_BACKENDS.get(options.name).open(options, library)
        self._images[options.name] = (options, renderer)
        return renderer

    def acoustic(self, sample_rate: int):
        if sample_rate not in self._acoustic:
            self._acoustic[sample_rate] = make_acoustic_renderer(sample_rate)
        return self._acoustic[sample_rate]

    def close(self) -> None:
        for _, renderer in self._images.values():
            renderer.close()
        self._images.clear()

    # -- rendering -----------------------------------------------------------------------------
    def render(self, scene: Scene, preview: VisualRender | None = None) -> Sample:
        t0 = time.perf_counter()
        check_scene_names(scene)
        library = self.library(scene.library)
        image = self.image(scene.image, library)
        vis = manipulate_image(scene, image.render(scene, preview))
        t1 = time.perf_counter()
        masks = vis.annotation_masks
        if masks is None:
            masks = image.amodal(scene, [o.id for o in scene.objects])  # silhouettes, or box masks (diffusion)
        record = annotate(scene, vis.instance_ids, masks)
        record.update(vis.extras)
        for src in record["sources"]:   # an imported clip names its collection, file, segment, licence
            info = library.clip_info(src["clip"])
            if info is not None:
                src["clip_source"] = info
        for obj in record["objects"]:   # an imported mesh names its collection, file, licence, label
            info = library.mesh_info(obj["mesh"]) if obj.get("mesh") is not None else None
            if info is not None:
                obj["mesh_source"] = info
        t2 = time.perf_counter()
        audio = render_audio(scene, self.acoustic(scene.audio.sample_rate), library.clip,
                             lambda s: self._occluders(s, image, library))
        t3 = time.perf_counter()
        for stage, seconds in (("image", t1 - t0), ("annotation", t2 - t1), ("acoustics", t3 - t2)):
            self.stage_s[stage] += seconds
        record["audio"] = audio.record
        if audio.negatives_record is not None:
            record["negatives"] = audio.negatives_record
        clip = None
        if scene.video is not None:  # the frames of the clip (frame 0 is the still above)
            t4 = time.perf_counter()
            clip = render_frames(scene, vis, lambda still: manipulate_image(still, image.render(still)),
                                 sorted(library.categories))
            record["video"] = clip.labels
            self.stage_s["video"] = self.stage_s.get("video", 0.0) + time.perf_counter() - t4
        return Sample(scene, record, vis.rgb, vis.depth, vis.instance_ids, audio.mixture, audio.stems,
                      audio.impulse_responses, audio.negatives, clip)

    def _occluders(self, scene: Scene, image: ImageRenderer, library: AssetLibrary) -> list:
        """The objects' hulls that may block direct sound (``room.occlusion``; none when the
        objects have no meshes)."""
        if not scene.room.occlusion or not image.has_meshes:
            return []

        def hull_points(key: str) -> np.ndarray:
            pts = self._hull_points.get(key)
            if pts is None:
                mesh = library.load_mesh(key)
                try:
                    pts = np.asarray(mesh.convex_hull.vertices, float)
                except Exception:  # a flat or degenerate mesh: its vertices (it cannot occlude)
                    pts = np.asarray(mesh.vertices, float)
                self._hull_points[key] = pts
            return pts

        return scene_occluders(scene.objects, hull_points)


__all__ = ["Sample", "SceneRenderer", "manipulate_image"]
