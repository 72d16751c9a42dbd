"""``diffusion``: a diffusion model paints the sampled layout (renderers/visual/diffusion.py);
layouts are sized by the boxes of the objects' silhouettes, checked before generation."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Callable

import numpy as np

from renderers.visual.diffusion import DiffusionRenderer

from ..core.image import DiffusionOptions
from ..core.render import VisualRender
from ..core.scene import Scene
from .amodal import AmodalMemo
from .base import ImageRenderer
from .mesh import LayoutBackend, LayoutSampler


class DiffusionImageRenderer(ImageRenderer):
    def __init__(self, options: DiffusionOptions, library) -> None:
        settings = asdict(options)
        model = settings.pop("model")
        self.diffusion = DiffusionRenderer(model, mesh_loader=library.load_mesh, **settings)
        self._amodal = AmodalMemo(self.diffusion.render_amodal)  # box masks: the annotated extents

    def amodal(self, scene: Scene, object_ids: list[int]):
        return self._amodal(scene, object_ids)

    def preview(self, scene: Scene) -> VisualRender:
        """The layout (boxes, box-mask ids, constant depths), before paying for generation."""
        lay = self.diffusion.layout(scene)
        rgb = np.zeros((scene.camera.height, scene.camera.width, 3), np.uint8)
        return VisualRender(rgb=rgb, depth=lay.depth, instance_ids=lay.instance_ids)

    def render(self, scene: Scene, preview: VisualRender | None = None) -> VisualRender:
        """The generated image; none for an image a manipulation replaces (the layout's ids and depth)."""
        if scene.manipulations.image is not None:
            lay = preview if preview is not None else self.preview(scene)
            return VisualRender(rgb=lay.rgb, depth=lay.depth, instance_ids=lay.instance_ids)
        return self.diffusion.render(scene)

    def close(self) -> None:
        self.diffusion.close()


class DiffusionBackend(LayoutBackend):
    name = "diffusion"
    options_type = DiffusionOptions

    def options(self, resolved: dict[str, Any]) -> DiffusionOptions:
        return DiffusionOptions(**resolved["image"]["diffusion"])

    def check_spec(self, resolved, dists, library, error: Callable[[tuple, str], None]) -> None:
        super().check_spec(resolved, dists, library, error)
        if not resolved["image"]["diffusion"]["model"]:
            error(("image", "diffusion", "model"), "image.renderer is diffusion: give the model's folder or hub id")

    def open(self, options: DiffusionOptions, library) -> DiffusionImageRenderer:
        return DiffusionImageRenderer(options, library)

    def sampler(self, spec, library, renderer: ImageRenderer) -> LayoutSampler:
        return LayoutSampler(spec, library, renderer, self.options(spec.resolved))
