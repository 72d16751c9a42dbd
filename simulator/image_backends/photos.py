"""``photos``: real photos of a COCO-format collection (simulator/photos, docs/photos.md): the photo
is the image, its masks the objects, its depth map the depth; a drawn Scene is final."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from renderers.visual.photo import PhotoRenderer

from ..core.image import PhotoOptions
from ..core.render import VisualRender
from ..core.scene import Scene
from ..photos.depth import DepthProvider
from ..photos.index import PhotoIndexError
from ..assets.split import SplitError
from ..photos.sampler import (PhotoConfig, PhotoSampler, PhotoSelectionError, category_pool_for_spec,
                              check_photo_spec, photo_categories, split_index)
from .amodal import AmodalMemo
from .base import ImageBackend, ImageRenderer, NoSample, SceneSampler


class PhotoImageRenderer(ImageRenderer):
    """Renders photo Scenes of one collection. The index (and depth provider) is the sampler's when
    a sampler was made with this renderer (:meth:`attach`), else the whole collection's, loaded on
    first use."""

    has_meshes = False

    def __init__(self, options: PhotoOptions, library) -> None:
        self.config = PhotoConfig.from_options(options)
        self._photo: PhotoRenderer | None = None
        self._amodal = AmodalMemo(lambda scene, ids: self.photo().render_amodal(scene, ids))

    def attach(self, index, depth: DepthProvider) -> None:
        """Render with the sampler's index and depth provider (one index in memory per worker)."""
        self._photo = PhotoRenderer(index, depth)

    def photo(self) -> PhotoRenderer:
        if self._photo is None:
            index = self.config.load_index()
            self._photo = PhotoRenderer(index, DepthProvider(index, self.config.depth_config(),
                                                             self.config.make_estimator()))
        return self._photo

    def amodal(self, scene: Scene, object_ids: list[int]):
        return self._amodal(scene, object_ids)

    def render(self, scene: Scene, preview: VisualRender | None = None) -> VisualRender:
        return preview if preview is not None else self.photo().render(scene)


class PhotoSceneSampler(SceneSampler):
    """A photo draft is final (objects, masks and source pixels come from the photo's annotations);
    an attempt is redrawn only when a drawn room cannot hold the sounding object's source."""

    settles_sources = False
    failure = "valid photo scene"

    def __init__(self, spec, library, renderer: PhotoImageRenderer) -> None:
        config = PhotoConfig.from_spec(spec.resolved)
        index = split_index(config.load_index(categories=spec.resolved["objects"]["categories"] or library.categories),
                            config, spec.resolved)
        depth = DepthProvider(index, config.depth_config(), config.make_estimator())
        self.sampler = PhotoSampler(spec, index, library, config, depth)
        renderer.attach(index, depth)

    def scene(self, entry, attempt: int) -> tuple[Scene, int | None]:
        try:
            return self.sampler.draft(entry, attempt), None
        except PhotoSelectionError as exc:
            raise NoSample(str(exc)) from None


class PhotoBackend(ImageBackend):
    name = "photos"
    options_type = PhotoOptions
    asset_kinds = ("sounds", "photos")

    def options(self, resolved: dict[str, Any]) -> PhotoOptions:
        return PhotoConfig.from_spec(resolved).options()

    def check_spec(self, resolved, dists, library, error: Callable[[tuple, str], None]) -> None:
        """The files exist (paths stored resolved), the index loads (and is cached for the workers),
        and some photo serves every (condition, size bin) for the planned categories."""
        p = resolved["photos"]
        problems = False
        for key, test, what in (("annotations", Path.is_file, "file"), ("images", Path.is_dir, "folder"),
                                ("depth", Path.is_dir, "folder")):
            if p[key] is None:
                if key != "depth":
                    error(("photos", key), "required with image.renderer: photos")
                    problems = True
            elif not test(Path(p[key])):
                error(("photos", key), f"{what} not found: {p[key]}")
                problems = True
            else:
                p[key] = str(Path(p[key]).resolve())  # replay finds it from anywhere
        if p["estimator"] is not None:
            try:
                import transformers  # noqa: F401
            except ImportError:
                error(("photos", "estimator"), "needs transformers and torch (pip install transformers torch)")
                problems = True
        if not p["min_distance_m"] <= p["default_distance_m"] <= p["max_distance_m"]:
            error(("photos", "default_distance_m"), "need min_distance_m <= default_distance_m <= max_distance_m")
            problems = True
        if problems:
            return
        config = PhotoConfig.from_spec(resolved)
        try:
            index = split_index(config.load_index(categories=resolved["objects"]["categories"]), config, resolved)
        except PhotoIndexError as exc:
            error(("photos", "annotations"), str(exc))
            return
        except SplitError as exc:
            for path, message in exc.problems:
                error(path, message)
            return
        for path, message in check_photo_spec(resolved, dists, index, config):
            error(path, message)

    def open(self, options: PhotoOptions, library) -> PhotoImageRenderer:
        return PhotoImageRenderer(options, library)

    def sampler(self, spec, library, renderer: ImageRenderer) -> PhotoSceneSampler:
        return PhotoSceneSampler(spec, library, renderer)

    def plan_pool(self, spec, library):
        return category_pool_for_spec(spec, library)

    def categories(self, spec, library) -> list[str]:
        return sorted(set(library.categories) | photo_categories(spec))  # COCO names left unmapped too

    def plan_lines(self, spec) -> list[str]:
        r = spec.resolved
        config = PhotoConfig.from_spec(r)
        index = split_index(config.load_index(categories=r["objects"]["categories"]), config, r)
        return [f"  photos: {index.summary()}"]


__all__ = ["PhotoBackend"]
