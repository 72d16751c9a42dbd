"""``diffusion``: a diffusion model paints the sampled layout (renderers/visual/diffusion.py);
layouts are sized by the boxes of the objects' silhouettes, checked before generation."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..core.image import DiffusionOptions
from ..core.render import VisualRender
from ..core.scene import Scene
from .amodal import AmodalMemo
from .base import ImageRenderer
from .mesh import LayoutBackend, LayoutSampler


def model_problem(model: str) -> str | None:
    """Why ``model`` cannot be loaded without a download, or None: a local folder must hold a
    diffusers pipeline (``model_index.json``); a hub id must be in the local Hugging Face cache
    (nothing is downloaded while a dataset is made)."""
    path = Path(model).expanduser()
    if path.exists() or model.startswith((".", "/", "~")) or model.count("/") != 1:
        if not path.is_dir():
            return f"no model folder at {model}"
        if not (path / "model_index.json").is_file():
            return f"{model} is not a diffusers pipeline folder (no model_index.json)"
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return "the diffusion backend needs the diffusion extra (pip install 'avsim[diffusion]')"
    if not isinstance(try_to_load_from_cache(model, "model_index.json"), str):
        return (f"{model!r} is not in the local Hugging Face cache; download it first (huggingface-cli download "
                f"{model}) or give a local folder")
    return None


class DiffusionImageRenderer(ImageRenderer):
    def __init__(self, options: DiffusionOptions, library) -> None:
        from renderers.visual.diffusion import DiffusionRenderer  # GL and trimesh load only to render

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
        model = resolved["image"]["diffusion"]["model"]
        problem = model_problem(model) if model else "image.renderer is diffusion: give the model's folder or hub id"
        if problem:
            error(("image", "diffusion", "model"), problem)

    def open(self, options: DiffusionOptions, library) -> DiffusionImageRenderer:
        return DiffusionImageRenderer(options, library)

    def sampler(self, spec, library, renderer: ImageRenderer) -> LayoutSampler:
        return LayoutSampler(spec, library, renderer, self.options(spec.resolved))
