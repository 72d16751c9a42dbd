"""Clips: the frames of a moving Scene, their per-frame labels and the files they are written to.

Frame k of a Scene with ``video`` (:class:`simulator.core.scene.Video`) is the still Scene of the
instant ``t_k = k / fps`` (:func:`simulator.core.scene_motion.frame_scene`: objects and sources
where their trajectories put them then, the camera carried and turned by the head), rendered by
the Scene's image renderer; frame 0 is the sample's still image. Per frame the labels give, for
every object, its visible mask (COCO RLE of the frame's instance ids), box and visible pixels,
and for every source its pixel, whether it is on screen and visible (its pixel on its own object's
visible mask), whether it emits at ``t_k`` (``active``, simulator/activity.py), and its azimuth,
elevation, lateral angle and distance in the frame the head carries at ``t_k``
(:func:`simulator.core.scene_motion.head_frame`; at t = 0 the still's); and the frame's AVATAR
segment kind (``segment``, simulator/conditions/segments.py).

The DCASE SELD-style labels are at :data:`SELD_RATE_HZ` (100 ms frames, the DCASE label
resolution), whatever the video's frame rate: one row per label frame and source emitting then,
``frame, class, track, azimuth, elevation, distance`` (degrees rounded to integers, distance in
centimetres), class the index of the source's category in the record's ``video.seld.classes``,
track the source's id.

Files (docs/dataset-format.md): ``.mp4`` (H.264, yuv420p, constant rate ``fps``, frame k shown at
k / fps, encoded by PyAV's FFmpeg), ``.frame_ids.png`` (16-bit instance ids, the frames stacked
vertically: frame k is rows k*H .. (k+1)*H - 1), ``.frame_depth.png`` (same layout, millimetres,
with ``video.depth``) and ``.seld.csv``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .activity import active_at
from .annotate import angles_of
from .conditions.segments import frame_view, segment_of
from .core import camera as cam
from .core.plain import to_plain
from .core.geometry import azimuth_deg, distance_m, elevation_deg
from .core.masks import bbox_of, encode_rle
from .core.render import VisualRender
from .core.scene import Scene
from .core.scene_motion import frame_scene, head_frame, source_positions_m

#: Rate of the SELD-style label rows, Hz (DCASE's 100 ms label frames).
SELD_RATE_HZ = 10.0
#: x264 constant quantiser of the MP4 (near visually lossless at 18). A constant quantiser with
#: adaptive quantisation and psycho-visual tuning off keeps x264 away from floating-point rate
#: decisions, whose results were seen to vary run to run (in a process that also renders), so
#: the same frames always give the same bytes.
MP4_QP = 18
#: x264 options of every clip (one thread: the same bytes on every machine and run).
MP4_OPTIONS = {"qp": str(MP4_QP), "preset": "veryfast", "threads": "1", "x264-params": "aq-mode=0:psy=0"}
#: Largest instance id a frame-id PNG (16-bit) holds.
MAX_FRAME_ID = 65535


@dataclass
class VideoFrames:
    """The rendered clip: ``times_s`` (K,), ``rgb`` (K, H, W, 3) uint8, ``instance_ids``
    (K, H, W) int32, ``depth`` (K, H, W) float32 metres (None unless ``video.depth``), and
    ``labels``, the record's ``video`` entry without file names."""

    times_s: np.ndarray
    rgb: np.ndarray
    instance_ids: np.ndarray
    depth: np.ndarray | None
    labels: dict[str, Any]
    seld_rows: list[tuple[int, int, int, int, int, int]]


def frame_times_s(scene: Scene) -> np.ndarray:
    """(K,) frame times k / fps, seconds."""
    v = scene.video
    return np.arange(v.frame_count, dtype=float) / float(v.fps)


def render_frames(scene: Scene, still: VisualRender, render: Callable[[Scene], VisualRender],
                  classes: list[str]) -> VideoFrames:
    """Render the clip of ``scene`` (which has ``video``). ``still``: frame 0, already rendered
    (and manipulated); ``render(frame_scene)``: the image of one frame's still Scene (the image
    renderer and the condition's manipulation); ``classes``: the categories in class-index order
    for the SELD rows (a source of another category is ValueError)."""
    times = frame_times_s(scene)
    rgb, ids, depth, frames = [], [], [], []
    for k, t in enumerate(times):
        still_k = frame_scene(scene, float(t))
        vis = still if k == 0 else render(still_k)
        if int(vis.instance_ids.max(initial=0)) > MAX_FRAME_ID:
            raise ValueError(f"object ids above {MAX_FRAME_ID} do not fit a clip's 16-bit id frames")
        rgb.append(vis.rgb)
        ids.append(vis.instance_ids.astype(np.int32))
        if scene.video.depth:
            depth.append(vis.depth.astype(np.float32))
        frames.append(_frame_labels(scene, still_k, vis.instance_ids, k, float(t)))
    labels = {"fps": float(scene.video.fps), "duration_s": float(scene.video.duration_s),
              "frame_count": int(times.size), "times_s": times.tolist(), "frames": frames,
              **({"event": to_plain(scene.video.event)} if scene.video.event is not None else {}),
              "seld": {"rate_hz": SELD_RATE_HZ, "classes": list(classes),
                       "columns": ["frame", "class", "track", "azimuth", "elevation", "distance"],
                       "units": {"azimuth": "deg", "elevation": "deg", "distance": "cm"}}}
    return VideoFrames(times, np.stack(rgb), np.stack(ids), np.stack(depth) if scene.video.depth else None,
                       labels, seld_rows(scene, classes))


def _frame_labels(scene: Scene, still: Scene, instance_ids: np.ndarray, k: int, t: float) -> dict[str, Any]:
    """One frame's labels (see the module docstring)."""
    h, w = instance_ids.shape
    objects, visible_of = [], {}
    pin = cam.pinhole(still.camera)
    for obj in still.objects:
        visible = instance_ids == obj.id
        visible_of[obj.id] = visible
        u, v, depth = pin.project(np.asarray(obj.position_m))
        objects.append({"id": obj.id, "position_m": list(obj.position_m),
                        "pixel_center": [float(u), float(v)] if depth > 0 else None,
                        "visible_pixels": int(visible.sum()), "bbox": bbox_of(visible), "mask": encode_rle(visible)})
    sources = []
    for src in still.sources:
        px = cam.source_pixel(still.camera, src.position_m)
        on_screen = cam.source_on_screen(still.camera, src.position_m)
        seen = None
        if src.object_id is not None:
            seen = bool(on_screen and visible_of[src.object_id][min(int(px[1]), h - 1), min(int(px[0]), w - 1)])
        sources.append({"id": src.id, "object_id": src.object_id, "category": src.category,
                        "position_m": list(src.position_m),
                        **angles_of(head_frame(scene, np.asarray(src.position_m, float), t)),
                        "pixel": None if px is None else [float(px[0]), float(px[1])],
                        "on_screen": bool(on_screen), "visible": seen,
                        "active": bool(active_at(scene.source_by_id(src.id), t)[0])})
    cam_entry = {"position_m": list(still.camera.position_m), "yaw_deg": float(still.camera.yaw_deg or 0.0),
                 "pitch_deg": float(still.camera.pitch_deg or 0.0)}
    frame = {"k": k, "t_s": t, "camera": cam_entry, "objects": objects, "sources": sources}
    frame["segment"] = segment_of(frame_view(frame, {o.id: o.category for o in still.objects}))
    return frame


def label_frame_count(duration_s: float, rate_hz: float = SELD_RATE_HZ) -> int:
    """SELD label frames of a clip: those at f / rate_hz before ``duration_s`` (at least one)."""
    return max(1, int(np.floor(float(duration_s) * float(rate_hz) - 1e-9)) + 1)


def seld_rows(scene: Scene, classes: list[str]) -> list[tuple[int, int, int, int, int, int]]:
    """DCASE SELD-style rows (frame, class, track, azimuth, elevation, distance cm) at
    :data:`SELD_RATE_HZ` over the clip, for each source at the label frames where it emits
    (simulator/activity.py)."""
    count = label_frame_count(scene.video.duration_s)
    t = np.arange(count, dtype=float) / SELD_RATE_HZ
    rows = []
    index = {c: i for i, c in enumerate(classes)}
    for src in scene.sources:
        if src.category not in index:
            raise ValueError(f"source {src.id}: category {src.category!r} is not one of the SELD classes")
        path = source_positions_m(scene, src.id, t)
        emits = active_at(src, t)
        for f in range(count):
            if not emits[f]:
                continue
            p = head_frame(scene, path[f], float(t[f]))
            rows.append((f, index[src.category], int(src.id), int(np.round(azimuth_deg(p))),
                         int(np.round(elevation_deg(p))), int(np.round(100.0 * distance_m(p)))))
    rows.sort()
    return rows


def encode_mp4(rgb: np.ndarray, fps: float) -> bytes:
    """(K, H, W, 3) uint8 frames -> H.264 MP4 bytes at a constant ``fps`` (frame k at k / fps).
    Odd sizes are padded by one edge row/column (yuv420p needs even sizes). Deterministic
    (:data:`MP4_OPTIONS`)."""
    import av
    from fractions import Fraction

    k, h, w, _ = rgb.shape
    ph, pw = h + (h % 2), w + (w % 2)
    buf = io.BytesIO()
    rate = Fraction(float(fps)).limit_denominator(1001)
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        stream.options = dict(MP4_OPTIONS)
        for frame in rgb:
            if (ph, pw) != (h, w):
                frame = np.pad(frame, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def encode_strip_png(frames: np.ndarray) -> bytes:
    """(K, H, W) uint16 frames stacked vertically into one 16-bit PNG."""
    from PIL import Image

    buf = io.BytesIO()
    k, h, w = frames.shape
    Image.fromarray(np.ascontiguousarray(frames.reshape(k * h, w).astype(np.uint16))).save(buf, format="PNG",
                                                                                         compress_level=3)
    return buf.getvalue()


def encode_seld_csv(rows: list[tuple[int, int, int, int, int, int]]) -> bytes:
    """SELD rows as CSV text without a header (as the DCASE metadata files)."""
    return "".join(",".join(str(x) for x in row) + "\n" for row in rows).encode()


def encode_clip(frames: VideoFrames, fps: float) -> dict[str, tuple[str, bytes]]:
    """The clip's files: kind -> (suffix, bytes)."""
    out = {"video": (".mp4", encode_mp4(frames.rgb, fps)),
           "frame_ids": (".frame_ids.png", encode_strip_png(frames.instance_ids)),
           "seld": (".seld.csv", encode_seld_csv(frames.seld_rows))}
    if frames.depth is not None:
        mm = np.clip(np.round(frames.depth * 1000.0), 0, 65535)
        out["frame_depth"] = (".frame_depth.png", encode_strip_png(mm))
    return out


def read_strip_png(data: bytes, frame_height: int) -> np.ndarray:
    """The (K, H, W) frames of a strip PNG written by :func:`encode_strip_png`."""
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(data)))
    return a.reshape(a.shape[0] // frame_height, frame_height, a.shape[1])


__all__ = ["MP4_OPTIONS", "MP4_QP", "SELD_RATE_HZ", "VideoFrames", "encode_clip", "encode_mp4", "encode_seld_csv",
           "encode_strip_png", "frame_times_s", "label_frame_count", "read_strip_png", "render_frames", "seld_rows"]
