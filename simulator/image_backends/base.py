"""What an image backend is: where a sample's image, instance ids and depth come from.

A backend has two halves:

* the *sampling* half, for a spec: :meth:`ImageBackend.options` (the settings every Scene of the
  dataset stores in ``Scene.image``), :meth:`ImageBackend.check_spec` (validation before anything
  is written), :meth:`ImageBackend.sampler` (the :class:`SceneSampler` that draws a sample's Scene)
  and the plan's category pool;
* the *rendering* half, for a Scene alone: :meth:`ImageBackend.open` builds the
  :class:`ImageRenderer` of a Scene's options (one per worker, reused), whose ``preview`` is what
  the sampler checks a layout on and whose ``render`` is the final image.

Adding a backend: a module with an :class:`ImageBackend` subclass (and, if it has settings, an
:class:`~simulator.core.image.ImageOptions` dataclass) and one ``register_backend(instance)``
line; the spec's ``image.renderer`` then accepts its name (simulator/image_backends/__init__.py
registers ``mesh``, ``diffusion`` and ``photos``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.image import ImageOptions
from ..core.render import VisualRender
from ..core.scene import Scene


class NoSample(RuntimeError):
    """No Scene of this backend can serve a plan entry (the sample is given up, not redrawn)."""


class ImageRenderer:
    """One worker's image renderer for one backend's options (see the module docstring).

    ``has_meshes``: its objects are the library's meshes (their hulls can block direct sound,
    ``room.occlusion``)."""

    has_meshes: bool = True

    def preview(self, scene: Scene) -> VisualRender:
        """What the sampler checks a drawn Scene on (instance ids and depth; the rgb may be a
        placeholder): by default the final render."""
        return self.render(scene)

    def render(self, scene: Scene, preview: VisualRender | None = None) -> VisualRender:
        """The Scene's final image; ``preview`` is this Scene's :meth:`preview` if one was made."""
        raise NotImplementedError

    def instance_ids(self, scene: Scene) -> np.ndarray:
        """The (H, W) instance-id image the sampler checks visibility on: by default the preview's."""
        return self.preview(scene).instance_ids

    def amodal(self, scene: Scene, object_ids: list[int]) -> dict[int, np.ndarray]:
        """Unoccluded (H, W) boolean masks of the given objects, as the annotation measures them."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the renderer holds (GL contexts, models)."""


class SceneSampler:
    """Draws the Scene of a plan entry. ``settles_sources``: the factory checks the drawn layout
    on the preview and puts object sources on their visible pixels (mesh layouts); False when the
    Scene is final as drawn (photos). ``failure``: what a sample that fails every attempt lacks."""

    settles_sources: bool = True
    failure: str = "valid layout"

    def scene(self, entry, attempt: int) -> tuple[Scene, int | None]:
        """(Scene, id of the object whose mask area is controlled or None). Raises
        :class:`simulator.sampler.PlacementError` to have the attempt redrawn, or
        :class:`NoSample` to give the sample up."""
        raise NotImplementedError

    def clip_context(self, scene: Scene):
        """The ClipContext (simulator/conditions/base.py) a temporal condition arranges ``scene``
        with; only samplers of clip-capable backends have one."""
        raise NotImplementedError(f"{type(self).__name__} makes no clips")


class ImageBackend:
    """Base class of image backends (see the module docstring)."""

    name: str = ""
    options_type: type[ImageOptions] = ImageOptions
    #: The asset kinds its Scenes draw, which ``library.split`` deals out (simulator/assets/split.py).
    asset_kinds: tuple[str, ...] = ("sounds", "meshes")

    def options(self, resolved: dict[str, Any]) -> ImageOptions:
        """The options every Scene of a spec stores (from the resolved spec)."""
        return self.options_type()

    def check_spec(self, resolved: dict[str, Any], dists: dict[str, Any], library,
                   error: Callable[[tuple, str], None]) -> None:
        """Report problems of the spec (``error(key path, message)``) before anything is written."""

    def open(self, options: ImageOptions, library) -> ImageRenderer:
        """The renderer of Scenes with these options (``library``: where mesh keys resolve)."""
        raise NotImplementedError

    def sampler(self, spec, library, renderer: ImageRenderer) -> SceneSampler:
        """The sampler of a spec's Scenes (it may measure silhouettes with ``renderer``)."""
        raise NotImplementedError

    def plan_pool(self, spec, library) -> Callable[[str, str, Any], list[str]] | None:
        """``(condition, size_bin, categories) -> planned categories`` when the backend decides
        which categories can be planned (None: real sizes decide, simulator.feasibility)."""
        return None

    def categories(self, spec, library) -> list[str]:
        """Every category its images may annotate (the COCO export's category list)."""
        return list(library.categories)

    def plan_lines(self, spec) -> list[str]:
        """Extra lines for ``--dry-run`` (the dataset's size is measured on samples made in
        memory, :mod:`simulator.dry_run`)."""
        return []
