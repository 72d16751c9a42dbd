"""One worker's sample factory: sample a Scene, render it, check it, annotate it.

A ``SampleMaker`` holds one asset library, one visual and one acoustic renderer, reused for every
sample the worker makes (DESIGN.md's performance budget). ``make(index)`` returns a finished
:class:`Sample`; ``render_scene(scene)`` re-renders a stored Scene (replay).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import distance_transform_edt

from . import camera as cam
from .annotate import annotate, size_bin_of
from .assets.library import AssetLibrary, loop_excerpt
from .plan import Plan
from .sampler import PlacementError, Sampler
from .scene import Scene
from .spec.loader import Spec

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


class SampleMaker:
    def __init__(self, spec: Spec, library: AssetLibrary | None = None):
        from renderers.acoustic.free_field import FreeFieldRenderer
        from renderers.visual.mesh_raster import MeshRasterRenderer

        self.spec = spec
        self.library = library or AssetLibrary.default()
        self.sampler = Sampler(spec, self.library)
        self.plan = Plan(spec, self.library)
        self.visual = MeshRasterRenderer(self.library.load_mesh)
        self.acoustic = FreeFieldRenderer(spec.resolved["audio"]["sample_rate"])
        self.level_db = float(spec.resolved["audio"]["level_db"])
        self.max_occlusion = float(spec.resolved["objects"]["max_occlusion"])
        self._amodal_memo: dict[int, tuple[tuple, np.ndarray]] = {}

    def close(self) -> None:
        self.visual.close()

    # -- sampling -----------------------------------------------------------------------------
    def make(self, index: int) -> Sample:
        entry = self.plan.entry(index)
        problems = []
        for attempt in range(MAX_ATTEMPTS):
            draft = self.sampler.draft(entry, attempt)
            try:
                scene = self.sampler.place(draft, self._silhouette_area)
            except PlacementError as exc:
                problems.append(str(exc))
                continue
            vis = self.visual.render(scene)
            problem = self._settle_sources(scene, vis, draft.target_object)
            if problem is None:
                return self._finish(scene, vis)
            problems.append(problem)
        raise SampleFailed(f"sample {index}: no valid layout in {MAX_ATTEMPTS} attempts ({'; '.join(problems[-3:])})")

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

    def _settle_sources(self, scene: Scene, vis, target_object: int | None) -> str | None:
        """Check the target's size bin and occlusion, and put each object-attached source on a
        pixel of its object's visible mask. Returns a problem description or None."""
        if target_object is not None:
            visible = vis.instance_ids == target_object
            area = float(visible.mean())
            if size_bin_of(area) != scene.size_bin:
                return f"target area {area:.4f} is not in {scene.size_bin}"
            amodal = float(self._amodal(scene, [target_object])[target_object].mean())
            if amodal > 0 and 1.0 - area / amodal > self.max_occlusion + 1e-9:
                return f"target {100 * (1 - area / amodal):.0f}% occluded"
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
        return self._finish(scene, self.visual.render(scene))

    def _finish(self, scene: Scene, vis) -> Sample:
        amodal = self._amodal(scene, [o.id for o in scene.objects])
        record = annotate(scene, vis.instance_ids, amodal)
        n = int(round(scene.audio.duration_s * scene.audio.sample_rate))
        clips = [loop_excerpt(self.library.clip(s.clip, scene.audio.sample_rate),
                              int(round(s.clip_offset_s * scene.audio.sample_rate)), n) for s in scene.sources]
        audio = self.acoustic.render(scene, clips)
        gain = 10.0 ** (self.level_db / 20.0)
        peak = float(np.max(np.abs(audio.mixture))) * gain if audio.mixture.size else 0.0
        if peak > 0.999:
            gain *= 0.999 / peak
        record["audio"] = {"sample_rate": scene.audio.sample_rate, "duration_s": scene.audio.duration_s,
                           "channels": int(audio.mixture.shape[0]), "head": scene.listener.head,
                           "output_gain_db": float(20.0 * np.log10(gain))}
        g = np.float32(gain)
        return Sample(scene, record, vis.rgb, vis.depth, vis.instance_ids, audio.mixture * g,
                      [s * g for s in audio.stems], audio.impulse_responses)
