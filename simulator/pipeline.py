"""One worker's sample factory: sample a Scene, render it, check it, annotate it.

A ``SampleMaker`` holds one asset library, one visual and one acoustic renderer, reused for every
sample the worker makes (DESIGN.md's performance budget). ``make(index)`` returns a finished
:class:`Sample`; ``render_scene(scene)`` re-renders a stored Scene (replay).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import distance_transform_edt

from .core import camera as cam
from .annotate import annotate, annotate_source
from .core.size_bins import size_bin_of
from .assets.library import AssetLibrary, loop_excerpt
from .plan import Plan
from .sampler import PlacementError, Sampler
from .core.render import VisualRender
from .core.scene import Scene, source_from_dict
from .spec.spec import Spec

MAX_ATTEMPTS = 12


class SampleFailed(RuntimeError):
    pass


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


class SampleMaker:
    def __init__(self, spec: Spec, library: AssetLibrary | None = None):
        from renderers.acoustic.room_renderer import make_acoustic_renderer

        self.spec = spec
        self.library = library or spec.library or AssetLibrary.default()
        self.photos = spec.resolved["image"]["renderer"] == "photos"
        if self.photos:
            from .photos.sampler import build_photo_backend

            self.sampler, self.visual = build_photo_backend(spec, self.library)
            self.plan = Plan(spec, self.library, category_pool=self.sampler.category_pool)
        else:
            self.sampler = Sampler(spec, self.library)
            self.plan = Plan(spec, self.library)
            self.visual = self._visual_renderer(spec.resolved["image"])
        self.diffusion = spec.resolved["image"]["renderer"] == "diffusion"
        self.acoustic = make_acoustic_renderer(spec.resolved["audio"]["sample_rate"])
        self.level_db = float(spec.resolved["audio"]["level_db"])
        self.max_occlusion = float(spec.resolved["objects"]["max_occlusion"])
        self._amodal_memo: dict[int, tuple[tuple, np.ndarray]] = {}
        self._hull_points: dict[str, np.ndarray] = {}  # mesh key -> its convex hull's vertices (own frame)

    def _occluders(self, scene: Scene) -> list:
        """The objects' hulls that may block direct sound (``room.occlusion``; photos have no meshes)."""
        if not scene.room.occlusion or (scene.image_source or {}).get("type") == "photo":
            return []
        from renderers.acoustic.occlusion import scene_occluders

        def hull_points(key: str) -> np.ndarray:
            pts = self._hull_points.get(key)
            if pts is None:
                mesh = self.library.load_mesh(key)
                try:
                    pts = np.asarray(mesh.convex_hull.vertices, float)
                except Exception:  # a flat or degenerate mesh: its vertices (it cannot occlude)
                    pts = np.asarray(mesh.vertices, float)
                self._hull_points[key] = pts
            return pts

        return scene_occluders(scene.objects, hull_points)

    def _visual_renderer(self, image: dict[str, Any]):
        """The mesh raster, or the diffusion backend (which sizes objects by their boxes: its
        ``render_amodal`` gives box masks, so the sampler fits the annotated mask's area)."""
        from renderers.visual.mesh_raster import MeshRasterRenderer

        if image["renderer"] != "diffusion":
            return MeshRasterRenderer(self.library.load_mesh, antialias=image["antialias"])
        from renderers.visual.diffusion import DiffusionRenderer

        d = image["diffusion"]
        return DiffusionRenderer(d["model"], mode=d["mode"], device=d["device"], dtype=d["dtype"], steps=d["steps"],
                                 guidance=d["guidance"], batch_size=d["batch_size"], resolution=d["resolution"],
                                 mesh_loader=self.library.load_mesh, phrase_template=d["phrase_template"],
                                 prompt_template=d["prompt_template"], negative_prompt=d["negative_prompt"],
                                 gligen_beta=d["gligen_beta"], background=d["background"])

    def close(self) -> None:
        self.visual.close()

    # -- sampling -----------------------------------------------------------------------------
    def make(self, index: int) -> Sample:
        entry = self.plan.entry(index)
        if self.photos:
            return self._make_photo(entry)
        problems = []
        for attempt in range(MAX_ATTEMPTS):
            try:  # a layout that cannot be realised (no room behind the head, ...) is redrawn
                draft = self.sampler.draft(entry, attempt)
                scene = self.sampler.place(draft, self._silhouette_area)
            except PlacementError as exc:
                problems.append(str(exc))
                continue
            # Diffusion: check the layout (boxes, box masks, depths) before paying for generation.
            vis = self.visual.layout(scene) if self.diffusion else self.visual.render(scene)
            problem = self._settle_sources(scene, vis, draft.sized_object)
            if problem is None:
                if self.diffusion:
                    vis = self._generate(scene, vis)
                return self._finish(scene, vis)
            problems.append(problem)
        raise SampleFailed(f"sample {index}: no valid layout in {MAX_ATTEMPTS} attempts ({'; '.join(problems[-3:])})")

    def _generate(self, scene: Scene, layout):
        """The diffusion image of a settled layout; none for images replaced by a manipulation."""
        from renderers.visual.diffusion import DiffusionRender

        if scene.manipulations.get("image"):
            h, w = scene.camera.height, scene.camera.width
            return DiffusionRender(rgb=np.zeros((h, w, 3), np.uint8), depth=layout.depth,
                                   instance_ids=layout.instance_ids)
        return self.visual.render(scene)

    def _make_photo(self, entry) -> Sample:
        """A photo draft is final (objects, masks and source pixels come from the photo's
        annotations, simulator/photos); an attempt is redrawn only when a drawn room cannot hold
        the sounding object's source."""
        from .photos.sampler import PhotoSelectionError

        problems = []
        for attempt in range(MAX_ATTEMPTS):
            try:
                scene = self.sampler.draft(entry, attempt)
            except PlacementError as exc:
                problems.append(str(exc))
                continue
            except PhotoSelectionError as exc:
                raise SampleFailed(f"sample {entry.index}: {exc}") from None
            return self._finish(scene, self.visual.render(scene))
        raise SampleFailed(f"sample {entry.index}: no valid photo scene in {MAX_ATTEMPTS} attempts "
                           f"({'; '.join(problems[-3:])})")

    def _silhouette_area(self, scene: Scene, object_id: int) -> float:
        mask = self._amodal(scene, [object_id])[object_id]
        return float(mask.mean())

    def _amodal(self, scene: Scene, object_ids: list[int]) -> dict[int, np.ndarray]:
        """Unoccluded silhouettes, remembering the last one of each object at its pose (the
        target's is measured while fitting its depth and reused afterwards)."""
        out, todo = {}, []
        for oid in object_ids:
            obj = scene.object_by_id(oid)
            key = (scene.index, oid, obj.mesh, obj.position_m, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale,
                   scene.camera.hfov_deg)
            hit = self._amodal_memo.get(oid)
            if hit is not None and hit[0] == key:
                out[oid] = hit[1]
            else:
                todo.append((oid, key))
        if todo:
            fresh = self.visual.render_amodal(scene, [oid for oid, _ in todo])
            for oid, key in todo:
                self._amodal_memo[oid] = (key, fresh[oid])
                out[oid] = fresh[oid]
        return out

    def _settle_sources(self, scene: Scene, vis, sized_object: int | None) -> str | None:
        """Check the sized object's bin and occlusion and that semantic targets are visible, and
        put each object-attached source on a pixel of its object's visible mask. Returns a
        problem description or None."""
        if sized_object is not None:
            visible = vis.instance_ids == sized_object
            area = float(visible.mean())
            if size_bin_of(area) != scene.size_bin:
                return f"sized object's area {area:.4f} is not in {scene.size_bin}"
            amodal = float(self._amodal(scene, [sized_object])[sized_object].mean())
            if amodal > 0 and 1.0 - area / amodal > self.max_occlusion + 1e-9:
                return f"sized object {100 * (1 - area / amodal):.0f}% occluded"
        for oid in scene.targets.semantic:
            if not (vis.instance_ids == oid).any():
                return f"semantic target {oid} is not visible"
        for src in scene.sources:
            if src.object_id is None:
                continue
            obj = scene.object_by_id(src.object_id)
            visible = vis.instance_ids == obj.id
            if not visible.any():
                return f"sounding object {obj.id} is not visible"
            u, v, depth = cam.pinhole(scene.camera).project(np.asarray(obj.position_m))
            col, row = int(np.floor(u)), int(np.floor(v))
            inside = depth > 0 and 0 <= row < visible.shape[0] and 0 <= col < visible.shape[1] and visible[row, col]
            if inside and scene.camera.projection == "pinhole":
                src.position_m = obj.position_m
                continue
            if not inside:
                # The centre's pixel is not on the object (concave shape, border): use the
                # visible pixel farthest from the mask's edge.
                dist = distance_transform_edt(np.pad(visible, 1))[1:-1, 1:-1]
                row, col = np.unravel_index(int(np.argmax(dist)), dist.shape)
                u, v = col + 0.5, row + 0.5
            src.position_m = cam.source_at_pixel(scene.camera, float(u), float(v), float(vis.depth[row, col]))
        return None

    # -- rendering ----------------------------------------------------------------------------
    def render_scene(self, scene: Scene) -> Sample:
        """Render a stored Scene as it is (replay)."""
        if self.diffusion:
            return self._finish(scene, self._generate(scene, self.visual.layout(scene)))
        return self._finish(scene, self.visual.render(scene))

    def _finish(self, scene: Scene, vis) -> Sample:
        vis = self._manipulate_image(scene, vis)
        amodal = vis.annotation_masks
        if amodal is None:
            amodal = self._amodal(scene, [o.id for o in scene.objects])  # silhouettes, or box masks (diffusion)
        record = annotate(scene, vis.instance_ids, amodal)
        record.update(vis.extras)
        sr, n = scene.audio.sample_rate, int(round(scene.audio.duration_s * scene.audio.sample_rate))
        channels = 1 if scene.listener.head == "mono" else 2
        kind = scene.manipulations.get("audio")
        if kind is None:
            audio = self.acoustic.render(scene, self._clips(scene.sources, sr, n), self._occluders(scene))
            mixture, stems, irs = audio.mixture, audio.stems, audio.impulse_responses
        else:
            mixture, stems, irs = self._negative_audio(scene, kind, channels, n, stream=1), [], []
        gain = self._output_gain(mixture)
        record["audio"] = {"sample_rate": sr, "duration_s": scene.audio.duration_s, "channels": channels,
                           "head": scene.listener.head, "content": kind or "rendered",
                           "output_gain_db": float(20.0 * np.log10(gain))}
        if scene.room.occlusion and kind is None:
            record["audio"]["occlusion"] = audio.occlusion  # one entry per source whose direct path is blocked
        negatives: dict[str, np.ndarray] = {}
        neg_spec = scene.manipulations.get("negatives")
        if neg_spec:
            record["negatives"] = []
            for k, name in enumerate(("silence", "noise", "offscreen")):
                if not neg_spec.get(name):
                    continue
                if name == "offscreen":
                    src = source_from_dict(neg_spec["offscreen"]["source"])
                    alone = dataclasses.replace(scene, sources=[src])
                    signal = self.acoustic.render(alone, self._clips([src], sr, n), self._occluders(alone)).mixture
                    info = {"kind": name, "region": neg_spec["offscreen"]["region"],
                            "source": annotate_source(scene.camera, src)}
                else:
                    signal = self._negative_audio(scene, name, channels, n, stream=2 + k)
                    info = {"kind": name}
                g = self._output_gain(signal)
                negatives[name] = signal * np.float32(g)
                record["negatives"].append({**info, "output_gain_db": float(20.0 * np.log10(g))})
        g = np.float32(gain)
        return Sample(scene, record, vis.rgb, vis.depth, vis.instance_ids, mixture * g, [x * g for x in stems], irs,
                      negatives)

    def _clips(self, sources, sample_rate: int, n: int) -> list[np.ndarray]:
        return [loop_excerpt(self.library.clip(s.clip, sample_rate), int(round(s.clip_offset_s * sample_rate)), n)
                for s in sources]

    def _output_gain(self, audio: np.ndarray) -> float:
        """audio.level_db, lowered further only if the signal would clip."""
        gain = 10.0 ** (self.level_db / 20.0)
        peak = float(np.max(np.abs(audio))) * gain if audio.size else 0.0
        return gain * (0.999 / peak if peak > 0.999 else 1.0)

    def _negative_audio(self, scene: Scene, kind: str, channels: int, n: int, stream: int) -> np.ndarray:
        """Silence, or white Gaussian noise at audio.noise_rms_db (independent per channel),
        seeded by the Scene's render_seed and ``stream``."""
        if kind == "silence":
            return np.zeros((channels, n), np.float32)
        rms = 10.0 ** (self.spec.resolved["audio"]["noise_rms_db"] / 20.0)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(scene.render_seed, spawn_key=(stream,))))
        return (rms * rng.standard_normal((channels, n))).astype(np.float32)

    def _manipulate_image(self, scene: Scene, vis):
        """Uniform gray or Gaussian-noise images (audio_only): no object pixels remain."""
        kind = scene.manipulations.get("image")
        if kind is None:
            return vis
        h, w = scene.camera.height, scene.camera.width
        img = self.spec.resolved["image"]
        if kind == "gray":
            rgb = np.full((h, w, 3), img["gray_level"], np.uint8)
        else:
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(scene.render_seed, spawn_key=(0,))))
            rgb = np.clip(np.round(128.0 + img["noise_std"] * rng.standard_normal((h, w, 3))), 0, 255).astype(np.uint8)
        return VisualRender(rgb=rgb, depth=np.zeros((h, w), np.float32), instance_ids=np.zeros((h, w), np.int32))
