"""The Scene: plain, JSON-serialisable data that fully determines one sample.

Every random choice is made by the sampler and stored here, so a saved Scene re-renders to the
same sample (``simulate replay``). Renderers only read a Scene. All positions are in the world
frame of :mod:`simulator.core.geometry` (listener head frame, metres); angles are in degrees.

``Scene.to_dict`` / ``Scene.from_dict`` are a lossless round trip through JSON: floats are kept
as Python floats (``json`` writes them with ``repr``), tuples become lists and back.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from typing import Any

Vec3 = tuple[float, float, float]
RGB = tuple[float, float, float]

SCENE_FORMAT = 1

#: Background texture seeds are drawn from ``range(TEXTURE_SEEDS)``; room walls use seed + 0..5.
TEXTURE_SEEDS = 256


@dataclass
class Camera:
    """Pinhole camera looking along +x from ``position_m``.

    ``projection`` says how sound-source positions relate to pixels: ``pinhole`` (sources are
    where the 3D scene puts them) or ``screen`` (seeds/000: the image is shown on a screen at
    ``viewing_distance_m``; a source behind pixel (u, v) with normalised depth d sits at
    ``x = viewing_distance_m + d * depth_scale``). The image itself is always a pinhole render.
    """

    width: int
    height: int
    hfov_deg: float
    position_m: Vec3 = (0.0, 0.0, 0.0)
    projection: str = "pinhole"
    viewing_distance_m: float = 0.76
    pixels_per_inch: float = 90.0
    depth_scale: float = 0.5


@dataclass
class Listener:
    """The listener's head at the origin of the world frame.

    ``head``: ``spaced`` (two omni ears at y = +-ear_spacing_m / 2), ``hrtf`` or ``mono``.
    """

    head: str = "spaced"
    ear_spacing_m: float = 0.17
    sofa: str | None = None
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0


@dataclass
class Room:
    """Acoustic environment.

    ``type``: ``free_field`` (anechoic, no walls), ``shoebox`` (``size_m`` = (Lx, Ly, Lz)) or
    ``polyhedron`` (walls from ``mesh``, a closed mesh file in room coordinates, or from
    ``floor_plan`` = [[x, y], ...] extruded to ``height_m``).

    Room coordinates: metres from the room's origin (a shoebox's corner), axes parallel to the
    head frame (+x ahead, +y left, +z up). The head centre sits at ``listener_position_m``, so a
    head-frame point p is at ``listener_position_m + p`` in room coordinates.

    Walls: ``materials`` maps wall names to a pyroomacoustics material name or an energy
    absorption coefficient. Shoebox walls use pyroomacoustics' names: ``west`` (x = 0, behind),
    ``east`` (x = Lx, ahead), ``south`` (y = 0, right), ``north`` (y = Ly, left), ``floor``,
    ``ceiling``; ``all`` sets every wall; alternatively ``rt60_s`` asks for a reverberation time,
    turned into one uniform absorption coefficient (inverse Sabine/Eyring). ``max_order`` is the
    image-source order; ``late`` the late-reverberation model (``none``, ``stochastic``,
    ``raytrace``); ``air_absorption`` adds frequency-dependent air attenuation;
    ``noise_snr_db`` adds diffuse background noise at that SNR (None: none); ``occlusion``: objects
    between a source and the head block its direct sound (renderers/acoustic/occlusion.py).
    """

    type: str = "free_field"
    speed_of_sound_m_s: float = 343.0
    size_m: Vec3 | None = None
    listener_position_m: Vec3 | None = None
    rt60_s: float | None = None
    materials: dict[str, Any] | None = None
    max_order: int = 10
    late: str = "stochastic"
    air_absorption: bool = False
    noise_snr_db: float | None = None
    occlusion: bool = False
    mesh: str | None = None
    floor_plan: list[tuple[float, float]] | None = None
    height_m: float | None = None


@dataclass
class Lighting:
    """A directional key light and ambient light for the raster renderer."""

    key_azimuth_deg: float = 30.0
    key_elevation_deg: float = 45.0
    key_intensity: float = 3.0
    ambient: float = 0.35


@dataclass
class Background:
    """What is behind the objects. Background pixels have instance id 0 and depth 0.

    ``kind``: ``color`` (uniform ``color``, linear RGB in [0, 1]), ``backdrop`` (a plane facing
    the camera at ``distance_m`` along +x, behind every object, filling the view, showing a
    procedural ``texture`` (renderers/visual/textures.py: noise, checker, stripes, gradient)
    drawn from ``texture_seed`` and tinted with ``color``) or ``room`` (the walls, floor and
    ceiling of the Scene's shoebox room, textured likewise).
    """

    color: RGB = (0.5, 0.5, 0.5)
    kind: str = "color"
    texture: str | None = None
    texture_seed: int = 0
    distance_m: float | None = None


@dataclass
class SceneObject:
    """One visible (or off-screen) object.

    ``position_m`` is the centre of the mesh's bounding box in the world frame; the mesh is
    scaled by ``scale`` then rotated by yaw/pitch/roll (:func:`simulator.core.geometry.rotation_zyx`).
    ``id`` is the instance id written in the instance-id image (1-based; 0 is background).
    """

    id: int
    category: str
    mesh: str
    position_m: Vec3
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    scale: float = 1.0
    sounding: bool = False
    role: str = "distractor"


@dataclass
class Source:
    """A sound source: a clip played at a position.

    ``clip`` names a sound of the asset library; playback starts ``clip_offset_s`` into the clip
    (looped to the sample's duration). ``gain_db`` scales the clip before propagation, so its
    level at 1 m is the clip's normalised level plus ``gain_db``. ``object_id`` is the object the
    source is attached to, or None.
    """

    id: int
    category: str
    clip: str
    position_m: Vec3
    gain_db: float = 0.0
    clip_offset_s: float = 0.0
    object_id: int | None = None
    placement: str = "object"


@dataclass
class Targets:
    """What the sample asks a model to find.

    ``audio``: ids of the sources whose sound is the target (the audio target is where the
    sound comes from). ``semantic``: ids of objects whose category matches the audio.
    ``negative``: a label such as ``silence``, ``noise`` or ``offscreen`` for samples with no
    target in the image, else None. ``disks``: target regions of audio targets that are points
    rather than objects (audio_only): ``{"source_id", "u", "v", "radius_px"}`` in pixels.
    """

    audio: list[int] = field(default_factory=list)
    semantic: list[int] = field(default_factory=list)
    negative: str | None = None
    disks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AudioSettings:
    sample_rate: int = 16000
    duration_s: float = 3.0


@dataclass
class Scene:
    """Everything needed to render one sample. ``seed`` is the sample's entropy triple
    ``(spec_seed, index, attempt)``; ``render_seed`` seeds any renderer-side noise.

    ``image_source`` says where the image comes from when it is not rendered from the objects'
    meshes: None (mesh raster), ``{"type": "photo", ...}`` (a real photo with its annotations,
    see simulator/photos) or ``{"type": "diffusion", ...}`` (a box-conditioned diffusion model,
    see renderers/visual/diffusion.py). ``manipulations`` holds condition manipulations:
    ``image`` (gray | noise), ``audio`` (silence | noise) and ``negatives``.
    """

    index: int
    seed: tuple[int, int, int]
    condition: str
    camera: Camera
    listener: Listener
    room: Room
    audio: AudioSettings
    objects: list[SceneObject] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)
    size_bin: str | None = None
    background: Background = field(default_factory=Background)
    lighting: Lighting = field(default_factory=Lighting)
    manipulations: dict[str, Any] = field(default_factory=dict)
    render_seed: int = 0
    image_source: dict[str, Any] | None = None
    format: int = SCENE_FORMAT

    def object_by_id(self, object_id: int) -> SceneObject:
        for obj in self.objects:
            if obj.id == object_id:
                return obj
        raise KeyError(f"scene has no object with id {object_id}")

    def source_by_id(self, source_id: int) -> Source:
        for src in self.sources:
            if src.id == source_id:
                return src
        raise KeyError(f"scene has no source with id {source_id}")

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scene":
        if data.get("format", SCENE_FORMAT) != SCENE_FORMAT:
            raise ValueError(f"scene format {data.get('format')} is not supported (expected {SCENE_FORMAT})")
        return _from_plain(cls, data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        return cls.from_dict(json.loads(text))


def source_from_dict(data: dict[str, Any]) -> Source:
    """A Source from its plain form (as stored inside ``Scene.manipulations``)."""
    return _from_plain(Source, data)


def to_plain(value: Any) -> Any:
    """Plain JSON-ready data (dicts, lists, floats, ...) for any Scene part."""
    return _to_plain(value)


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy array or scalar
        return _to_plain(value.tolist())
    return value


def _from_plain(tp: Any, value: Any) -> Any:
    """Rebuild ``value`` as type ``tp`` (dataclasses, tuples, lists, optionals, plain values)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        if not isinstance(value, dict):
            raise ValueError(f"{tp.__name__} must be a mapping, got {type(value).__name__}")
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown field(s) for {tp.__name__}: {sorted(unknown)}")
        required = {f.name for f in dataclasses.fields(tp)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        if required - set(value):
            raise ValueError(f"missing field(s) for {tp.__name__}: {sorted(required - set(value))}")
        return tp(**{k: _from_plain(hints[k], v) for k, v in value.items()})
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        non_none = [a for a in args if a is not type(None)]
        return _from_plain(non_none[0], value) if len(non_none) == 1 else value
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], v) for v in value)
        return tuple(_from_plain(a, v) for a, v in zip(args, value))
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return [_from_plain(args[0], v) for v in value]
    if tp is float and isinstance(value, int):
        return float(value)
    return value
