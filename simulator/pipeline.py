"""One worker's sample factory: plan entry -> Scene -> Sample, in a handful of steps.

:meth:`SampleMaker.make` for sample ``index``:

1. **sample**: the image backend's scene sampler draws the Scene of the plan entry (a layout sized
   by silhouettes, or a photo) from the sample's generator;
2. **preview**: the image backend renders what the layout is checked on (the full raster, or a
   diffusion layout before paying for generation);
3. **settle sources**: the sized object's bin and occlusion are checked and each object source
   is put on a visible pixel of its object (:func:`simulator.settle.settle_sources`); a failed
   check redraws the sample (attempt + 1, up to :data:`MAX_ATTEMPTS`); then each source's onset
   and offset are drawn (:func:`simulator.activity.draw_activity`), a temporal condition
   arranges the clip's time course (``ConditionRule.arrange``; it may also redraw), and gated
   sources' clip offsets are moved onto sound (:func:`simulator.activity.fit_excerpts`);
4. **render**: :class:`simulator.scene_renderer.SceneRenderer` makes the final image, the
   annotation and the audio from the Scene alone (as replay does).

A ``SampleMaker`` holds one asset library, one scene sampler and one :class:`SceneRenderer`,
reused for every sample the worker makes (no per-sample set-up).
"""
from __future__ import annotations

import dataclasses

from .activity import draw_activity, fit_excerpts
from .assets.library import AssetLibrary
from .assets.split import split_library
from .conditions import get_rule
from .core.render import VisualRender
from .core.scene import Scene
from .image_backends import IMAGE_BACKENDS, NoSample
from .plan import Plan
from .sampler import PlacementError
from .scene_renderer import Sample, SceneRenderer
from .scene_settings import asset_split, library_ref, video as video_settings
from .settle import settle_sources
from .spec.spec import Spec

MAX_ATTEMPTS = 24


class SampleFailed(RuntimeError):
    """No valid Scene for a sample (listed in dataset.json ``failed``; the run goes on)."""


class SampleMaker:
    def __init__(self, spec: Spec, library: AssetLibrary | None = None, renderer: SceneRenderer | None = None):
        self.spec = spec
        self.backend = IMAGE_BACKENDS.get(spec.resolved["image"]["renderer"])
        self.library = library or spec.library or AssetLibrary.default()
        split = asset_split(spec.resolved)
        if split is not None:  # the split's share (spec.library already is one; a library passed in is dealt)
            self.library = split_library(self.library, split, spec.resolved["objects"]["categories"] or
                                         self.library.categories, self.backend.asset_kinds)
        self.renderer = renderer or SceneRenderer()
        self.renderer.add_library(library_ref(spec.resolved), self.library)
        self.image = self.renderer.image(self.backend.options(spec.resolved), self.library)
        self.sampler = self.backend.sampler(spec, self.library, self.image)
        self.plan = Plan(spec, self.library, category_pool=self.backend.plan_pool(spec, self.library))
        self.max_occlusion = float(spec.resolved["objects"]["max_occlusion"])
        self.video = video_settings(spec.resolved)

    def close(self) -> None:
        self.renderer.close()

    def make(self, index: int) -> Sample:
        """Sample ``index`` of the plan (see the module docstring); SampleFailed if no attempt works."""
        scene, preview = self.layout(index)
        return self.renderer.render(scene, preview)

    def layout(self, index: int) -> tuple[Scene, VisualRender]:
        """Steps 1-3 for sample ``index``: its settled Scene and the preview it was checked on."""
        entry = self.plan.entry(index)
        problems = []
        for attempt in range(MAX_ATTEMPTS):
            try:
                scene, sized = self._sample(entry, attempt)
                scene.video = None if self.video is None else dataclasses.replace(self.video)  # its own (event)
                preview = self.image.preview(scene)
                if self.sampler.settles_sources:
                    settle_sources(scene, preview, sized, self.image.amodal, self.max_occlusion)
                draw_activity(scene, self.spec)
                rule = get_rule(scene.condition)
                if rule.temporal:
                    rule.arrange(scene, self.sampler.clip_context(scene))
                fit_excerpts(scene, self.library)
            except PlacementError as exc:  # a layout that cannot be realised is redrawn
                problems.append(str(exc))
                continue
            return scene, preview
        raise SampleFailed(f"sample {index}: no {self.sampler.failure} in {MAX_ATTEMPTS} attempts "
                           f"({'; '.join(problems[-3:])})")

    def _sample(self, entry, attempt: int) -> tuple[Scene, int | None]:
        try:
            return self.sampler.scene(entry, attempt)
        except NoSample as exc:
            raise SampleFailed(f"sample {entry.index}: {exc}") from None

    def render_scene(self, scene: Scene) -> Sample:
        """Render a stored Scene as it is (replay)."""
        return self.renderer.render(scene)
