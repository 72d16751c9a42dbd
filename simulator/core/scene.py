"""The Scene: typed, JSON-serialisable data that fully determines one sample (format 2).

Every random choice is made by the sampler and stored here, and so is every setting the sample's
rendering and encoding need (levels, noise, image manipulations, negatives, the image backend and
its options, the asset library, the output files), so a Scene alone re-renders its sample on any
machine (``simulate replay``) without the spec or dataset.json. Renderers only read a Scene. All
positions are in the world frame of :mod:`simulator.core.geometry` (listener head frame, metres);
angles are in degrees.

``Scene.to_dict`` / ``Scene.from_dict`` are a lossless round trip through JSON: floats are kept
as Python floats (``json`` writes them with ``repr``), tuples become lists and back. Reading
checks every field's type (:mod:`simulator.core.plain`); a record of format 1 (before the render
settings moved into the Scene) is upgraded by :func:`scene_from_format1`.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from .image import DiffusionPrompt, ImageOptions, ImageSource, MeshOptions, PhotoObjectInfo, PhotoOptions, PhotoPick
from .plain import PlainError, bounded, from_plain, omitted_if_none, one_of, to_plain
from .size_bins import SIZE_BINS
from .trajectory import HeadTurn, Trajectory

Vec3 = tuple[float, float, float]
RGB = tuple[float, float, float]

SCENE_FORMAT = 2

#: Background texture seeds are drawn from ``range(TEXTURE_SEEDS)``; room walls use seed + 0..5.
TEXTURE_SEEDS = 256
#: Largest image side a Scene may ask for, pixels.
MAX_IMAGE_SIDE = 16384
#: Largest coordinate a Scene may hold, metres (positions, room coordinates).
MAX_COORD_M = 1.0e5
#: Largest audio a Scene may ask for: sample rate (Hz) and duration (s).
MAX_SAMPLE_RATE = 192000
MAX_DURATION_S = 600.0
#: Largest object id (24-bit instance-id images).
MAX_OBJECT_ID = 2**24 - 1
#: The kinds of negative audio, in the order their noise streams are numbered (2 + k).
NEGATIVE_KINDS = ("silence", "noise", "offscreen")


@dataclass
class Camera:
    """Pinhole camera looking along +x from ``position_m``, or turned by ``yaw_deg`` (about +z,
    positive to the left) and tipped by ``pitch_deg`` (positive: looking down), as
    :class:`simulator.core.geometry.PinholeCamera`; both absent (None) for a camera along +x.

    ``projection`` says how sound-source positions relate to pixels: ``pinhole`` (sources are
    where the 3D scene puts them) or ``screen`` (seeds/000: the image is shown on a screen at
    ``viewing_distance_m``; a source behind pixel (u, v) with normalised depth d sits at
    ``x = viewing_distance_m + d * depth_scale``). The image itself is always a pinhole render.
    """

    width: int = bounded(1, MAX_IMAGE_SIDE)
    height: int = bounded(1, MAX_IMAGE_SIDE)
    hfov_deg: float = bounded(0.1, 179.9)
    position_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M, (0.0, 0.0, 0.0))
    projection: str = one_of(("pinhole", "screen"), "pinhole")
    viewing_distance_m: float = bounded(0.01, 100.0, 0.76)
    pixels_per_inch: float = bounded(0.1, 10000.0, 90.0)
    depth_scale: float = bounded(0.0, 100.0, 0.5)
    yaw_deg: float | None = omitted_if_none(-360.0, 360.0)
    pitch_deg: float | None = omitted_if_none(-90.0, 90.0)


@dataclass
class Listener:
    """The listener's head at the origin of the world frame.

    ``head``: ``spaced`` (two omni ears at y = +-ear_spacing_m / 2), ``hrtf`` or ``mono``.
    ``motion``: how the head centre moves (:mod:`simulator.core.trajectory`, world frame = the head
    frame at t = 0); ``turn``: how its yaw changes from ``yaw_deg``. Both absent (None) when static.
    """

    head: str = "spaced"
    ear_spacing_m: float = bounded(0.001, 2.0, 0.17)
    sofa: str | None = None
    yaw_deg: float = bounded(-360.0, 360.0, 0.0)
    pitch_deg: float = bounded(-90.0, 90.0, 0.0)
    motion: Trajectory | None = omitted_if_none()
    turn: HeadTurn | None = omitted_if_none()


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
    speed_of_sound_m_s: float = bounded(100.0, 2000.0, 343.0)
    size_m: Vec3 | None = bounded(0.1, 1000.0, None)
    listener_position_m: Vec3 | None = bounded(-MAX_COORD_M, MAX_COORD_M, None)
    rt60_s: float | None = bounded(0.01, 30.0, None)
    materials: dict[str, Any] | None = None  # wall -> material name, coefficient(s) or {absorption, scattering}
    max_order: int = bounded(0, 50, 10)
    late: str = one_of(("none", "stochastic", "raytrace"), "stochastic")
    air_absorption: bool = False
    noise_snr_db: float | None = bounded(-100.0, 200.0, None)
    occlusion: bool = False
    mesh: str | None = None
    floor_plan: list[tuple[float, float]] | None = bounded(-MAX_COORD_M, MAX_COORD_M, None)
    height_m: float | None = bounded(0.1, 1000.0, None)


@dataclass
class Lighting:
    """A directional key light and ambient light for the raster renderer."""

    key_azimuth_deg: float = bounded(-360.0, 360.0, 30.0)
    key_elevation_deg: float = bounded(-90.0, 90.0, 45.0)
    key_intensity: float = bounded(0.0, 1000.0, 3.0)
    ambient: float = bounded(0.0, 10.0, 0.35)


@dataclass
class Background:
    """What is behind the objects. Background pixels have instance id 0 and depth 0.

    ``kind``: ``color`` (uniform ``color``, linear RGB in [0, 1]), ``backdrop`` (a plane facing
    the camera at ``distance_m`` along +x, behind every object, filling the view, showing a
    procedural ``texture`` (renderers/visual/textures.py: noise, checker, stripes, gradient)
    drawn from ``texture_seed`` and tinted with ``color``) or ``room`` (the walls, floor and
    ceiling of the Scene's shoebox room, textured likewise).
    """

    color: RGB = bounded(0.0, 1.0, (0.5, 0.5, 0.5))
    kind: str = one_of(("color", "backdrop", "room"), "color")
    texture: str | None = None
    texture_seed: int = bounded(0, TEXTURE_SEEDS - 1, 0)
    distance_m: float | None = bounded(0.0, MAX_COORD_M, None)


@dataclass
class SceneObject:
    """One visible (or off-screen) object.

    ``position_m`` is the centre of the mesh's bounding box in the world frame; the mesh is
    scaled by ``scale`` then rotated by yaw/pitch/roll (:func:`simulator.core.geometry.rotation_zyx`).
    ``id`` is the instance id written in the instance-id image (1-based; 0 is background).
    ``mesh`` is the asset key of its mesh; an object of a photo has none and names its COCO
    annotation in ``photo_annotation`` instead. ``motion``: how its centre moves during the clip
    (translation only, its orientation kept; None: static). ``support``: ``floor`` when the object
    rests on the room's floor (its lowest posed vertex at the floor's height, upright, moving
    horizontally only; docs/support.md), absent (None) when it is placed free.
    """

    id: int = bounded(1, MAX_OBJECT_ID)
    category: str
    mesh: str | None
    position_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)
    yaw_deg: float = bounded(-360.0, 360.0, 0.0)
    pitch_deg: float = bounded(-360.0, 360.0, 0.0)
    roll_deg: float = bounded(-360.0, 360.0, 0.0)
    scale: float = bounded(1e-6, 1e4, 1.0)
    sounding: bool = False
    role: str = "distractor"
    photo_annotation: int | None = bounded(0, 2**63 - 1, None)
    motion: Trajectory | None = omitted_if_none()
    support: str | None = field(default=None, metadata={"omit_none": True, "choices": ("floor",)})


@dataclass
class Source:
    """A sound source: a clip played at a position.

    ``clip`` names a sound of the asset library; playback starts ``clip_offset_s`` into the clip
    (looped to the sample's duration). ``gain_db`` scales the clip before propagation, so its
    level at 1 m is the clip's normalised level plus ``gain_db``. ``object_id`` is the object the
    source is attached to, or None. ``motion``: how a source not on an object moves (None: static);
    a source on an object has none and moves with its object, keeping its offset from the object's
    centre. ``onset_s`` / ``offset_s``: the source emits only from ``onset_s`` to ``offset_s``
    seconds of the clip (absent: from the start / to the end; simulator/activity.py gates the
    clip with 5 ms raised-cosine ramps inside that interval); both absent: it emits throughout.
    """

    id: int = bounded(0, MAX_OBJECT_ID)
    category: str
    clip: str
    position_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)
    gain_db: float = bounded(-200.0, 200.0, 0.0)
    clip_offset_s: float = bounded(0.0, 1e6, 0.0)
    object_id: int | None = bounded(1, MAX_OBJECT_ID, None)
    placement: str = one_of(("object", "point", "offscreen"), "object")
    motion: Trajectory | None = omitted_if_none()
    onset_s: float | None = omitted_if_none(0.0, 1e6)
    offset_s: float | None = omitted_if_none(0.0, 1e6)


@dataclass
class TargetDisk:
    """The target region of a sound that comes from a point rather than an object (audio_only):
    a disk of ``radius_px`` pixels about the continuous pixel (u, v) of source ``source_id``."""

    source_id: int = bounded(0, MAX_OBJECT_ID)
    u: float = bounded(-1e6, 1e6)
    v: float = bounded(-1e6, 1e6)
    radius_px: float = bounded(0.0, 1e6)


@dataclass
class Targets:
    """What the sample asks a model to find.

    ``audio``: ids of the sources whose sound is the target (the audio target is where the
    sound comes from). ``semantic``: ids of objects whose category matches the audio.
    ``negative``: a label such as ``silence``, ``noise`` or ``offscreen`` for samples with no
    target in the image, else None. ``disks``: target regions of audio targets that are points.
    """

    audio: list[int] = field(default_factory=list)
    semantic: list[int] = field(default_factory=list)
    negative: str | None = one_of(NEGATIVE_KINDS, None)
    disks: list[TargetDisk] = field(default_factory=list)


@dataclass
class AudioSettings:
    """The sample's audio: ``sample_rate`` (Hz) and ``duration_s``; ``level_db``, the gain applied
    to every written signal (dB, lowered further only where the signal would clip); ``noise_rms_db``,
    the RMS of Gaussian-noise audio (dBFS before ``level_db``); the file ``format`` (``flac`` or
    ``wav``) and the FLAC ``bit_depth``."""

    sample_rate: int = bounded(1000, MAX_SAMPLE_RATE, 16000)
    duration_s: float = bounded(0.001, MAX_DURATION_S, 3.0)
    level_db: float = bounded(-200.0, 100.0, -12.0)
    noise_rms_db: float = bounded(-200.0, 100.0, -20.0)
    format: str = one_of(("flac", "wav"), "flac")
    bit_depth: int = one_of((16, 24), 16)


@dataclass
class ImageManipulation:
    """An image replaced by a manipulation (audio_only): ``kind`` ``gray`` (uniform ``gray_level``)
    or ``noise`` (pixel = clip(round(128 + noise_std * N(0, 1))), seeded by the render seed)."""

    kind: str = one_of(("gray", "noise"))
    gray_level: int = bounded(0, 255, 128)
    noise_std: float = bounded(0.0, 1000.0, 64.0)


@dataclass
class OffscreenNegative:
    """The off-screen negative audio of a sample: a source of a category absent from the image,
    outside the field of view in ``region``."""

    region: str
    source: Source


@dataclass
class Negatives:
    """Negative audio written beside the sample's own (seeds' IS3+ protocol): silence, Gaussian
    noise at ``audio.noise_rms_db``, and an off-screen source (None: not written)."""

    silence: bool = False
    noise: bool = False
    offscreen: OffscreenNegative | None = None


@dataclass
class Manipulations:
    """What a condition changes: ``image`` (None: rendered), ``audio`` (None: rendered, or
    ``silence`` / ``noise``) and the ``negatives`` written beside the sample (None: none)."""

    image: ImageManipulation | None = None
    audio: str | None = one_of(("silence", "noise"), None)
    negatives: Negatives | None = None


#: The shares a library's assets are split into (``library.split``), in the order assets are dealt.
ASSET_SPLITS = ("train", "val", "test")


@dataclass
class SplitFractions:
    """The share of each split's assets (they sum to 1)."""

    train: float = bounded(0.0, 1.0, 0.8)
    val: float = bounded(0.0, 1.0, 0.1)
    test: float = bounded(0.0, 1.0, 0.1)


@dataclass
class AssetSplit:
    """The held-out share of the library a Scene's assets were drawn from (``library.split``,
    :mod:`simulator.assets.split`): ``use`` (train, val or test), the ``fractions`` and ``salt`` the
    assets were dealt with, and which kinds were split (``sounds``, ``meshes``, ``photos``; an
    unsplit kind is shared by every split)."""

    use: str = one_of(ASSET_SPLITS)
    fractions: SplitFractions = field(default_factory=SplitFractions)
    salt: str = ""
    sounds: bool = True
    meshes: bool = True
    photos: bool = True


@dataclass
class LibraryRef:
    """The asset libraries the Scene's clip and mesh keys resolve in: ``default`` (the embedded
    one) or a folder (absolute path), for sounds and for meshes; ``split``: the held-out share they
    were drawn from (absent from the plain data when the library is not split)."""

    sounds: str = "default"
    meshes: str = "default"
    split: AssetSplit | None = omitted_if_none()


@dataclass
class Outputs:
    """Optional files written with the sample: depth (16-bit PNG, mm), each source alone (stems,
    always for ``mixed``) and the source-to-ear impulse responses."""

    depth: bool = False
    stems: bool = False
    rirs: bool = False


@dataclass
class ClipEvent:
    """What a temporal condition made happen in a clip (docs/video.md): ``kind`` (the condition's
    name), the source it concerns (``source_id``) and when, ``t_s`` seconds from the clip's start
    (leaves_view: the source's pixel leaves the image; enters_view, turns_towards: it enters it;
    cross_event: it starts to sound)."""

    kind: str
    source_id: int = bounded(0, MAX_OBJECT_ID)
    t_s: float = bounded(0.0, 60.0)


@dataclass
class Video:
    """A clip instead of a still: frames at ``fps`` frames per second over ``duration_s`` seconds
    (frame k is the Scene at t = k / fps, k = 0 .. floor(duration_s * fps) - 1; frame 0 is the
    still), written as an H.264 MP4 with per-frame instance ids (``depth``: and depth) and labels.
    ``event``: the clip's event under a temporal condition (absent otherwise)."""

    fps: float = bounded(0.1, 120.0)
    duration_s: float = bounded(0.0, 60.0)
    depth: bool = False
    event: ClipEvent | None = omitted_if_none()

    @property
    def frame_count(self) -> int:
        """Frames in the clip: k / fps < duration_s (at least one, the still)."""
        return max(1, int(math.floor(self.duration_s * self.fps - 1e-9)) + 1) if self.duration_s > 0 else 1


@dataclass
class Scene:
    """Everything needed to render one sample. ``seed`` is the sample's entropy triple
    ``(spec_seed, index, attempt)``; ``render_seed`` seeds any renderer-side noise.

    ``image``: the image backend and its options (:mod:`simulator.core.image`); ``image_source``:
    what this sample's image shows when it is not the objects' meshes alone (a photo, diffusion
    prompt overrides). ``manipulations``: what the condition changes (image, audio, negatives).
    ``library``: where asset keys resolve; ``outputs``: the optional files written.
    """

    index: int = bounded(0, 10**12)
    seed: tuple[int, int, int] = bounded(0, 2**64 - 1)
    condition: str
    camera: Camera
    listener: Listener
    room: Room
    audio: AudioSettings
    objects: list[SceneObject] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)
    size_bin: str | None = one_of(tuple(SIZE_BINS), None)
    background: Background = field(default_factory=Background)
    lighting: Lighting = field(default_factory=Lighting)
    manipulations: Manipulations = field(default_factory=Manipulations)
    render_seed: int = bounded(0, 2**64 - 1, 0)
    image: ImageOptions = field(default_factory=MeshOptions)
    image_source: ImageSource | None = None
    library: LibraryRef = field(default_factory=LibraryRef)
    outputs: Outputs = field(default_factory=Outputs)
    format: int = SCENE_FORMAT
    video: Video | None = omitted_if_none()

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
        return to_plain(self)

    # -- motion (simulator/core/scene_motion.py) ------------------------------------------------
    @property
    def is_static(self) -> bool:
        """True when nothing of the Scene moves (no trajectory, no head turn)."""
        from .scene_motion import is_static
        return is_static(self)

    def listener_positions_m(self, t_s) -> "np.ndarray":
        """(n, 3) head-centre positions (m, world frame) at times ``t_s`` (n,) seconds."""
        from .scene_motion import listener_positions_m
        return listener_positions_m(self, t_s)

    def head_yaw_deg(self, t_s) -> "np.ndarray":
        """(n,) head yaw (degrees, positive left, unwrapped; ``listener.yaw_deg`` at t = 0)."""
        from .scene_motion import head_yaw_deg
        return head_yaw_deg(self, t_s)

    def object_positions_m(self, object_id: int, t_s) -> "np.ndarray":
        """(n, 3) positions (m, world frame) of an object's centre at times ``t_s`` (n,) seconds."""
        from .scene_motion import object_positions_m
        return object_positions_m(self, object_id, t_s)

    def source_positions_m(self, source_id: int, t_s) -> "np.ndarray":
        """(n, 3) positions (m, world frame) of a source at times ``t_s`` (n,) seconds."""
        from .scene_motion import source_positions_m
        return source_positions_m(self, source_id, t_s)

    def motion_control(self, rate_hz: float, duration_s: float | None = None):
        """Positions and head yaw at control times k / rate_hz covering [0, duration_s] (default:
        the audio's duration): a :class:`~.scene_motion.MotionControl`."""
        from .scene_motion import motion_control
        return motion_control(self, rate_hz, duration_s)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scene":
        """The Scene of plain data (a record's ``scene``); PlainError (a ValueError) names the
        field that does not fit. Format 1 is upgraded with default render settings."""
        if not isinstance(data, dict):
            raise PlainError(f"a scene must be a mapping, got {type(data).__name__}")
        version = data.get("format", SCENE_FORMAT)
        if version == 1:
            return scene_from_format1(data)
        if version != SCENE_FORMAT:
            raise PlainError(f"format: scene format {version!r} is not supported (expected 1 or {SCENE_FORMAT})")
        return from_plain(cls, data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        return cls.from_dict(json.loads(text))


def scene_from_format1(data: dict[str, Any], spec: dict[str, Any] | None = None) -> Scene:
    """A Scene from a format-1 record's ``scene`` (written before the render settings moved into
    the Scene). Those settings come from ``spec``, the resolved spec in the record's dataset.json
    (its ``audio``, ``image``, ``photos``, ``library`` and ``output`` blocks), else the defaults;
    photo objects' ``mesh: "coco:<id>"`` becomes ``photo_annotation``."""
    d = dict(data)
    spec = spec or {}
    audio, image, output = spec.get("audio", {}), spec.get("image", {}), spec.get("output", {})
    d["format"] = SCENE_FORMAT
    d["audio"] = {**d.get("audio", {}), **{k: v for k, v in (
        ("level_db", audio.get("level_db")), ("noise_rms_db", audio.get("noise_rms_db")),
        ("format", audio.get("format")), ("bit_depth", audio.get("bit_depth"))) if v is not None}}
    old = d.get("manipulations") or {}
    manipulations: dict[str, Any] = {"audio": old.get("audio")}
    if old.get("image") is not None:
        manipulations["image"] = {"kind": old["image"], **{k: image[k] for k in ("gray_level", "noise_std")
                                                            if image.get(k) is not None}}
    if old.get("negatives") is not None:
        manipulations["negatives"] = old["negatives"]
    d["manipulations"] = manipulations
    objects = []
    for obj in d.get("objects", []):
        obj = dict(obj)
        mesh = obj.get("mesh")
        if isinstance(mesh, str) and mesh.startswith("coco:"):
            obj["mesh"], obj["photo_annotation"] = None, int(mesh[len("coco:"):])
        objects.append(obj)
    d["objects"] = objects
    backend = image.get("renderer", "mesh")
    if backend == "diffusion":
        d["image"] = {"backend": backend, **(image.get("diffusion") or {})}
    elif backend == "photos":
        known = {f.name for f in fields(PhotoOptions)}
        d["image"] = {"backend": backend, **{k: v for k, v in (spec.get("photos") or {}).items() if k in known}}
        d["image"]["category_map"] = d["image"].get("category_map") or {}
    else:
        d["image"] = {"backend": backend, **({"antialias": image["antialias"]} if "antialias" in image else {})}
    library = spec.get("library") or {}
    d["library"] = {k: library[k] for k in ("sounds", "meshes") if k in library}
    d["outputs"] = {k: output[k] for k in ("depth", "stems", "rirs") if k in output}
    return from_plain(Scene, d)


__all__ = ["ASSET_SPLITS", "NEGATIVE_KINDS", "SCENE_FORMAT", "TEXTURE_SEEDS", "AssetSplit", "AudioSettings",
           "Background", "Camera", "DiffusionPrompt",
           "ImageManipulation", "Lighting", "LibraryRef", "Listener", "Manipulations", "Negatives",
           "OffscreenNegative", "Outputs", "PhotoObjectInfo", "PhotoPick", "Room", "Scene", "SceneObject", "Source",
           "SplitFractions", "TargetDisk", "Targets", "Video", "scene_from_format1", "to_plain"]
