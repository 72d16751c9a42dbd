"""The sampler: from a plan entry and the sample's seed to a Scene.

All random choices of a sample are drawn here, in a fixed order, from
``Generator(PCG64(SeedSequence(spec_seed, spawn_key=(index, attempt))))``. The condition rule of
the sample (``simulator.conditions``) decides the cast (which categories, which object sounds,
which are targets); the sampler draws everything else and places the objects:

* each object gets a pixel centre and a target mask-area fraction; its distance follows from
  its real-world size and the camera (``initial_depth``) and is then refined by measuring its
  silhouette (``fit_depth``), keeping its pixel centre fixed;
* the audio target's centre is uniform over the image inside ``target.margin``, its area is
  uniform inside its size bin (kept 5 % away from the bin's edges);
* other objects never hide the target: any object whose bounding circle in the image overlaps
  the target's is pushed behind it, and objects never interpenetrate (bounding spheres).

The refinement is deterministic (no random draws), so the Scene stored after it replays exactly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import numpy as np

from renderers.acoustic.room_kinds import ROOM_KINDS, build_room

from .assets.library import AssetLibrary, MeshAsset
from .assets.silhouette import YAWS_DEG, at_yaw
from .conditions import get_rule
from .conditions.base import Cast, CastContext
from .core import camera as cam
from .core.geometry import pose_matrix, spherical_to_cartesian
from .core.image import ImageOptions, MeshOptions
from .core.scene import (TEXTURE_SEEDS, Background, Camera, Lighting, Listener, Manipulations, Negatives,
                         OffscreenNegative, Room, Scene, SceneObject, Source, TargetDisk, Targets, to_plain)
from .core.size_bins import SIZE_BINS
from .feasibility import BIN_EDGE_MARGIN, feasible, reachable
from .plan import PlanEntry
from .scene_settings import audio_settings, image_manipulation, library_ref, outputs
from .spec.spec import Spec

#: Mask-area fractions of objects that are not the controlled target (log-uniform).
OTHER_AREA_RANGE = (0.01, 0.12)
#: Nearest distance of a backdrop plane, m (it always lies 0.5 m behind the farthest object).
BACKDROP_MIN_DISTANCE_M = 3.0
#: How many other pixels an object that does not fit at its drawn pixel may try.
MAX_RELOCATIONS = 8
#: How often a yaw is redrawn when the drawn one cannot reach the intended area.
MAX_YAW_DRAWS = 24


class PlacementError(RuntimeError):
    """The drawn layout cannot be realised (too close, too far); the sample is redrawn."""


def sample_rng(spec_seed: int, index: int, attempt: int) -> np.random.Generator:
    """The generator of sample ``index``'s ``attempt``-th draw."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec_seed, spawn_key=(index, attempt))))


@dataclass
class ObjectIntent:
    """Where an object should appear: pixel centre and mask-area fraction."""

    u: float
    v: float
    area: float
    mesh: MeshAsset


@dataclass
class Draft:
    """A Scene with its placement intentions, before depth refinement."""

    scene: Scene
    intents: dict[int, ObjectIntent]  # object id -> intent
    sized_object: int | None  # id of the object whose mask area is controlled (None: no such object)
    cast: Cast


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
                                     lambda c: self._reachable(c, entry.size_bin, camera.hfov_deg, reach)))

        pin = cam.pinhole(camera)
        objects: list[SceneObject] = []
        intents: dict[int, ObjectIntent] = {}
        sized: int | None = None
        for k, slot in enumerate(cast.slots):
            if slot.size_bin is not None:
                area = self._bin_area(slot.size_bin, rng)
                u, v = self._target_pixel(rng)
                sized = k + 1
            else:
                area = float(np.exp(rng.uniform(*np.log(OTHER_AREA_RANGE))))
                u = float(rng.uniform(0, self.width))
                v = float(rng.uniform(0, self.height))
            mesh, yaw = self._mesh_and_yaw(slot.category, area, camera.hfov_deg, reach, rng)
            depth = initial_depth(self.library.silhouette(mesh), yaw, area, pin)
            position = tuple(float(x) for x in pin.unproject(u, v, depth))
            objects.append(SceneObject(id=k + 1, category=slot.category, mesh=mesh.key, position_m=position,
                                       yaw_deg=yaw, sounding=slot.sounding, role=slot.role))
            intents[k + 1] = ObjectIntent(u, v, area, mesh)

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
                depth = distance * float(pin.ray(u, v)[0])
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
        return Draft(scene, intents, sized, cast)

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

    def _reachable(self, category: str, size_bin: str, hfov_deg: float, reach: float) -> bool:
        r = self.spec.resolved
        return feasible(self.library, category, size_bin, r["objects"]["min_distance_m"], hfov_deg, self.width,
                        self.height, r["target"]["min_area_fraction"], reach)

    def _mesh_and_yaw(self, category: str, area: float, hfov_deg: float, reach: float, rng: np.random.Generator):
        """A mesh of the category and a yaw at which it can cover ``area`` of the image without
        coming closer than objects.min_distance_m (yaw redrawn up to MAX_YAW_DRAWS times)."""
        min_dist = self.spec.resolved["objects"]["min_distance_m"]
        max_dist = reach

        def fits(m, yaw):
            return reachable(self.library.silhouette(m), yaw, area, min_dist, hfov_deg, self.width, self.height,
                             max_dist, m.radius_m)

        assets = self.library.meshes[category]
        candidates = [m for m in assets if any(fits(m, float(y)) for y in YAWS_DEG)] or assets
        mesh = candidates[int(rng.integers(len(candidates)))]
        for _ in range(MAX_YAW_DRAWS):
            yaw = float(self.spec.sample("objects.yaw_deg", rng))
            if fits(mesh, yaw):
                break
        return mesh, yaw

    def _source(self, source_id: int, category: str, rng: np.random.Generator) -> Source:
        """A source of ``category``: clip, offset into it and gain drawn; position set later."""
        clips = self.library.sounds[category]
        clip = clips[int(rng.integers(len(clips)))]
        clip_len_s = self.library.clip(clip, self.library.sample_rate).size / self.library.sample_rate
        offset = float(rng.uniform(0.0, clip_len_s))
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


    def place(self, draft: Draft, measure_area: Callable[[Scene, int], float]) -> Scene:
        """Refine depths so the controlled object's silhouette has its intended area, then
        resolve overlaps. ``measure_area(scene, object_id)`` returns the fraction of the image
        the object's unoccluded silhouette covers. Raises PlacementError if infeasible."""
        scene = draft.scene
        r = self.spec.resolved["objects"]
        pin = cam.pinhole(scene.camera)
        placed: list[tuple[np.ndarray, float]] = []  # (centre, radius) of objects placed so far
        kept: set[int] = set()
        order = sorted(draft.intents, key=lambda oid: oid != draft.sized_object)
        target_circle = None
        for oid in order:
            obj = scene.object_by_id(oid)
            intent = draft.intents[oid]
            first_depth = float(pin.to_camera(np.asarray(obj.position_m))[0])
            if oid == draft.sized_object:
                first_depth = fit_depth(scene, obj, intent, first_depth, pin, measure_area)
            radius = intent.mesh.radius_m
            # The drawn pixel first; if the object cannot go there (pushed too far behind the sized
            # object, out of the room), other pixels drawn from a generator seeded by the Scene.
            relocate = np.random.Generator(np.random.PCG64([scene.render_seed, oid]))
            for trial in range(1 + (MAX_RELOCATIONS if oid != draft.sized_object else 0)):
                if trial:
                    intent.u = float(relocate.uniform(0, self.width))
                    intent.v = float(relocate.uniform(0, self.height))
                depth = first_depth
                if target_circle is not None:
                    tu, tv, tr_px, t_depth, t_radius = target_circle
                    if np.hypot(intent.u - tu, intent.v - tv) < tr_px + pin.focal_px * radius / depth:
                        depth = max(depth, t_depth + t_radius + radius + 0.05)
                depth = _clear_of(placed, pin, intent, depth, radius)
                centre = pin.unproject(intent.u, intent.v, depth)
                obj.position_m = tuple(float(x) for x in centre)
                vertices = self._posed_vertices(obj)
                dist = np.linalg.norm(vertices, axis=1)
                near, far = float(dist.min()), float(dist.max())
                fits = near >= r["min_distance_m"] and far <= r["max_distance_m"] and \
                    self._inside_room(scene.room, vertices)
                if fits:
                    break
            if not fits:
                if oid == draft.sized_object:
                    raise PlacementError(f"sized object spans {near:.2f}-{far:.2f} m: too near, too far or outside "
                                         "the room")
                continue
            placed.append((centre, radius))
            kept.add(oid)
            if oid == draft.sized_object:
                target_circle = (intent.u, intent.v, pin.focal_px * radius / depth, depth, radius)
        needed = set(scene.targets.semantic) | {s.object_id for s in scene.sources if s.object_id is not None}
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
        return scene


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


def fit_depth(scene: Scene, obj: SceneObject, intent: ObjectIntent, depth: float, pin,
              measure_area: Callable[[Scene, int], float], tolerance: float = 0.04, iterations: int = 6) -> float:
    """Move ``obj`` along its pixel's ray until its silhouette covers ``intent.area``.

    Area scales as 1/depth**2, so each step multiplies depth by sqrt(measured / wanted).
    """
    for _ in range(iterations):
        obj.position_m = tuple(float(x) for x in pin.unproject(intent.u, intent.v, depth))
        area = measure_area(scene, obj.id)
        if area <= 0:
            raise PlacementError("object is not visible at its intended pixel")
        ratio = area / intent.area
        if abs(ratio - 1.0) < tolerance:
            return depth
        depth *= float(np.sqrt(ratio))
    obj.position_m = tuple(float(x) for x in pin.unproject(intent.u, intent.v, depth))
    return depth


def _clear_of(placed: list[tuple[np.ndarray, float]], pin, intent: ObjectIntent, depth: float,
              radius: float) -> float:
    """Push an object back along its ray until its bounding sphere clears all placed ones."""
    for _ in range(len(placed) + 1):
        centre = pin.unproject(intent.u, intent.v, depth)
        clash = [(c, rad) for c, rad in placed if np.linalg.norm(centre - c) < rad + radius]
        if not clash:
            return depth
        c, rad = clash[0]
        depth = max(depth, float(pin.to_camera(c)[0]) + rad + radius + 0.05)
    return depth
