"""``mesh``: the pyrender raster of the objects' meshes (renderers/visual/mesh_raster.py), with
layouts sized by silhouettes (simulator/sampler.py)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..conditions.base import ClipContext
from ..core.image import MeshOptions
from ..core.render import VisualRender
from ..core.scene import Scene
from ..feasibility import feasibility_problems
from ..sampler import Sampler
from .amodal import AmodalMemo
from .base import ImageBackend, ImageRenderer, SceneSampler


class MeshImageRenderer(ImageRenderer):
    def __init__(self, options: MeshOptions, library) -> None:
        from renderers.visual.mesh_raster import MeshRasterRenderer  # GL and trimesh load only to render

        self.raster = MeshRasterRenderer(library.load_mesh, antialias=options.antialias)
        self._amodal = AmodalMemo(self.raster.render_amodal)

    def amodal(self, scene: Scene, object_ids: list[int]):
        return self._amodal(scene, object_ids)

    def instance_ids(self, scene: Scene):
        return self.raster.render_ids(scene)

    def render(self, scene: Scene, preview: VisualRender | None = None) -> VisualRender:
        return preview if preview is not None else self.raster.render(scene)

    def close(self) -> None:
        self.raster.close()


#: The extra spawn-key element of a clip's stream (temporal conditions' draws).
CLIP_STREAM = 0xC11B


class LayoutSampler(SceneSampler):
    """Draws a layout (:class:`simulator.sampler.Sampler`), fits every object's depth to its
    intended mask area (measured with the renderer's unoccluded masks) and applies the occlusion
    rule to all objects alike on the renderer's instance ids."""

    def __init__(self, spec, library, renderer: ImageRenderer, options) -> None:
        self.sampler = Sampler(spec, library, options)
        self.renderer = renderer

    def _areas(self, scene: Scene, ids: list[int]) -> dict[int, float]:
        return {oid: float(mask.mean()) for oid, mask in self.renderer.amodal(scene, ids).items()}

    def clip_context(self, scene: Scene) -> ClipContext:
        """The :class:`ClipContext` a temporal condition arranges ``scene`` with: the clip stream
        ``SeedSequence(spec_seed, spawn_key=(index, attempt, CLIP_STREAM))``, the condition's
        options, the room's containment test and the objects' posed vertices."""
        spec_seed, index, attempt = scene.seed
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec_seed,
                                                                         spawn_key=(index, attempt, CLIP_STREAM))))
        return ClipContext(rng=rng, option=lambda key: self.sampler._option(scene.condition, key, rng),
                           duration_s=float(scene.video.duration_s), fps=float(scene.video.fps),
                           inside=self.sampler._inside_room_fn(scene.room),
                           object_points=lambda oid: self.sampler._posed_vertices(scene.object_by_id(oid)),
                           margin=float(self.sampler.spec.resolved["target"]["margin"]))

    def scene(self, entry, attempt: int) -> tuple[Scene, int | None]:
        draft = self.sampler.draft(entry, attempt)
        scene = self.sampler.layout(draft, self._areas, self.renderer.instance_ids, self.renderer.amodal)
        return scene, draft.sized_object


class LayoutBackend(ImageBackend):
    """Backends whose Scenes are layouts of the library's meshes at real size: a spec is valid when
    real sizes let every (condition, size bin) be planned (:func:`simulator.feasibility.feasibility_problems`)."""

    def check_spec(self, resolved, dists, library, error: Callable[[tuple, str], None]) -> None:
        if library is None or resolved["objects"]["categories"] is None:
            return
        for path, message in feasibility_problems(resolved, dists, library):
            error(path, message)


class MeshBackend(LayoutBackend):
    name = "mesh"
    options_type = MeshOptions

    def options(self, resolved: dict[str, Any]) -> MeshOptions:
        return MeshOptions(antialias=resolved["image"]["antialias"])

    def open(self, options: MeshOptions, library) -> MeshImageRenderer:
        return MeshImageRenderer(options, library)

    def sampler(self, spec, library, renderer: ImageRenderer) -> LayoutSampler:
        return LayoutSampler(spec, library, renderer, self.options(spec.resolved))
