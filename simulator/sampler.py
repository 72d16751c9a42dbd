"""The sampler: from a plan entry and the sample's seed to a Scene.

All random choices of a sample are drawn here, in a fixed order, from
``Generator(PCG64(SeedSequence(spec_seed, spawn_key=(index, attempt))))``. The condition rule of
the sample (``simulator.conditions``) decides the cast (which categories, which object sounds,
which are targets); the sampler draws everything else and places the objects.

Every object is drawn alike, so that only its category and its sound tell the sounding object
apart (no visual shortcut: ``simulate audit`` reports the no-audio baselines,
:mod:`simulator.shortcuts`):

* each object gets a size bin (the sized object: the sample's planned bin; the others: a bin
  drawn from the same distribution, ``target.size_bin``, that their category can reach), a mask
  area uniform inside it (kept 5 % away from the bin's edges) and a pixel centre uniform over
  the image inside ``target.margin``;
* its distance follows from its real-world size and the camera (``initial_depth``) and is then
  refined by measuring its silhouette (:func:`fit_depths`), keeping its pixel centre fixed;
* objects are placed in a random order (:meth:`Sampler.place`), never the target first: objects
  never interpenetrate (posed bounding boxes), and one that would is moved to another pixel
  drawn like the first (never pushed back, which would shrink it);
* occlusion rules apply to all objects alike (:meth:`Sampler.settle_visibility`): every object
  keeps its visible area in its own size bin and at most ``objects.max_occlusion`` of its
  silhouette hidden; when one breaks this, the objects in front of it move, whatever their role.

So every object's pixel, the target's too, is uniform over the image inside ``target.margin``
conditioned on the layout fitting; the target's is no longer fixed before the others'.

Floor support (``objects.support``; docs/support.md). In a sample whose objects rest on the floor
(``floor``, or ``auto`` in a bounded room with the mesh raster and a pinhole camera) every object
is upright (yaw only) and its lowest posed vertex lies exactly at the floor's height; the head
stays level and the camera (the eyes) is tipped:

* one object drawn uniformly among them whatever its role (from the render seed) anchors the
  camera (:meth:`Sampler._anchor_camera`): its pixel and area are drawn as above, and the pitch is
  solved in closed form (:func:`solve_pitch`) so that at its fitted depth it rests on the floor on
  its drawn pixel; pitch-solve and depth-fit alternate until the depth settles, then the pitch is
  solved for the last depth. Where the pitch range (``camera.min_pitch_deg``/``max_pitch_deg``)
  cannot give it its drawn area on its row, it is held at the depth (measured outwards from the
  nearest the range allows) whose area is nearest the drawn one inside its bin; with none, the
  attempt is redrawn;
* every object is then placed as above in the drawn random order, but only its column u is its
  own: its row follows from its depth, and its depth from its area (it rests on the floor,
  :func:`floor_row`); the anchor's row is its drawn row. One fitted to a row outside the margin is
  held on the margin's edge row if its area there is still in its bin
  (:meth:`Sampler._hold_in_margin`, the anchor's rule). An object whose row falls outside the
  margin, or that meets another, is moved to another column with another area in its bin (the
  part of the bin that the floor can show inside the margin, :meth:`Sampler._floor_area`; an
  object whose bin is not planned and has no such part draws another bin like ``_bin_for``);
* the plan's check (:mod:`simulator.feasibility`) and the mesh and yaw draws account for how near
  the floor lets an object come (:class:`simulator.feasibility.FloorReach`).

The refinement is deterministic (no draws from the sample's generator; moves draw from
generators seeded by the Scene), so the Scene stored after it replays exactly.
"""
from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from renderers.acoustic.room_kinds import ROOM_KINDS, build_room

from .assets.clips import BrokenClip
from .assets.library import AssetLibrary, MeshAsset
from .assets.mesh_library import BrokenMesh
from .assets.scan_report import UserLibraryWarning
from .assets.silhouette import YAWS_DEG, at_yaw
from .conditions import get_rule
from .conditions.base import Cast, CastContext
from .core import camera as cam
from .core.geometry import boxes_intersect, pose_matrix, spherical_to_cartesian
from .core.image import ImageOptions, MeshOptions
from .core.scene import (TEXTURE_SEEDS, Background, Camera, Lighting, Listener, Manipulations, Negatives,
                         OffscreenNegative, Room, Scene, SceneObject, Source, TargetDisk, Targets, to_plain)
from .core.size_bins import SIZE_BINS, size_bin_of
from .errors import PlacementError
from .feasibility import BIN_EDGE_MARGIN, FloorReach, feasibility_args, feasible, focal_px, reachable, uses_floor
from .motion_sampler import draw_motions
from .plan import PlanEntry
from .scene_settings import audio_settings, image_manipulation, library_ref, outputs
from .spec.distributions import Choice
from .spec.spec import Spec

#: Nearest distance of a backdrop plane, m (it always lies 0.5 m behind the farthest object).
BACKDROP_MIN_DISTANCE_M = 3.0
#: How many other pixels an object that does not fit at its drawn pixel may try.
MAX_RELOCATIONS = 16
#: How many usable meshes of an imported collection an object draws, at most, looking for one that
#: can cover its area (each is loaded on first use: a category may hold thousands).
MAX_MESH_DRAWS = 32
#: How often a yaw is redrawn when the drawn one cannot reach the intended area.
MAX_YAW_DRAWS = 24
#: Rounds of placing and fitting objects that the fit moves into another (Sampler._place_others).
MAX_PLACE_ROUNDS = 3
#: Smallest clearance between two objects' bounding boxes, m.
OBJECT_GAP_M = 0.02
#: Rounds of moving objects that break the visibility rule before giving up (settle_visibility).
MAX_VISIBILITY_ROUNDS = 4
#: Seeds the placing order (Sampler.place) from the Scene's render seed.
PLACE_ORDER_SALT = 0x9A0E
#: With ``objects.unplaceable: redraw``, how often a layout whose objects do not all fit is placed
#: again (Sampler.layout: fresh pixels and placing order, the same objects, sizes and meshes)
#: before the whole sample is redrawn. Redrawing the objects themselves would favour the small
#: ones that fit easily among the others, while the target's size bin is planned.
LAYOUT_RETRIES = 6
#: Seeds a retry's pixels and render seed (Sampler.layout) from the first render seed.
LAYOUT_RETRY_SALT = 0x7E7
#: Most measurements of the anchor's area, each at a depth and the pitch that puts that depth on
#: the floor at the anchor's row (Sampler._tip_for).
ANCHOR_ROUNDS = 8
#: A fitted object's area is within this fraction of its intended area (fit_depths, the anchor).
FIT_TOLERANCE = 0.04
#: Seeds the draw of the object that anchors the camera (Sampler._anchor_camera) from the render seed.
ANCHOR_SALT = 0xA11
#: Seeds the redraw of an off-screen source that the tipped camera sees (Sampler._follow_camera).
OFFSCREEN_SALT = 0x0FF5
#: Depths the anchor tries when its area cannot be had on the floor (Sampler._best_floor_depth).
FLOOR_DEPTH_STEPS = 10
FLOOR_DEPTH_STEP = 1.2
#: How far above the floor an object's vertices are lifted for the inside-the-room test, m (it
#: rests on the floor, which the room's margin would otherwise count as outside).
FLOOR_LIFT_M = 0.06


def sample_rng(spec_seed: int, index: int, attempt: int) -> np.random.Generator:
    """The generator of sample ``index``'s ``attempt``-th draw."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec_seed, spawn_key=(index, attempt))))


@dataclass
class ObjectIntent:
    """Where an object should appear: pixel centre, mask-area fraction and the size bin it
    was drawn in (None: the bin no allowed object reaches, not checked)."""

    u: float
    v: float
    area: float
    mesh: MeshAsset
    size_bin: str | None = None
    depth: float | None = None  # floor support: the depth the camera was anchored at (first try only)


@dataclass
class Draft:
    """A Scene with its placement intentions, before depth refinement."""

    scene: Scene
    intents: dict[int, ObjectIntent]  # object id -> intent
    sized_object: int | None  # id of the object whose mask area is controlled (None: no such object)
    cast: Cast
    floor: bool = False  # objects rest on the floor (objects.support; docs/support.md)


class Sampler:
    """Draws Scenes for one spec from one asset library."""

    def __init__(self, spec: Spec, library: AssetLibrary, image_options: ImageOptions | None = None):
        self.spec = spec
        self.library = library
        self.image_options = image_options if image_options is not None else MeshOptions()
        r = spec.resolved
        self.width, self.height = r["image"]["width"], r["image"]["height"]
        self.categories = list(r["objects"]["categories"])
        self._room_models: dict[str, object] = {}
        self._reach_memo: dict[tuple[str, str], bool] = {}
        self._floor_in_rooms = uses_floor(r, True, library, spec.dists)  # objects.support in a bounded room
        self._lowest: dict[tuple, float] = {}

    def draft(self, entry: PlanEntry, attempt: int) -> Draft:
        """Draw a Scene for ``entry`` (objects at their first-guess depths)."""
        spec, r = self.spec, self.spec.resolved
        rng = sample_rng(spec.seed, entry.index, attempt)
        camera = Camera(width=self.width, height=self.height, hfov_deg=float(spec.sample("camera.hfov_deg", rng)),
                        position_m=tuple(r["camera"]["position_m"]), projection=r["camera"]["projection"],
                        viewing_distance_m=r["camera"]["viewing_distance_m"],
                        pixels_per_inch=r["camera"]["pixels_per_inch"], depth_scale=r["camera"]["depth_scale"])
        listener = Listener(head=spec.sample("listener.head", rng),
                            ear_spacing_m=float(spec.sample("listener.ear_spacing_m", rng)),
                            sofa=None if r["listener"]["sofa"] == "default" else r["listener"]["sofa"],
                            yaw_deg=float(spec.sample("listener.yaw_deg", rng)),
                            pitch_deg=float(spec.sample("listener.pitch_deg", rng)))
        room = self._draw_room(rng)
        floor = self._floor_in_rooms and ROOM_KINDS.get(room.type).bounded
        if floor:
            camera.pitch_deg = 0.0  # solved in layout (_anchor_camera)
        floor_reach = self._floor_reach(camera, room) if floor else None
        background = Background(color=tuple(spec.sample("background.color", rng)),
                                kind=spec.sample("background.kind", rng))
        if background.kind in ("backdrop", "room"):
            background.texture = spec.sample("background.texture", rng)
            background.texture_seed = int(rng.integers(TEXTURE_SEEDS))
        lighting = Lighting(key_azimuth_deg=spec.sample("lighting.key_azimuth_deg", rng),
                            key_elevation_deg=spec.sample("lighting.key_elevation_deg", rng),
                            key_intensity=spec.sample("lighting.key_intensity", rng),
                            ambient=spec.sample("lighting.ambient", rng))
        count = int(spec.sample("objects.count", rng))
        rule = get_rule(entry.condition)
        reach = self._reach(room)
        option = lambda key: self._option(entry.condition, key, rng)  # noqa: E731
        cast = rule.cast(CastContext(rng, entry.category, entry.size_bin, count, self.categories, option,
                                     # on the floor: the plan's own test (the sample's camera may be higher
                                     # or wider than the narrowest the plan allows for; a miss is redrawn)
                                     (lambda c: self._reaches(c, entry.size_bin)) if floor else
                                     (lambda c: self._reachable(c, entry.size_bin, camera.hfov_deg, reach)),
                                     reaches=self._reaches, draw_bin=lambda: self.spec.sample("target.size_bin", rng)))

        pin = cam.pinhole(camera)
        objects: list[SceneObject] = []
        intents: dict[int, ObjectIntent] = {}
        sized: int | None = None
        for k, slot in enumerate(cast.slots):
            if slot.size_bin is not None:
                sized = k + 1
            size_bin = slot.size_bin or slot.bin or self._bin_for(slot.category, rng)
            area = self._bin_area(size_bin or next(iter(self._bin_weights)), rng)
            u, v = self._target_pixel(rng)
            # on the floor the anchor may be held farther than its area asks (_tip_for), keeping its bin:
            # the mesh and yaw must reach the bin's lowest drawn area, as the plan's test asks
            need = self._bin_low(size_bin) if floor and size_bin is not None else area
            mesh, yaw = self._mesh_and_yaw(slot.category, need, camera.hfov_deg, reach, rng, floor_reach)
            depth = initial_depth(self.library.silhouette(mesh), yaw, area, pin)
            position = tuple(float(x) for x in pin.unproject(u, v, depth))
            objects.append(SceneObject(id=k + 1, category=slot.category, mesh=mesh.key, position_m=position,
                                       yaw_deg=yaw, sounding=slot.sounding, role=slot.role,
                                       support="floor" if floor else None))
            intents[k + 1] = ObjectIntent(u, v, area, mesh, size_bin)

        sources: list[Source] = []
        disks: list[TargetDisk] = []
        for k, cs in enumerate(cast.sources):
            source = self._source(k + 1, cs.category, rng)
            source.placement = cs.placement
            if cs.placement == "object":
                source.object_id = cs.attach_to + 1
                source.position_m = objects[cs.attach_to].position_m
            elif cs.placement == "point":
                area = self._bin_area(entry.size_bin, rng)
                radius = float(np.sqrt(area * self.width * self.height / np.pi))
                u, v = self._target_pixel(rng, keep_inside=radius)  # the whole disk stays in the image
                distance = float(option("point_distance_m"))
                depth = distance * float(pin.camera_ray(u, v)[0])
                source.position_m = cam.source_at_pixel(camera, u, v, depth)
                disks.append(TargetDisk(source_id=k + 1, u=u, v=v, radius_px=radius))
            else:
                source.position_m = self._offscreen_position(camera, room, cs.region,
                                                             self._option("offscreen", "distance_m", rng), rng)
            sources.append(source)
        manipulations = Manipulations(image=image_manipulation(r, cast.image), audio=cast.audio)
        negatives = r["negatives"]
        if cast.audio_targets and any(negatives.values()):
            neg = Negatives(silence=negatives["silence"], noise=negatives["noise"])
            if negatives["offscreen"]:
                present = {o.category for o in objects} | {s.category for s in sources}
                pool = [c for c in self.library.categories if c not in present] or self.library.categories
                source = self._source(0, pool[int(rng.integers(len(pool)))], rng)
                source.placement = "offscreen"
                region = self._option("offscreen", "region", rng)
                source.position_m = self._offscreen_position(camera, room, region,
                                                             self._option("offscreen", "distance_m", rng), rng)
                neg.offscreen = OffscreenNegative(region=region, source=source)
            manipulations.negatives = neg
        targets = Targets(audio=[i + 1 for i in cast.audio_targets], semantic=[i + 1 for i in cast.semantic_targets],
                          negative=cast.negative, disks=disks)
        scene = Scene(index=entry.index, seed=(spec.seed, entry.index, attempt), condition=entry.condition,
                      camera=camera, listener=listener, room=room, audio=audio_settings(r),
                      objects=objects, sources=sources, targets=targets, size_bin=entry.size_bin,
                      background=background, lighting=lighting, manipulations=manipulations,
                      render_seed=int(rng.integers(2**31)), image=self.image_options, library=library_ref(r),
                      outputs=outputs(r))
        return Draft(scene, intents, sized, cast, floor)

    # -- draws ---------------------------------------------------------------------------------
    def _draw_room(self, rng: np.random.Generator) -> Room:
        """The sample's room and where the head sits in it (see the spec's ``room`` keys)."""
        spec, r = self.spec, self.spec.resolved["room"]
        maybe = lambda key: spec.sample(key, rng) if key in spec.dists else None  # noqa: E731
        room = Room(type=spec.sample("room.type", rng), speed_of_sound_m_s=r["speed_of_sound_m_s"],
                    max_order=r["max_order"], late=r["late"], air_absorption=r["air_absorption"],
                    noise_snr_db=maybe("room.noise_snr_db"), occlusion=r["occlusion"])
        kind = ROOM_KINDS.get(room.type)
        if not kind.bounded:
            return room
        room.rt60_s = maybe("room.rt60_s")
        room.materials = r["materials"]
        fx, fy = spec.sample("room.listener_fraction", rng)
        height = float(spec.sample("room.listener_height_m", rng))
        kind.draw_shape(room, lambda key: spec.sample(f"room.{key}", rng), r)
        lo, hi = kind.bounds(room)
        z = lo[2] + min(height, hi[2] - lo[2] - 0.25)
        room.listener_position_m = (float(lo[0] + fx * (hi[0] - lo[0])), float(lo[1] + fy * (hi[1] - lo[1])), float(z))
        return room

    def room_model(self, room: Room):
        """The room's geometry (renderers.acoustic.rooms.RoomModel), cached for the last rooms."""
        key = json.dumps(to_plain(room), sort_keys=True)
        model = self._room_models.get(key)
        if model is None:
            model = build_room(room, self.spec.resolved["audio"]["sample_rate"])
            self._room_models[key] = model
            while len(self._room_models) > 16:
                self._room_models.pop(next(iter(self._room_models)))
        return model

    def _reach(self, room: Room) -> float:
        """How far ahead (+x) of the head an object may extend in this room, m."""
        far = self.spec.resolved["objects"]["max_distance_m"]
        kind = ROOM_KINDS.get(room.type)
        if not kind.bounded:
            return far
        return min(far, float(kind.bounds(room)[1][0] - room.listener_position_m[0]))

    def _distance_to_bounds(self, room: Room, unit: np.ndarray) -> float:
        """Distance from the head along ``unit`` to the room's axis-aligned bounds, m."""
        lo, hi = ROOM_KINDS.get(room.type).bounds(room)
        origin = np.asarray(room.listener_position_m, float)
        with np.errstate(divide="ignore"):
            t = np.where(unit > 0, (hi - origin) / unit, np.where(unit < 0, (lo - origin) / unit, np.inf))
        return float(t.min())

    def _inside_room(self, room: Room, points_head: np.ndarray, margin: float = 0.05) -> bool:
        """True if every point (head frame) lies inside the room by ``margin`` metres."""
        if not ROOM_KINDS.get(room.type).bounded:
            return True
        model = self.room_model(room)
        return bool(np.all(model.contains(np.asarray(points_head) + np.asarray(room.listener_position_m),
                                          margin=margin)))

    def _inside_room_fn(self, room: Room) -> Callable[[np.ndarray, float], bool]:
        """``(points (head frame), margin) -> inside`` for this room (trajectories, motion_sampler)."""
        return lambda points, margin: self._inside_room(room, points, margin=margin)

    def _option(self, condition: str, key: str, rng: np.random.Generator):
        """A value of the spec's ``conditions.<condition>.<key>`` (drawn if it is random)."""
        path = f"conditions.{condition}.{key}"
        return self.spec.sample(path, rng) if path in self.spec.dists else self.spec.get(path)

    def _bin_area(self, size_bin: str, rng: np.random.Generator) -> float:
        """A mask-area fraction inside the bin, kept BIN_EDGE_MARGIN away from its edges."""
        r = self.spec.resolved["target"]
        lo, hi = SIZE_BINS[size_bin]
        lo = max(lo, r["min_area_fraction"])
        return float(rng.uniform(lo * (1 + BIN_EDGE_MARGIN), hi * (1 - BIN_EDGE_MARGIN)))

    def _target_pixel(self, rng: np.random.Generator, keep_inside: float = 0.0) -> tuple[float, float]:
        """A target centre, uniform over the image inside ``target.margin`` and at least
        ``keep_inside`` pixels from every border."""
        m = self.spec.resolved["target"]["margin"]
        lo_u, hi_u = max(m * self.width, keep_inside), min((1 - m) * self.width, self.width - keep_inside)
        lo_v, hi_v = max(m * self.height, keep_inside), min((1 - m) * self.height, self.height - keep_inside)
        return float(rng.uniform(lo_u, max(lo_u, hi_u))), float(rng.uniform(lo_v, max(lo_v, hi_v)))

    @property
    def _bin_weights(self) -> dict[str, float]:
        """The size bins a sample may be planned in, with their probabilities (``target.size_bin``)."""
        dist = self.spec.dists["target.size_bin"]
        return dist.probabilities() if isinstance(dist, Choice) else {dist.value: 1.0}

    def _reaches(self, category: str, size_bin: str) -> bool:
        """Can ``category`` fill ``size_bin`` under any camera and room of the spec (the test the
        plan's categories pass, :func:`simulator.feasibility.feasible`)? Remembered per pair."""
        key = (category, size_bin)
        if key not in self._reach_memo:
            r = self.spec.resolved
            args = feasibility_args(r, self.spec.dists, self.library)
            self._reach_memo[key] = feasible(self.library, category, size_bin, args[0], args[1], args[2], args[3],
                                             args[4], args[5], args[6])
        return self._reach_memo[key]

    def _bin_for(self, category: str, rng: np.random.Generator) -> str | None:
        """A size bin for an object of ``category`` whose bin the rule did not draw: drawn from
        ``target.size_bin``'s distribution restricted to the bins the category can reach (None if
        it reaches none)."""
        weights = {b: w for b, w in self._bin_weights.items() if self._reaches(category, b)}
        if not weights:
            return None
        bins = list(weights)
        p = np.asarray([weights[b] for b in bins], float)
        return bins[int(rng.choice(len(bins), p=p / p.sum()))]

    def _reachable(self, category: str, size_bin: str, hfov_deg: float, reach: float,
                   floor: FloorReach | None = None) -> bool:
        r = self.spec.resolved
        return feasible(self.library, category, size_bin, r["objects"]["min_distance_m"], hfov_deg, self.width,
                        self.height, r["target"]["min_area_fraction"], reach, floor)

    def _mesh_and_yaw(self, category: str, area: float, hfov_deg: float, reach: float, rng: np.random.Generator,
                      floor: FloorReach | None = None):
        """A mesh of the category and a yaw at which it can cover ``area`` of the image without
        coming closer than objects.min_distance_m, or than the floor allows (``floor``) (yaw
        redrawn up to MAX_YAW_DRAWS times)."""
        min_dist = self.spec.resolved["objects"]["min_distance_m"]
        max_dist = reach

        def fits(m, yaw):
            return reachable(self.library.silhouette(m), yaw, area, min_dist, hfov_deg, self.width, self.height,
                             max_dist, m.radius_m,
                             floor.min_depth_m(float(m.size_m[2])) if floor is not None else 0.0,
                             (lambda d, f: floor.visible_factor(float(m.size_m[2]), d, f)) if floor is not None
                             else None)

        assets = self.library.meshes[category]
        if all(m.silhouette is not None for m in assets):
            candidates = [m for m in assets if any(fits(m, float(y)) for y in YAWS_DEG)] or assets
            mesh = candidates[int(rng.integers(len(candidates)))]
        else:
            mesh = self._imported_mesh(category, fits, rng)
        for _ in range(MAX_YAW_DRAWS):
            yaw = float(self.spec.sample("objects.yaw_deg", rng))
            if fits(mesh, yaw):
                break
        return mesh, yaw

    def _imported_mesh(self, category: str, fits: Callable, rng: np.random.Generator) -> MeshAsset:
        """A mesh of an imported collection (prepared on first use, so not all are loaded): drawn
        without replacement until one fits at some yaw, which is uniform over the meshes that fit,
        like the draw above; a mesh found broken is skipped (the library warns) and another drawn.
        None of MAX_MESH_DRAWS usable meshes fits: the first of them."""
        pool = list(self.library.meshes[category])
        first, tried = None, 0
        while pool and tried < MAX_MESH_DRAWS:
            try:
                mesh = self.library.resolve_mesh(pool.pop(int(rng.integers(len(pool)))))
            except BrokenMesh:
                continue
            if any(fits(mesh, float(y)) for y in YAWS_DEG):
                return mesh
            first, tried = first or mesh, tried + 1
        if first is None:
            raise PlacementError(f"every mesh of category {category!r} is broken (see the warnings)")
        return first

    def _source(self, source_id: int, category: str, rng: np.random.Generator) -> Source:
        """A source of ``category``: clip, offset into it and gain drawn; position set later.

        The offset is uniform over the offsets whose excerpt of ``audio.duration`` (looped as the
        audio renderer loops it, at the library's rate) is active: its RMS at least
        :data:`simulator.assets.library.ACTIVE_EXCERPT_DB` relative to the clip's loudest 50 ms
        (:meth:`simulator.assets.library.AssetLibrary.active_offsets`); one draw, the same offset
        as a draw over the whole clip when every excerpt of the clip is active. A clip with no
        active excerpt is left out, with a warning, like a broken one, and another drawn."""
        clips = list(self.library.sounds[category])
        sr = self.library.sample_rate
        n = int(round(float(self.spec.resolved["audio"]["duration"]) * sr))
        while True:   # an imported clip found broken on first use is left out and another drawn
            clip = clips[int(rng.integers(len(clips)))]
            try:
                active = self.library.active_offsets(clip, n)
                if active.count:
                    break
                problem = active.no_active_reason(clip, n, sr)
            except BrokenClip as exc:
                problem = str(exc)
            warnings.warn(f"skipped {problem}", UserLibraryWarning, stacklevel=2)
            clips.remove(clip)
            if not clips:
                raise PlacementError(f"every clip of category {category!r} is broken or silent ({problem})") from None
        offset = active.offset_s(float(rng.uniform(0.0, active.count / sr)), sr)
        gain = float(self.spec.sample("source.gain_db", rng))
        return Source(id=source_id, category=category, clip=clip, position_m=(1.0, 0.0, 0.0), gain_db=gain,
                      clip_offset_s=offset)

    def _offscreen_position(self, camera: Camera, room: Room, region: str, distance: float,
                            rng: np.random.Generator) -> tuple[float, float, float]:
        """A point ``distance`` m from the head, outside the field of view, in ``region``:
        behind (|azimuth| > 120), left/right (10 degrees or more beyond the horizontal field of
        view, |azimuth| <= 120) or above (10 degrees or more beyond the vertical field of view).
        In a room the distance is shortened, if needed, to stay 0.3 m inside the room's bounds."""
        pin = cam.pinhole(camera)
        half_h, half_v = 0.5 * camera.hfov_deg, 0.5 * pin.vfov_deg
        for _ in range(100):
            if region == "behind":
                az, el = float(rng.uniform(120.0, 240.0)), float(rng.uniform(-20.0, 40.0))
            elif region in ("left", "right"):
                az = float(rng.uniform(min(half_h + 10.0, 120.0), 120.0)) * (1 if region == "left" else -1)
                el = float(rng.uniform(-20.0, 40.0))
            else:
                az, el = float(rng.uniform(-60.0, 60.0)), float(rng.uniform(min(half_v + 10.0, 85.0), 85.0))
            d = distance
            if ROOM_KINDS.get(room.type).bounded:
                d = min(d, self._distance_to_bounds(room, spherical_to_cartesian(az, el, 1.0)) - 0.3)
                if d < 0.5:
                    continue
            p = spherical_to_cartesian(az, el, d)
            if not self._inside_room(room, np.asarray([p]), margin=0.2):
                continue
            if not cam.source_on_screen(camera, p) and not pin.in_view(p):
                return tuple(float(x) for x in p)
        raise PlacementError(f"no off-screen point found in region {region!r}")


    def layout(self, draft: Draft, measure_areas: Callable[[Scene, list[int]], dict[int, float]],
               instance_ids: Callable[[Scene], np.ndarray],
               amodal: Callable[[Scene, list[int]], dict[int, np.ndarray]]) -> Scene:
        """:meth:`place` then :meth:`settle_visibility`. With ``objects.unplaceable: redraw`` a
        layout that fails (PlacementError) is placed again up to LAYOUT_RETRIES times, each object
        at a fresh pixel (uniform inside ``target.margin``) and first-guess depth, with a fresh
        render seed (so a fresh placing order); the objects, their size bins, areas, meshes and
        yaws stay. The last failure is raised (the sample is redrawn). With floor support the
        camera is tipped first (:meth:`_anchor_camera`), on every try."""
        retries = LAYOUT_RETRIES if self.spec.resolved["objects"]["unplaceable"] == "redraw" else 0
        first_seed = draft.scene.render_seed
        for retry in range(retries + 1):
            if retry:
                self._fresh_pixels(draft, np.random.Generator(np.random.PCG64([first_seed, LAYOUT_RETRY_SALT, retry])))
            try:
                if draft.floor:
                    self._anchor_camera(draft, measure_areas)
                scene = self.place(draft, measure_areas)
                scene = self.settle_visibility(draft, scene, instance_ids, amodal, measure_areas)
                return draw_motions(scene, self.spec, self._inside_room_fn(scene.room),   # trajectories (t = 0 kept)
                                    lambda oid: self._posed_vertices(scene.object_by_id(oid)))
            except PlacementError:
                if retry == retries:
                    raise
        raise AssertionError("unreachable")

    def _fresh_pixels(self, draft: Draft, rng: np.random.Generator) -> None:
        """Every object of the draft at a fresh pixel and its first-guess depth; a fresh render seed."""
        scene = draft.scene
        scene.render_seed = int(rng.integers(2**31))
        pin = cam.pinhole(scene.camera)
        for obj in scene.objects:
            intent = draft.intents[obj.id]
            intent.u, intent.v = self._target_pixel(rng)
            intent.depth = None
            depth = initial_depth(self.library.silhouette(intent.mesh), obj.yaw_deg, intent.area, pin)
            obj.position_m = tuple(float(x) for x in pin.unproject(intent.u, intent.v, depth))

    def place(self, draft: Draft, measure_areas: Callable[[Scene, list[int]], dict[int, float]]) -> Scene:
        """Fit every object's depth to its intended area, keeping objects apart.

        ``measure_areas(scene, ids)`` returns the fraction of the image each listed object's
        unoccluded silhouette covers. The objects are placed in an order drawn from the Scene's
        render seed, the same way whatever their role: each goes to its drawn pixel, or to another
        one (up to MAX_RELOCATIONS) where it would intersect an object placed before it or leave
        the room or the distance range; then all are fitted together, and one that the fit moves
        into an earlier one is moved again (:meth:`_place_others`). So no role is placed first
        and pushes the others aside. An object that cannot be placed raises PlacementError (the
        sample is redrawn) when the condition needs it (the sized object, a semantic target or a
        source's object) or ``objects.unplaceable`` is ``redraw``; otherwise (``leave_out``, the
        default) it is left out."""
        scene = draft.scene
        order = np.random.Generator(np.random.PCG64([scene.render_seed, PLACE_ORDER_SALT])).permutation(
            sorted(draft.intents))
        kept: set[int] = set()
        self._place_others([int(oid) for oid in order], scene, draft, kept, measure_areas, 0)
        self._keep(scene, draft, kept)
        return scene

    def _place_others(self, ids: list[int], scene: Scene, draft: Draft, kept: set[int],
                      measure_areas: Callable[[Scene, list[int]], dict[int, float]], salt: int) -> None:
        """Place the listed objects clear of ``kept`` and fit them (together); one that the fit
        moves into another object or out of range is moved again, for MAX_PLACE_ROUNDS rounds.
        The ids placed are added to ``kept``."""
        todo = list(ids)
        for round_ in range(MAX_PLACE_ROUNDS):
            placed: list[int] = []
            for oid in todo:  # clear of the objects kept and of those placed before it in this round
                if self._relocate(scene, draft, oid, kept | set(placed), first_try_drawn=salt == 0 and round_ == 0,
                                  salt=salt * MAX_PLACE_ROUNDS + round_):
                    placed.append(oid)
            fitted = self._fit(scene, draft, placed, measure_areas)
            todo = []
            for oid in fitted:
                if self._misfit(scene, draft, oid, kept) is None:
                    kept.add(oid)
                else:  # the fitted depth moved it into another object or out of range
                    todo.append(oid)
            if not todo:
                return

    def settle_visibility(self, draft: Draft, scene: Scene, instance_ids: Callable[[Scene], np.ndarray],
                          amodal: Callable[[Scene, list[int]], dict[int, np.ndarray]],
                          measure_areas: Callable[[Scene, list[int]], dict[int, float]]) -> Scene:
        """Apply the occlusion rule to every object alike: each keeps its visible area (in the
        ``instance_ids`` image) in its own size bin and at most ``objects.max_occlusion`` of its
        unoccluded silhouette (``amodal``) hidden. When an object breaks it, the objects in front of
        it (or, with none, the object itself) are moved to other pixels and refitted, whatever
        their role, so that a hidden object ends up as visible whether it sounds or not.
        After MAX_VISIBILITY_ROUNDS rounds, objects still breaking it are left out or raise
        PlacementError, as in :meth:`place`."""
        max_occlusion = float(self.spec.resolved["objects"]["max_occlusion"])
        for round_ in range(MAX_VISIBILITY_ROUNDS + 1):
            ids = instance_ids(scene)
            masks = amodal(scene, [o.id for o in scene.objects])
            broken = [o.id for o in scene.objects
                      if not _keeps_visibility(ids, masks[o.id], o.id, draft.intents[o.id].size_bin, max_occlusion)]
            if not broken:
                return scene
            if round_ == MAX_VISIBILITY_ROUNDS:
                break
            movers: set[int] = set()
            for oid in broken:
                front = set(np.unique(ids[masks[oid]]).tolist()) - {0, oid}
                movers |= front or {oid}   # the objects in front move; with none, the object itself
            kept = {o.id for o in scene.objects if o.id not in movers}
            self._place_others(sorted(movers), scene, draft, kept, measure_areas, round_ + 1)
            self._keep(scene, draft, kept)
        self._keep(scene, draft, {o.id for o in scene.objects} - set(broken))
        return scene

    def _fit(self, scene: Scene, draft: Draft, ids: list[int],
             measure_areas: Callable[[Scene, list[int]], dict[int, float]]) -> list[int]:
        """Fit the listed objects' depths to their intended areas (:func:`fit_depths`); the ids
        of those visible at their pixels."""
        if not ids:
            return []
        pin = cam.pinhole(scene.camera)
        if not draft.floor:
            return list(fit_depths(scene, {oid: draft.intents[oid] for oid in ids}, pin, measure_areas))
        # on the floor its row follows from its depth
        place = lambda oid, depth: self._on_floor(scene, scene.object_by_id(oid), pin,  # noqa: E731
                                                  draft.intents[oid], depth)
        fitted = fit_depths(scene, {oid: draft.intents[oid] for oid in ids}, pin, measure_areas, place=place)
        self._hold_in_margin(scene, draft, fitted, pin, measure_areas)
        return list(fitted)

    def _hold_in_margin(self, scene: Scene, draft: Draft, fitted: dict[int, float], pin,
                        measure_areas: Callable[[Scene, list[int]], dict[int, float]]) -> None:
        """The anchor's rule (:meth:`_tip_for`) for every object on the floor: one whose fitted
        depth puts it on a row outside ``target.margin`` is held on the margin's edge row and
        keeps the area it has there if that is inside its bin (else it stays out, and is moved)."""
        m = self.spec.resolved["target"]["margin"]
        held: dict[int, tuple[float, tuple]] = {}
        for oid, depth in fitted.items():
            obj, intent = scene.object_by_id(oid), draft.intents[oid]
            if m * self.height <= intent.v <= (1 - m) * self.height:
                continue
            drop = float(pin.position[2]) - self._rest_z(scene.room, obj)
            edge = (1 - m) * self.height if intent.v > (1 - m) * self.height else m * self.height
            depth_at_edge = floor_depth(pin, drop, edge)
            if not np.isfinite(depth_at_edge):
                continue
            held[oid] = (intent.v, obj.position_m)
            obj.position_m = self._on_floor(scene, obj, pin, intent, depth_at_edge)
            intent.v = float(np.clip(intent.v, m * self.height, (1 - m) * self.height))  # rounding
        if not held:
            return
        areas = measure_areas(scene, sorted(held))
        for oid, (v, position) in held.items():
            intent = draft.intents[oid]
            if areas[oid] > 0 and (intent.size_bin is None or self._area_in_bin(areas[oid], intent.size_bin)):
                intent.area = float(areas[oid])
                fitted[oid] = float(pin.to_camera(np.asarray(scene.object_by_id(oid).position_m))[0])
            else:  # back where the fit put it (outside the margin: it is moved)
                intent.v = v
                scene.object_by_id(oid).position_m = position

    def _misfit(self, scene: Scene, draft: Draft, oid: int, others: set[int]) -> str | None:
        """Why object ``oid`` cannot stay where it is (nearer than objects.min_distance_m, farther
        than objects.max_distance_m, outside the room, its posed bounding box within
        OBJECT_GAP_M of one of ``others``'), or None."""
        r = self.spec.resolved["objects"]
        obj = scene.object_by_id(oid)
        vertices = self._posed_vertices(obj)
        dist = np.linalg.norm(vertices, axis=1)
        near, far = float(dist.min()), float(dist.max())
        floor = obj.support == "floor"
        if floor:  # its row follows from its depth: it must lie inside the margin like a drawn one
            m = self.spec.resolved["target"]["margin"]
            v = draft.intents[oid].v
            if not m * self.height - 1e-6 <= v <= (1 - m) * self.height + 1e-6:
                return f"rests on the floor at row {v:.1f}, outside the image's margin"
        inside = self._inside_room(scene.room, vertices + np.array([0.0, 0.0, FLOOR_LIFT_M]) if floor else vertices)
        if near < r["min_distance_m"] or far > r["max_distance_m"] or not inside:
            return f"spans {near:.2f}-{far:.2f} m: too near, too far or outside the room"
        box = self._box(obj, draft.intents[oid].mesh)
        for other in sorted(others):
            other_box = self._box(scene.object_by_id(other), draft.intents[other].mesh)
            if boxes_intersect(*box, *other_box, gap=OBJECT_GAP_M):
                return f"intersects object {other}"
        return None

    @staticmethod
    def _box(obj: SceneObject, mesh: MeshAsset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The object's posed bounding box: centre (head frame, m), rotation, half extents (m)."""
        rotation = pose_matrix(obj.position_m, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, 1.0)[:3, :3]
        return np.asarray(obj.position_m, float), rotation, 0.5 * float(obj.scale) * np.asarray(mesh.size_m, float)

    def _relocate(self, scene: Scene, draft: Draft, oid: int, kept: set[int], first_try_drawn: bool,
                  salt: int = 0) -> bool:
        """Put object ``oid`` at its first-guess depth on its drawn pixel (if ``first_try_drawn``)
        or on other pixels drawn from a generator seeded by the Scene, until it fits
        (:meth:`_misfit` against ``kept``). False if no pixel worked (the object is left out).

        With floor support only the column u is drawn: the row follows from the depth (the object
        rests on the floor, :meth:`_on_floor`), and the depth from the area, so another pixel also
        draws another area in the object's size bin, uniform over the areas whose first-guess depth
        puts it on a row inside the margin, or, for an object whose bin is not planned and cannot
        be on such a row, another bin (:meth:`_floor_area`)."""
        obj = scene.object_by_id(oid)
        intent = draft.intents[oid]
        pin = cam.pinhole(scene.camera)
        depth = initial_depth(self.library.silhouette(intent.mesh), obj.yaw_deg, intent.area, pin)
        pixels = np.random.Generator(np.random.PCG64([scene.render_seed, oid, salt]))
        for trial in range(MAX_RELOCATIONS + 1):
            if trial or not first_try_drawn:
                intent.u, intent.v = self._target_pixel(pixels)
                if draft.floor:
                    intent.depth = None
                    if intent.size_bin is not None:
                        intent.size_bin, intent.area = self._floor_area(scene, obj, intent, pin, pixels,
                                                                        keep_bin=oid == draft.sized_object)
            if draft.floor:
                depth = intent.depth if intent.depth is not None else initial_depth(
                    self.library.silhouette(intent.mesh), obj.yaw_deg, intent.area, pin)
                obj.position_m = self._on_floor(scene, obj, pin, intent, depth)
            else:
                obj.position_m = tuple(float(x) for x in pin.unproject(intent.u, intent.v, depth))
            if self._misfit(scene, draft, oid, kept) is None:
                return True
        return False

    # -- floor support (docs/support.md) -------------------------------------------------------
    def _floor_z(self, room: Room) -> float:
        """Height of the room's floor in the world (head) frame, m."""
        lo, _ = ROOM_KINDS.get(room.type).bounds(room)
        return float(lo[2] - room.listener_position_m[2])

    def _floor_reach(self, camera: Camera, room: Room) -> FloorReach:
        """How near the floor lets an object come in this sample (:class:`FloorReach`)."""
        c = self.spec.resolved["camera"]
        f = focal_px(camera.hfov_deg, self.width)
        row = float(np.degrees(np.arctan((0.5 - self.spec.resolved["target"]["margin"]) * self.height / f)))
        return FloorReach(float(camera.position_m[2]) - self._floor_z(room), float(c["max_pitch_deg"]), row,
                          self.spec.resolved["target"]["margin"] * self.height)

    def _rest_z(self, room: Room, obj: SceneObject) -> float:
        """The height (world frame) of the object's centre when its lowest posed vertex touches
        the floor."""
        key = (obj.mesh, obj.pitch_deg, obj.roll_deg, obj.scale)  # yaw turns about +z: heights stay
        if key not in self._lowest:
            vertices = np.asarray(self.library.load_mesh(obj.mesh).vertices, float)
            pose = pose_matrix((0.0, 0.0, 0.0), 0.0, obj.pitch_deg, obj.roll_deg, obj.scale)
            self._lowest[key] = float((vertices @ pose[:3, :3].T)[:, 2].min())
        return self._floor_z(room) - self._lowest[key]

    def _on_floor(self, scene: Scene, obj: SceneObject, pin, intent: ObjectIntent,
                  depth: float) -> tuple[float, float, float]:
        """The position at which the object, at ``depth`` (m along the optical axis) and in column
        ``intent.u``, rests on the floor; its row is stored in ``intent.v`` (:func:`floor_row`)."""
        rest = self._rest_z(scene.room, obj)
        intent.v = floor_row(pin, float(pin.position[2]) - rest, depth)
        p = pin.unproject(intent.u, intent.v, depth)
        return float(p[0]), float(p[1]), rest  # exactly on the floor

    def _anchor_camera(self, draft: Draft, measure_areas: Callable[[Scene, list[int]], dict[int, float]]) -> None:
        """Tip the camera (``camera.pitch_deg``) so that one object, drawn uniformly among them
        from the render seed whatever its role (the anchor), at its drawn pixel and fitted to its
        drawn area, rests on the floor. (Anchoring on the sized object always would favour it: the
        camera adapts to it, so it could be large anywhere in the image while the others, whose
        rows follow from their depths, can be large only low in the image; the no-audio baselines
        ``largest`` and ``nearest`` then found the sounding object above chance.)

        The fitted depth depends a little on the pitch (the object stays upright, so a tipped
        camera sees more of its top): each step puts the object at a depth with the pitch solved
        for it (:func:`solve_pitch`), measures its area (one silhouette pass) and scales the depth
        by sqrt(measured / drawn), until the area is within FIT_TOLERANCE of the drawn one (at most
        ANCHOR_ROUNDS steps). The pitch is always solved for the depth measured, so the object
        lies on the floor exactly and on its drawn pixel. A pitch outside ``camera.min_pitch_deg``..``max_pitch_deg`` (or none: the
        object cannot be that near below the camera) raises PlacementError (redrawn)."""
        scene, camera = draft.scene, draft.scene.camera
        level = cam.pinhole(dataclasses.replace(camera, pitch_deg=0.0))
        camera.pitch_deg = 0.0
        if draft.intents:  # drawn whatever its role, so no role alone gets the camera's favour
            ids = sorted(draft.intents)
            oid = ids[int(np.random.Generator(np.random.PCG64([scene.render_seed, ANCHOR_SALT])).integers(len(ids)))]
            self._tip_for(draft, oid, measure_areas)
        self._follow_camera(draft, level)

    def _follow_camera(self, draft: Draft, level) -> None:
        """After tipping: a point source stays on its disk's pixel at its depth (drawn for the
        ``level`` camera), and an off-screen source that the tipped camera sees is drawn again
        (from a generator seeded by the Scene) in its region."""
        scene = draft.scene
        disks = {d.source_id: d for d in scene.targets.disks}
        offscreen = [(s, draft.cast.sources[s.id - 1].region) for s in scene.sources if s.placement == "offscreen"]
        neg = scene.manipulations.negatives
        if neg is not None and neg.offscreen is not None:
            offscreen.append((neg.offscreen.source, neg.offscreen.region))
        for src in scene.sources:
            if src.placement == "point" and src.id in disks:
                d = disks[src.id]
                depth = float(level.to_camera(np.asarray(src.position_m, float))[0])
                src.position_m = cam.source_at_pixel(scene.camera, d.u, d.v, depth)
        pin = cam.pinhole(scene.camera)
        for k, (src, region) in enumerate(offscreen):
            if cam.source_on_screen(scene.camera, src.position_m) or bool(pin.in_view(np.asarray(src.position_m))):
                rng = np.random.Generator(np.random.PCG64([scene.render_seed, OFFSCREEN_SALT, k]))
                distance = float(np.linalg.norm(src.position_m))
                src.position_m = self._offscreen_position(scene.camera, scene.room, region, distance, rng)

    def _tip_for(self, draft: Draft, oid: int, measure_areas) -> None:
        """:meth:`_anchor_camera` for object ``oid``."""
        scene, camera = draft.scene, draft.scene.camera
        c = self.spec.resolved["camera"]
        obj, intent = scene.object_by_id(oid), draft.intents[oid]
        drop = float(camera.position_m[2]) - self._rest_z(scene.room, obj)
        near, far = depth_range(cam.pinhole(camera), intent.v, drop, c["min_pitch_deg"], c["max_pitch_deg"])
        if not near <= far:
            raise PlacementError(f"no camera pitch in [{c['min_pitch_deg']}, {c['max_pitch_deg']}] shows the floor "
                                 f"at row {intent.v:.1f}")

        def tip(depth: float):
            pitch = solve_pitch(cam.pinhole(camera), intent.v, depth, drop)
            camera.pitch_deg = float(np.clip(pitch, c["min_pitch_deg"], c["max_pitch_deg"]))
            return cam.pinhole(camera)

        depth = initial_depth(self.library.silhouette(intent.mesh), obj.yaw_deg, intent.area, cam.pinhole(camera))
        for _ in range(ANCHOR_ROUNDS):
            held = min(max(depth, near), far)
            pin = tip(held)
            obj.position_m = tuple(float(x) for x in pin.unproject(intent.u, intent.v, held))
            area = float(measure_areas(scene, [oid])[oid])
            if area <= 0:
                raise PlacementError(f"object {oid} is not in view at its pixel")
            ratio = area / intent.area
            if abs(ratio - 1.0) < FIT_TOLERANCE:
                depth = held
                break
            depth = held * float(np.sqrt(ratio))   # area scales as 1 / depth**2 (as fit_depths)
            if held in (near, far) and min(max(depth, near), far) == held:
                break   # it wants to go past the bound it is held at: the floor cannot give its area
        measured = (held, area)
        held = min(max(depth, near), far)
        if held != depth:  # the floor cannot hold it at the depth its area asks on this row
            if measured[0] == held and (intent.size_bin is None or self._area_in_bin(measured[1], intent.size_bin)):
                area = measured[1]   # held at the bound it wanted to pass, already measured there, in its bin
            else:
                held, area = self._best_floor_depth(scene, oid, intent, near, far, tip, measure_areas)
            intent.area = area  # it keeps the area it has there, in its bin
        pin = tip(held)
        intent.depth = held
        v = intent.v
        obj.position_m = self._on_floor(scene, obj, pin, intent, held)
        intent.v = v  # the drawn row (the floor's row differs by rounding only)

    def _best_floor_depth(self, scene: Scene, oid: int, intent: ObjectIntent, near: float, far: float, tip,
                          measure_areas) -> tuple[float, float]:
        """The anchor's depth when its drawn area cannot be had on the floor on its row and the
        bound it was held at gives no area in its bin: seen from
        ever higher above as it comes nearer, an upright object may even shrink, so the depths
        ``near * FLOOR_DEPTH_STEP**k`` (up to ``far``) are measured, each with its pitch, and the
        one whose area is nearest the drawn one (in ratio) among those inside the object's bin is
        taken; PlacementError if none is."""
        obj = scene.object_by_id(oid)
        best = None
        for k in range(FLOOR_DEPTH_STEPS):
            depth = near * FLOOR_DEPTH_STEP ** k
            if depth > far:
                break
            pin = tip(depth)
            obj.position_m = tuple(float(x) for x in pin.unproject(intent.u, intent.v, depth))
            area = float(measure_areas(scene, [oid])[oid])
            if area > 0 and (intent.size_bin is None or self._area_in_bin(area, intent.size_bin)):
                miss = abs(np.log(area / intent.area))
                if best is None or miss < best[0]:
                    best = (miss, depth, area)
        if best is None:
            raise PlacementError(f"object {oid} cannot rest on the floor at row {intent.v:.1f} inside "
                                 f"{intent.size_bin}")
        return best[1], best[2]

    def _floor_area(self, scene: Scene, obj: SceneObject, intent: ObjectIntent, pin, rng: np.random.Generator,
                    keep_bin: bool) -> tuple[str, float]:
        """A size bin and an area for an object on the floor: the area uniform over the part of the
        bin (as :meth:`_bin_area`) whose first-guess depth (:func:`initial_depth`) puts the object
        on the floor on a row inside ``target.margin`` at the camera's pitch. When no part of its
        bin does, an object whose bin is not planned (``keep_bin`` False: not the sized object)
        draws another bin as :meth:`_bin_for` does (``target.size_bin``'s weights over the bins its
        category reaches), among those with such a part; otherwise it keeps its bin and the area
        is drawn over the whole bin (it will not fit: another pixel is tried)."""
        m = self.spec.resolved["target"]["margin"]
        drop = float(pin.position[2]) - self._rest_z(scene.room, obj)
        silhouette, _ = at_yaw(self.library.silhouette(intent.mesh), obj.yaw_deg)
        scale = silhouette * pin.focal_px ** 2 / (pin.width * pin.height)  # area = scale / depth**2
        depths = [floor_depth(pin, drop, v) for v in (m * self.height, (1 - m) * self.height)]
        # and no farther than the room ahead lets it be (its far side short of the wall ahead)
        pitch = np.radians(float(pin.pitch_deg))
        ahead = self._reach(scene.room) - intent.mesh.radius_m
        near = min(depths)
        far = min(max(depths), max(ahead, 0.0) * np.cos(pitch) + drop * np.sin(pitch))
        window = [scale / far ** 2, scale / near ** 2] if 0.0 < near <= far else [np.inf, np.inf]

        def part(size_bin: str) -> tuple[float, float] | None:
            lo, hi = SIZE_BINS[size_bin]
            lo = max(lo, self.spec.resolved["target"]["min_area_fraction"]) * (1 + BIN_EDGE_MARGIN)
            a, b = max(lo, window[0]), min(hi * (1 - BIN_EDGE_MARGIN), window[1])
            return (a, b) if a < b else None

        size_bin = intent.size_bin
        if part(size_bin) is None and not keep_bin:
            weights = {b: w for b, w in self._bin_weights.items()
                       if w > 0 and part(b) is not None and self._reaches(obj.category, b)}
            if weights:
                bins = list(weights)
                p = np.asarray([weights[b] for b in bins], float)
                size_bin = bins[int(rng.choice(len(bins), p=p / p.sum()))]
        span = part(size_bin)
        if span is None:
            lo, hi = SIZE_BINS[size_bin]
            span = (max(lo, self.spec.resolved["target"]["min_area_fraction"]) * (1 + BIN_EDGE_MARGIN),
                    hi * (1 - BIN_EDGE_MARGIN))
        return size_bin, float(rng.uniform(*span))

    def _bin_low(self, size_bin: str) -> float:
        """The lowest area :meth:`_bin_area` draws in ``size_bin``."""
        return max(SIZE_BINS[size_bin][0], self.spec.resolved["target"]["min_area_fraction"]) * (1 + BIN_EDGE_MARGIN)

    def _area_in_bin(self, area: float, size_bin: str) -> bool:
        """Is ``area`` inside the part of ``size_bin`` the sampler draws areas from (:meth:`_bin_area`)?"""
        lo, hi = SIZE_BINS[size_bin]
        lo = max(lo, self.spec.resolved["target"]["min_area_fraction"])
        return lo * (1 + BIN_EDGE_MARGIN) <= area <= hi * (1 - BIN_EDGE_MARGIN)

    def _keep(self, scene: Scene, draft: Draft, kept: set[int]) -> None:
        """Leave out the objects not in ``kept`` (PlacementError if the condition needs one: the
        sized object, a semantic target, a source's object; with ``objects.unplaceable: redraw``
        every object is needed), put object sources on their objects and the backdrop
        behind every object."""
        needed = set(scene.targets.semantic) | {s.object_id for s in scene.sources if s.object_id is not None}
        if draft.sized_object is not None:
            needed.add(draft.sized_object)
        if self.spec.resolved["objects"]["unplaceable"] == "redraw":
            needed |= {o.id for o in scene.objects}
        if needed - kept:
            raise PlacementError(f"objects {sorted(needed - kept)} could not be placed")
        scene.objects = [o for o in scene.objects if o.id in kept]
        if scene.background.kind == "backdrop":  # behind every object
            far = max((float(np.linalg.norm(self._posed_vertices(o), axis=1).max()) for o in scene.objects),
                      default=BACKDROP_MIN_DISTANCE_M)
            scene.background.distance_m = max(far + 0.5, BACKDROP_MIN_DISTANCE_M)
        for src in scene.sources:
            if src.placement == "point" and not self._inside_room(scene.room, np.asarray([src.position_m])):
                raise PlacementError("the sounding point lies outside the room")
        for src in scene.sources:
            if src.object_id is not None:
                src.position_m = scene.object_by_id(src.object_id).position_m

    def _posed_vertices(self, obj: SceneObject) -> np.ndarray:
        """The object's mesh vertices in the head frame, (n, 3) metres."""
        vertices = np.asarray(self.library.load_mesh(obj.mesh).vertices)
        pose = pose_matrix(obj.position_m, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale)
        return vertices @ pose[:3, :3].T + pose[:3, 3]


def initial_depth(silhouette: dict, yaw_deg: float, area_fraction: float, pin) -> float:
    """First guess of the depth (metres along +x) at which the mesh covers ``area_fraction`` of
    the image, from its orthographic silhouette area at this yaw."""
    area, _ = at_yaw(silhouette, yaw_deg)
    return float(pin.focal_px * np.sqrt(area / (area_fraction * pin.width * pin.height)))


def fit_depths(scene: Scene, intents: dict[int, ObjectIntent], pin,
               measure_areas: Callable[[Scene, list[int]], dict[int, float]], tolerance: float = FIT_TOLERANCE,
               iterations: int = 6, place: Callable[[int, float], tuple] | None = None) -> dict[int, float]:
    """Move each listed object along its pixel's ray until its silhouette covers its intended
    area (within ``tolerance``, relative); all objects still off are measured together in one
    call per iteration. Returns the depths (metres along +x) of the objects it could fit; one
    not in view at its pixel is left out. ``place(id, depth)``: the object's position at a depth
    instead (floor support: along the floor, its row following its depth).

    Area scales as 1/depth**2, so each step multiplies depth by sqrt(measured / wanted).
    """
    if place is None:
        place = lambda oid, depth: tuple(  # noqa: E731
            float(x) for x in pin.unproject(intents[oid].u, intents[oid].v, depth))
    depths = {oid: float(pin.to_camera(np.asarray(scene.object_by_id(oid).position_m))[0]) for oid in intents}
    todo = list(intents)
    for _ in range(iterations):
        for oid in todo:
            scene.object_by_id(oid).position_m = place(oid, depths[oid])
        if not todo:
            break
        areas = measure_areas(scene, todo)
        for oid in list(todo):
            if areas[oid] <= 0:  # not in view at its pixel (e.g. smaller than a pixel): not fitted
                todo.remove(oid)
                del depths[oid]
                continue
            ratio = areas[oid] / intents[oid].area
            if abs(ratio - 1.0) < tolerance:
                todo.remove(oid)
            else:
                depths[oid] *= float(np.sqrt(ratio))
    for oid in todo:
        scene.object_by_id(oid).position_m = place(oid, depths[oid])
    return depths


def solve_pitch(pin, v: float, depth: float, drop: float) -> float | None:
    """The camera pitch (degrees, positive looking down) at which the point at row ``v`` and
    ``depth`` (m along the optical axis) lies ``drop`` metres below the camera, or None if no
    pitch does. With t = (v - cy) / f = tan(a), the point is ``depth * (sin(p) + cos(p) t)``
    below the camera, i.e. ``depth * sin(p + a) / cos(a)``, so ``p = asin(drop cos(a) / depth) - a``
    (the branch with the point in front of the camera). The column and the camera's yaw do not
    matter."""
    alpha = float(np.arctan((v - pin.principal_point[1]) / pin.focal_px))
    s = drop * np.cos(alpha) / depth
    if not -1.0 <= s <= 1.0:
        return None
    return float(np.degrees(np.arcsin(s) - alpha))


def depth_range(pin, v: float, drop: float, min_pitch_deg: float, max_pitch_deg: float) -> tuple[float, float]:
    """The depths (m along the optical axis) at which a point ``drop`` metres below the camera can
    be seen at row ``v`` with a pitch in [min_pitch_deg, max_pitch_deg] (:func:`solve_pitch`: the
    ray's angle below the horizontal, pitch + a, sets ``depth = drop cos(a) / sin(pitch + a)``);
    (inf, 0) if none."""
    alpha = float(np.arctan((v - pin.principal_point[1]) / pin.focal_px))
    lo, hi = np.radians(min_pitch_deg) + alpha, np.radians(max_pitch_deg) + alpha
    lo, hi = max(lo, -0.5 * np.pi), min(hi, 0.5 * np.pi)
    if drop == 0.0:
        return (0.0, float("inf")) if lo <= 0.0 <= hi else (float("inf"), 0.0)
    if drop < 0.0:   # above the camera: the ray must rise
        lo, hi = -hi, -lo
    if hi <= 0.0:
        return float("inf"), 0.0
    near = abs(drop) * np.cos(alpha) / np.sin(hi)
    far = abs(drop) * np.cos(alpha) / np.sin(lo) if lo > 0.0 else float("inf")
    return float(near), float(far)


def floor_depth(pin, drop: float, v: float) -> float:
    """The depth (m along the optical axis) at which a point ``drop`` metres below the camera is
    seen on row ``v``, for the camera's pitch (inverse of :func:`floor_row`); inf where that row
    never shows such a point."""
    p = np.radians(float(pin.pitch_deg))
    k = (v - pin.principal_point[1]) / pin.focal_px * np.cos(p) + np.sin(p)  # drop / depth
    return float(drop / k) if k != 0.0 and drop / k > 0.0 else float("inf")


def floor_row(pin, drop: float, depth: float) -> float:
    """The row v at which a point ``drop`` metres below the camera is seen at ``depth`` (m along
    the optical axis), for the camera's pitch (the inverse of :func:`solve_pitch`)."""
    p = np.radians(float(pin.pitch_deg))
    return float(pin.principal_point[1] + pin.focal_px * (drop / depth - np.sin(p)) / np.cos(p))


def _keeps_visibility(ids: np.ndarray, amodal: np.ndarray, oid: int, size_bin: str | None,
                      max_occlusion: float) -> bool:
    """Does object ``oid`` keep its visible area in ``size_bin`` (not checked when None) and at
    most ``max_occlusion`` of its unoccluded silhouette hidden?"""
    visible = int(np.count_nonzero(ids == oid))
    full = int(np.count_nonzero(amodal))
    if visible == 0 or full == 0:
        return False
    if size_bin is not None and size_bin_of(visible / ids.size) != size_bin:
        return False
    return 1.0 - visible / full <= max_occlusion + 1e-9
