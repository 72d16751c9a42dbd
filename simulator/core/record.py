"""The record's typed description: what ``samples/NNNN/NNNNNNN.json`` holds (docs/dataset-format.md).

These ``TypedDict`` classes are the record as readers see it (plain JSON); the annotator builds
records of this shape and tests/test_record_format.py checks generated records against it key by
key. Units: metres, degrees, pixels; positions in the head frame (docs/conventions.md); masks are
COCO RLE with ``counts`` as a string; boxes COCO ``[x, y, width, height]``.
"""
from __future__ import annotations

from typing import Any, TypedDict


class Rle(TypedDict):
    size: list[int]            # [height, width]
    counts: str


class _CameraBase(TypedDict):
    width: int
    height: int
    hfov_deg: float
    position_m: list[float]
    projection: str            # pinhole | screen
    viewing_distance_m: float
    pixels_per_inch: float
    depth_scale: float
    intrinsics: list[list[float]]  # 3x3 K


class CameraRecord(_CameraBase, total=False):
    yaw_deg: float             # a turned camera (absent when along +x)
    pitch_deg: float           # a tipped camera, positive looking down (floor support, docs/support.md)


class _ObjectBase(TypedDict):
    id: int                    # the value in the instance-id image
    category: str
    role: str                  # target | semantic | instance | distractor
    sounding: bool
    mesh: str | None           # asset key; None for an object of a photo
    position_m: list[float]    # bounding-box centre
    yaw_deg: float
    azimuth_deg: float
    elevation_deg: float
    lateral_deg: float
    distance_m: float
    pixel_center: list[float] | None
    visible: bool
    visible_pixels: int
    visible_fraction: float | None
    area_fraction: float
    size_bin: str | None
    bbox: list[int] | None
    mask: Rle


class MeshSourceRecord(TypedDict):
    """Where an imported mesh comes from (a library built from ``simulate assets import meshes``)."""
    collection: str
    file: str                  # relative to the collection's root
    licence: str | None
    label: str                 # the collection's label that mapped to the category


class ObjectRecord(_ObjectBase, total=False):
    photo_annotation: int      # the COCO annotation id of a photo's object
    mesh_source: MeshSourceRecord  # only for meshes of an imported collection


class ClipSourceRecord(TypedDict):
    """Where an imported clip comes from (a library built from ``simulate assets import sounds``)."""
    collection: str
    file: str                  # relative to the collection's root
    start_s: float             # the segment of the file, seconds
    end_s: float | None
    licence: str | None


class _SourceBase(TypedDict):
    id: int
    category: str
    clip: str
    clip_offset_s: float
    gain_db: float
    object_id: int | None
    placement: str             # object | point | offscreen
    position_m: list[float]
    azimuth_deg: float
    elevation_deg: float
    lateral_deg: float
    distance_m: float
    pixel: list[float] | None
    on_screen: bool


class SourceRecord(_SourceBase, total=False):
    clip_source: ClipSourceRecord   # only for clips of an imported collection


class DiskRecord(TypedDict):
    center: list[float]
    radius_px: float
    mask: Rle


class _AudioTargetBase(TypedDict):
    source_id: int
    object_id: int | None
    category: str
    position_m: list[float]
    pixel: list[float] | None
    azimuth_deg: float
    elevation_deg: float
    lateral_deg: float
    distance_m: float
    object_category: str | None
    area_fraction: float | None
    size_bin: str | None
    bbox: list[int] | None


class AudioTargetRecord(_AudioTargetBase, total=False):
    disk: DiskRecord           # a point target (audio_only)


class TargetsRecord(TypedDict):
    audio: list[AudioTargetRecord]
    semantic: list[int]
    negative: str | None


class _AudioBase(TypedDict):
    sample_rate: int
    duration_s: float
    channels: int
    head: str
    content: str               # rendered | silence | noise
    output_gain_db: float


class AudioRecord(_AudioBase, total=False):
    occlusion: list[dict[str, Any]]  # with room.occlusion: one entry per blocked source


class _NegativeBase(TypedDict):
    kind: str                  # silence | noise | offscreen
    output_gain_db: float
    file: str


class NegativeRecord(_NegativeBase, total=False):
    region: str                # offscreen
    source: SourceRecord       # offscreen


class _RecordBase(TypedDict):
    index: int
    id: str                    # f"{index:07d}"
    seed: list[int]            # [spec seed, index, attempt]
    condition: str
    size_bin: str | None
    camera: CameraRecord
    objects: list[ObjectRecord]
    sources: list[SourceRecord]
    targets: TargetsRecord
    image_content: str         # rendered | gray | noise
    audio: AudioRecord
    files: dict[str, str]      # kind -> dataset-relative path
    scene: dict[str, Any]      # the Scene (simulator/core/scene.py), plain


class ListenerMotionRecord(TypedDict):
    motion: dict[str, Any] | None      # its trajectory (simulator/core/trajectory.py), null: static
    turn: dict[str, Any] | None        # its head turn, null: fixed yaw
    positions_m: list[list[float]]     # head centre at each time, world frame
    yaw_deg: list[float]               # head yaw at each time (unwrapped)


class ObjectMotionRecord(TypedDict):
    id: int
    motion: dict[str, Any] | None
    positions_m: list[list[float]]     # centre at each time


class SourceMotionRecord(TypedDict):
    id: int
    motion: dict[str, Any] | None      # null on an object (it follows the object) or static
    follows_object: int | None         # the object it moves with
    positions_m: list[list[float]]


class MotionRecord(TypedDict):
    """Only in records of Scenes that move (docs/motion.md): positions at times k / rate_hz."""
    rate_hz: float                     # 10 Hz (simulator/core/scene_motion.py RECORD_RATE_HZ)
    duration_s: float
    times_s: list[float]
    listener: ListenerMotionRecord
    objects: list[ObjectMotionRecord]
    sources: list[SourceMotionRecord]


class Record(_RecordBase, total=False):
    negatives: list[NegativeRecord]
    motion: MotionRecord       # only when something moves
    diffusion: dict[str, Any]  # the diffusion backend's generation details
