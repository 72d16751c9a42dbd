"""The photo sampler: from a plan entry to a Scene whose image is a real photo.

For a plan entry (condition, size bin, planned category c) the sampler picks, with the sample's
generator (:func:`simulator.sampler.sample_rng`), a photo and its *sized* object such that the
photo satisfies the condition (docs/conditions.md, docs/photos.md):

============== ============================================================ ====================
condition      photo                                                        sized object
============== ============================================================ ====================
congruent      exactly one instance of c (no crowd region of c)             the c instance
vision_only    as congruent                                                 the c instance
multi_instance ``conditions.multi_instance.instances`` range (2-5) of       one c instance
               instances of c, all visible, no crowd region of c            (the sounding one)
conflict_vcue  exactly one (visible) instance of c and an object of another an object of d
               category d of ``objects.categories``
absent_vcue    no c at all (no instance, no crowd), an object of another    an object of d
               category d of ``objects.categories``
offscreen      as absent_vcue                                               an object of d
============== ============================================================ ====================

The sized object's visible mask must be in the entry's size bin (and its source pixel inside
``photos.margin``). The photo is drawn uniformly among those that qualify, then the sized object
uniformly among the photo's qualifying objects. ``audio_only`` (no image content) and ``mixed``
are not photo conditions.

Every object of the photo with visible pixels becomes a :class:`simulator.core.scene.SceneObject`
(no mesh; ``photo_annotation`` = its COCO annotation id; ids 1.. in annotation-id order) at the 3D point of its source
pixel (:mod:`simulator.photos.index`) at its depth (:mod:`simulator.photos.depth`) on the pinhole
camera's ray. Sources sit on their object: at the object's position (pinhole projection), or
behind the source pixel on the screen at the object's normalised depth (screen projection,
seeds/000). The camera's field of view is ``photos.assumed_hfov_deg`` (COCO has no intrinsics).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np

from renderers.acoustic.room_kinds import ROOM_KINDS
from simulator.core import camera as cam
from simulator.plan import PlanEntry
from simulator.assets.split import split_photo_files
from simulator.scene_settings import asset_split, audio_settings, library_ref, outputs
from simulator.spec.distributions import support, value_range
from simulator.sampler import PlacementError, Sampler, sample_rng
from simulator.core.image import PhotoObjectInfo, PhotoOptions, PhotoPick
from simulator.core.scene import (Camera, Listener, Manipulations, Negatives, OffscreenNegative, Room, Scene,
                                  SceneObject, Source, Targets)

from .depth import DEPTH_KINDS, DepthConfig, DepthEstimator, DepthProvider, TransformersDepthEstimator
from .index import PhotoImage, PhotoIndex

#: Conditions a photo can realise.
PHOTO_CONDITIONS = ("congruent", "vision_only", "multi_instance", "conflict_vcue", "absent_vcue", "offscreen")
#: Output sizes: the photo's own (``native``) or ``image.width`` x ``image.height`` (``stretch``).
RESIZE_MODES = ("native", "stretch")
#: How many (photo, object) picks one draft tries before giving up (stretch mode can fail a pick).
MAX_PICKS = 32
#: How far inside the walls a source pulled into a room must stay, metres.
ROOM_MARGIN_M = 0.3


class PhotoSelectionError(ValueError):
    """No photo of the index can satisfy a request (condition, size bin, category)."""


@dataclass(frozen=True)
class PhotoConfig(PhotoOptions):
    """The ``photos`` block of a spec (docs/photos.md): the Scene's :class:`PhotoOptions`, checked,
    with the index, depth and estimator they describe."""

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_MODES:
            raise ValueError(f"photos.resize must be one of {RESIZE_MODES}, got {self.resize!r}")
        if self.depth_kind not in DEPTH_KINDS or self.estimator_kind not in DEPTH_KINDS:
            raise ValueError(f"depth kinds must be among {DEPTH_KINDS}")

    @classmethod
    def from_spec(cls, resolved: Mapping[str, Any]) -> "PhotoConfig":
        """From a resolved spec's ``photos`` block (unknown keys are an error of the schema)."""
        block = dict(resolved.get("photos") or {})
        known = set(cls.__dataclass_fields__)
        kwargs = {k: v for k, v in block.items() if k in known}
        if kwargs.get("category_map") is None:
            kwargs.pop("category_map", None)
        else:
            kwargs["category_map"] = dict(kwargs["category_map"])
        return cls(**kwargs)

    @classmethod
    def from_options(cls, options: PhotoOptions) -> "PhotoConfig":
        """The config of a Scene's photo options."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(PhotoOptions)})

    def options(self) -> PhotoOptions:
        """The options as the Scene stores them."""
        return PhotoOptions(**{f.name: getattr(self, f.name) for f in fields(PhotoOptions)})

    def depth_config(self) -> DepthConfig:
        return DepthConfig(kind=self.depth_kind, png_scale=self.depth_png_scale,
                           camera_height_m=self.camera_height_m, default_distance_m=self.default_distance_m,
                           min_distance_m=self.min_distance_m, max_distance_m=self.max_distance_m,
                           relative_near_m=self.relative_near_m, relative_unit_m=self.relative_unit_m)

    def load_index(self, categories=None) -> PhotoIndex:
        return PhotoIndex.load(self.annotations, self.images, self.depth, dict(self.category_map) or None,
                               categories=categories, cache=self.cache)

    def make_estimator(self) -> DepthEstimator | None:
        if not self.estimator:
            return None
        return TransformersDepthEstimator(self.estimator, kind=self.estimator_kind)


def split_index(index: PhotoIndex, config: PhotoConfig, resolved: Mapping[str, Any]) -> PhotoIndex:
    """The photos of ``index`` in the share ``library.split`` names (``index`` itself without a photo
    split). The photos are dealt over the collection's usable photos (its index without a category
    filter), so every spec of one collection deals them alike; SplitError
    (:mod:`simulator.assets.split`) if it has fewer photos than shares."""
    split = asset_split(resolved)
    if split is None or not split.photos:
        return index
    return index.subset(split_photo_files((im.file for im in config.load_index().images), split))


def instance_range(spec) -> tuple[int, int]:
    """The range of instances multi_instance asks for (``conditions.multi_instance.instances``)."""
    dist = spec.dists.get("conditions.multi_instance.instances") if hasattr(spec, "dists") else None
    if dist is None:
        return 2, 5
    lo, hi = value_range(dist)
    return int(lo), int(hi)


def _in_margin(image: PhotoImage, px, margin: float) -> bool:
    if margin <= 0:
        return True
    u, v = px
    return (margin * image.width <= u <= (1 - margin) * image.width
            and margin * image.height <= v <= (1 - margin) * image.height)


def candidates(index: PhotoIndex, condition: str, size_bin: str, category: str, allowed,
               instances: tuple[int, int] = (2, 5), margin: float = 0.0) -> list[tuple[PhotoImage, tuple[int, ...]]]:
    """Photos that can serve ``condition`` for planned category ``category`` in ``size_bin``,
    each with the annotation ids its sized object may be (see the module docstring). ``allowed``:
    the categories an object of "another category d" may have (``objects.categories``)."""
    if condition not in PHOTO_CONDITIONS:
        raise PhotoSelectionError(f"condition {condition!r} is not available with photos "
                                  f"(photo conditions: {', '.join(PHOTO_CONDITIONS)})")
    others = set(allowed) - {category}
    out = []
    for image in index.images:
        def sized(o) -> bool:
            return o.visible and o.size_bin == size_bin and _in_margin(image, o.source_px, margin)

        mine = [o for o in image.objects if o.category == category]
        crowd = category in image.crowd
        if condition in ("congruent", "vision_only"):
            ok = [o.ann_id for o in mine if sized(o)] if len(mine) == 1 and not crowd else []
        elif condition == "multi_instance":
            good = (instances[0] <= len(mine) <= instances[1] and not crowd and all(o.visible for o in mine))
            ok = [o.ann_id for o in mine if sized(o)] if good else []
        elif condition == "conflict_vcue":
            good = len(mine) == 1 and not crowd and mine[0].visible
            ok = [o.ann_id for o in image.objects if o.category in others and sized(o)] if good else []
        else:  # absent_vcue, offscreen
            absent = not image.has(category)
            ok = [o.ann_id for o in image.objects if o.category in others and sized(o)] if absent else []
        if ok:
            out.append((image, tuple(ok)))
    return out


def photo_category_pool(index: PhotoIndex, condition: str, size_bin: str, categories, allowed,
                        instances: tuple[int, int] = (2, 5), margin: float = 0.0) -> list[str]:
    """The planned categories c for which some photo serves (condition, size bin): the photo
    counterpart of :func:`simulator.feasibility.planned_category_pool` for the plan."""
    return [c for c in categories if candidates(index, condition, size_bin, c, allowed, instances, margin)]


def check_photo_spec(resolved: Mapping[str, Any], dists: Mapping[str, Any], index: PhotoIndex,
                     config: PhotoConfig) -> list[tuple[tuple, str]]:
    """Problems of a photo spec that the index shows before anything is written, as (key path,
    message) pairs for the spec validator (exit status 2)."""
    problems: list[tuple[tuple, str]] = []
    if not index.images:
        return [(("photos", "annotations"), f"no usable photo ({index.summary()})")]
    conditions = support(dists["condition"])
    for c in conditions:
        if c not in PHOTO_CONDITIONS:
            problems.append((("condition",), f"{c} is not available with image.renderer: photos "
                                             f"(photo conditions: {', '.join(PHOTO_CONDITIONS)})"))
    allowed = list(resolved["objects"]["categories"] or [])
    tdist = dists.get("target.category")
    planned = support(tdist) if tdist is not None else allowed
    explicit = resolved["target"].get("category") is not None
    inst = (2, 5)
    if "conditions.multi_instance.instances" in dists:
        lo, hi = value_range(dists["conditions.multi_instance.instances"])
        inst = (int(lo), int(hi))
    for condition in conditions:
        if condition not in PHOTO_CONDITIONS:
            continue
        for size_bin in support(dists["target.size_bin"]):
            pool = photo_category_pool(index, condition, size_bin, planned, allowed, inst, config.margin)
            bad = [c for c in planned if c not in pool]
            if explicit and bad:
                problems.append((("target", "category"), f"no photo serves {condition} in {size_bin} for "
                                 f"{', '.join(bad)} ({len(index.images)} usable photos)"))
            elif not pool:
                problems.append((("target", "size_bin"), f"no photo serves {condition} in {size_bin} for any of "
                                 f"{', '.join(planned)} ({len(index.images)} usable photos)"))
    return problems


class PhotoSampler:
    """Draws photo Scenes for one spec (one per worker, reused).

    ``index``: the :class:`PhotoIndex`; ``library``: the asset library the clips come from;
    ``config``: the spec's photo options (default: :meth:`PhotoConfig.from_spec`); ``depth``: a
    :class:`DepthProvider` (default: from the config, with its estimator if one is named).
    """

    def __init__(self, spec, index: PhotoIndex, library, config: PhotoConfig | None = None,
                 depth: DepthProvider | None = None, estimator: DepthEstimator | None = None):
        self.spec = spec
        self.index = index
        self.library = library
        self.config = config or PhotoConfig.from_spec(spec.resolved)
        self.depth = depth or DepthProvider(index, self.config.depth_config(),
                                            estimator if estimator is not None else self.config.make_estimator())
        r = spec.resolved
        self.allowed = list(r["objects"]["categories"] or library.categories)
        self.instances = instance_range(spec)
        self._clips = Sampler(spec, library)  # clip/gain/offscreen draws shared with the mesh sampler
        self._candidates: dict[tuple[str, str, str], list[tuple[PhotoImage, tuple[int, ...]]]] = {}

    def candidates(self, entry: PlanEntry) -> list[tuple[PhotoImage, tuple[int, ...]]]:
        key = (entry.condition, entry.size_bin, entry.category)
        if key not in self._candidates:
            self._candidates[key] = candidates(self.index, *key, self.allowed, self.instances, self.config.margin)
        return self._candidates[key]

    def category_pool(self, condition: str, size_bin: str, values) -> list[str]:
        """The planned categories among ``values`` that some photo serves for (condition, size
        bin): what the plan balances over when ``target.category`` is unset."""
        return photo_category_pool(self.index, condition, size_bin, values, self.allowed, self.instances,
                                   self.config.margin)

    def output_size(self, image: PhotoImage) -> tuple[int, int]:
        if self.config.resize == "stretch":
            r = self.spec.resolved["image"]
            return int(r["width"]), int(r["height"])
        return image.width, image.height

    # -- the draft ----------------------------------------------------------------------------
    def draft(self, entry: PlanEntry, attempt: int = 0) -> Scene:
        """The Scene of plan entry ``entry`` (final: no placement step follows). Draws, in order,
        from ``sample_rng(seed, index, attempt)``: the field of view (only without
        ``photos.assumed_hfov_deg``), the listener, the room, the photo and its sized object, the
        condition's options, the clip (offset, gain), off-screen positions, negatives, the render
        seed. Raises PhotoSelectionError if no photo serves the entry, PlacementError if the drawn
        room cannot hold the sounding object's source (the next attempt draws another room)."""
        spec, r, cfg = self.spec, self.spec.resolved, self.config
        rng = sample_rng(spec.seed, entry.index, attempt)
        hfov = float(cfg.assumed_hfov_deg) if cfg.assumed_hfov_deg is not None else float(
            spec.sample("camera.hfov_deg", rng))
        listener = self._listener(rng)
        room = self._room(rng)
        image, sized, layout = self._pick(entry, rng)
        size = layout.size
        camera = Camera(width=size[0], height=size[1], hfov_deg=hfov, position_m=tuple(r["camera"]["position_m"]),
                        projection=r["camera"]["projection"], viewing_distance_m=r["camera"]["viewing_distance_m"],
                        pixels_per_inch=r["camera"]["pixels_per_inch"], depth_scale=r["camera"]["depth_scale"])
        pin = cam.pinhole(camera)
        c = entry.category
        objects: list[SceneObject] = []
        info: dict[str, PhotoObjectInfo] = {}
        ids: dict[int, int] = {}
        for aid in sorted(layout.objects):
            lo = layout.objects[aid]
            if lo.source_px is None:
                continue
            meta = next(o for o in image.objects if o.ann_id == aid)
            u, v = lo.source_px
            depth = self.depth.object_depth(image, lo.source_px, self.index.full_mask(image, aid, size), pin.focal_px)
            position = tuple(float(x) for x in pin.unproject(u, v, depth.depth_m))
            oid = len(objects) + 1
            ids[aid] = oid
            objects.append(SceneObject(id=oid, category=meta.category, mesh=None, position_m=position,
                                       photo_annotation=aid))
            info[str(oid)] = PhotoObjectInfo(ann_id=aid, source_px=(u, v), d_norm=depth.d_norm, depth_m=depth.depth_m,
                                             depth_method=depth.method)
        target = objects[ids[sized] - 1]
        same = [o for o in objects if o.category == c]
        condition = entry.condition
        semantic: list[int] = []
        audio_targets: list[int] = []
        negative = None
        manipulations = Manipulations()
        sources: list[Source] = []
        if condition in ("congruent", "multi_instance"):
            target.role, target.sounding = "target", True
            for o in same:
                if o is not target:
                    o.role = "instance"
            semantic = [target.id] + [o.id for o in same if o is not target]
        elif condition == "vision_only":
            target.role = "semantic"
            semantic = [target.id]
        elif condition == "conflict_vcue":
            target.role, target.sounding = "target", True
            for o in same:
                o.role = "semantic"
            semantic = [o.id for o in same]
        elif condition == "absent_vcue":
            target.role, target.sounding = "target", True
        if condition == "vision_only":
            kind = self._clips._option("vision_only", "audio", rng)
            manipulations.audio = negative = kind
        elif condition == "offscreen":
            source = self._clips._source(1, c, rng)
            source.placement = "offscreen"
            region = self._clips._option("offscreen", "region", rng)
            source.position_m = self._offscreen(camera, room, region,
                                                self._clips._option("offscreen", "distance_m", rng), rng)
            sources.append(source)
            negative = "offscreen"
        else:
            source = self._clips._source(1, c, rng)
            source.object_id = target.id
            source.position_m = self._in_room(camera, room, self.source_position(camera, target, info[str(target.id)]),
                                              info[str(target.id)])
            sources.append(source)
            audio_targets = [1]
        negatives = r["negatives"]
        if audio_targets and any(negatives.values()):
            neg = Negatives(silence=negatives["silence"], noise=negatives["noise"])
            if negatives["offscreen"]:
                present = set(image.crowd) | {o.category for o in image.objects} | {s.category for s in sources}
                pool = [k for k in self.library.categories if k not in present] or self.library.categories
                source = self._clips._source(0, pool[int(rng.integers(len(pool)))], rng)
                source.placement = "offscreen"
                region = self._clips._option("offscreen", "region", rng)
                source.position_m = self._offscreen(camera, room, region,
                                                    self._clips._option("offscreen", "distance_m", rng), rng)
                neg.offscreen = OffscreenNegative(region=region, source=source)
            manipulations.negatives = neg
        image_source = PhotoPick(file=image.file, image_id=image.image_id, depth_file=image.depth_file,
                                 width=image.width, height=image.height, crowd=list(image.crowd), resize=cfg.resize,
                                 objects=info)
        return Scene(index=entry.index, seed=(spec.seed, entry.index, attempt), condition=condition, camera=camera,
                     listener=listener, room=room, audio=audio_settings(r), objects=objects,
                     sources=sources, targets=Targets(audio=audio_targets, semantic=semantic, negative=negative),
                     size_bin=entry.size_bin, manipulations=manipulations, render_seed=int(rng.integers(2**31)),
                     image=cfg.options(), image_source=image_source, library=library_ref(r), outputs=outputs(r))

    # -- draws shared with the mesh sampler (same keys, same order) ---------------------------
    def _listener(self, rng: np.random.Generator) -> Listener:
        spec, r = self.spec, self.spec.resolved["listener"]
        kw: dict[str, Any] = {"head": spec.sample("listener.head", rng),
                              "ear_spacing_m": float(spec.sample("listener.ear_spacing_m", rng))}
        if r.get("sofa") not in (None, "default"):
            kw["sofa"] = r["sofa"]
        for key in ("yaw_deg", "pitch_deg"):
            if f"listener.{key}" in spec.dists:
                kw[key] = float(spec.sample(f"listener.{key}", rng))
        return Listener(**kw)

    def _room(self, rng: np.random.Generator) -> Room:
        draw = getattr(self._clips, "_draw_room", None)
        if draw is not None:
            return draw(rng)
        r = self.spec.resolved["room"]
        return Room(type=r["type"], speed_of_sound_m_s=r["speed_of_sound_m_s"])

    def _offscreen(self, camera: Camera, room: Room, region: str, distance: float, rng: np.random.Generator):
        fn = self._clips._offscreen_position
        if "room" in inspect.signature(fn).parameters:
            return fn(camera, room, region, distance, rng)
        return fn(camera, region, distance, rng)

    def _in_room(self, camera: Camera, room: Room, position, info: PhotoObjectInfo) -> tuple[float, float, float]:
        """A source outside the room (a far photo depth in a shoebox) is pulled towards the head
        keeping its pixel: less depth along its pixel's ray (pinhole) or less normalised depth
        (screen), the most that fits ``ROOM_MARGIN_M`` inside the walls; ``info`` records it
        (``source_in_room_m``). Raises PlacementError (the sample is redrawn with another room)
        if even ``objects.min_distance_m`` ahead does not fit."""
        inside = getattr(self._clips, "_inside_room", None)
        if not ROOM_KINDS.get(room.type).bounded or inside is None or inside(room, np.asarray([position]), margin=ROOM_MARGIN_M):
            return tuple(position)
        u, v = info.source_px
        pin = cam.pinhole(camera)
        near = float(self.spec.resolved["objects"]["min_distance_m"])

        def at(s: float) -> tuple[float, float, float]:
            if camera.projection == "screen":
                return cam.source_at_pixel(camera, u, v, info.d_norm * s)
            return tuple(float(x) for x in pin.unproject(u, v, near + (info.depth_m - near) * s))

        too_near = camera.projection == "pinhole" and info.depth_m <= near
        if too_near or not inside(room, np.asarray([at(0.0)]), margin=ROOM_MARGIN_M):
            raise PlacementError("the photo's sounding object does not fit inside the room")
        lo, hi = 0.0, 1.0
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if inside(room, np.asarray([at(mid)]), margin=ROOM_MARGIN_M) else (lo, mid)
        p = at(lo)
        info.source_in_room_m = tuple(float(x) for x in p)
        return p

    @staticmethod
    def source_position(camera: Camera, obj: SceneObject, info: PhotoObjectInfo) -> tuple[float, float, float]:
        """Where an object's sound sits: the object's point (pinhole) or behind its source pixel
        on the screen at its normalised depth (screen; ``camera.source_at_pixel``)."""
        if camera.projection == "screen":
            u, v = info.source_px
            return cam.source_at_pixel(camera, u, v, info.d_norm)
        return tuple(obj.position_m)

    def _pick(self, entry: PlanEntry, rng: np.random.Generator):
        """A (photo, sized annotation id, layout at the output size) for the entry."""
        pool = [(image, list(anns)) for image, anns in self.candidates(entry)]
        if not pool:
            raise PhotoSelectionError(f"no photo serves {entry.condition} in {entry.size_bin} for {entry.category!r} "
                                      f"({len(self.index.images)} usable photos)")
        for _ in range(MAX_PICKS):
            k = int(rng.integers(len(pool)))
            image, anns = pool[k]
            aid = anns[int(rng.integers(len(anns)))]
            layout = self.index.layout(image, self.output_size(image))
            if self._still_ok(entry, image, layout, aid):
                return image, aid, layout
            anns.remove(aid)
            if not anns:
                pool.pop(k)
            if not pool:
                break
        raise PhotoSelectionError(f"no photo serves {entry.condition} in {entry.size_bin} for {entry.category!r} "
                                  f"at the output size (photos.resize: {self.config.resize})")

    def _still_ok(self, entry: PlanEntry, image: PhotoImage, layout, aid: int) -> bool:
        """At the output size (stretch mode resizes masks) the sized object must still be in its
        bin and every semantic target visible."""
        lo = layout.objects.get(aid)
        if lo is None or lo.source_px is None or lo.size_bin != entry.size_bin:
            return False
        if entry.condition in ("congruent", "vision_only", "multi_instance", "conflict_vcue"):
            for o in image.objects:
                if o.category == entry.category:
                    got = layout.objects.get(o.ann_id)
                    if got is None or got.source_px is None:
                        return False
        return True


def category_pool_for_spec(spec, library):
    """``(condition, size_bin, values) -> pool`` for :class:`simulator.plan.Plan` with a photo spec
    (the index comes from the process's memory or the on-disk cache)."""
    config = PhotoConfig.from_spec(spec.resolved)
    allowed = list(spec.resolved["objects"]["categories"] or library.categories)
    index = split_index(config.load_index(categories=allowed), config, spec.resolved)
    inst = instance_range(spec)
    return lambda condition, size_bin, values: photo_category_pool(index, condition, size_bin, values, allowed, inst,
                                                                   config.margin)


def photo_categories(spec) -> set[str]:
    """Every object category of a photo spec's index (library names, or COCO names where
    unmapped): what a COCO export of the dataset must list besides the library's categories."""
    config = PhotoConfig.from_spec(spec.resolved)
    index = config.load_index(categories=spec.resolved["objects"]["categories"])
    return {o.category for im in index.images for o in im.objects}
