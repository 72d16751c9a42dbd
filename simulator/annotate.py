"""Turn a Scene and its renders into the sample's annotation record (exact labels).

Masks come from the instance-id image (visible masks) and per-object silhouettes (amodal); they
are stored as COCO RLE. Boxes are COCO ``[x, y, width, height]`` in pixels of the visible mask.
Angles and distances are those of :mod:`simulator.core.geometry` (head frame, degrees, metres).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .activity import activity_entry
from .core import camera as cam
from .core.geometry import azimuth_deg, distance_m, elevation_deg, lateral_deg
from .core.masks import bbox_of, disk_mask, encode_rle
from .core.record import Record
from .core.scene import Scene
from .core.scene_motion import motion_record
from .core.size_bins import size_bin_of


def angles_of(p) -> dict[str, float]:
    """Azimuth, elevation, lateral angle (degrees) and distance (m) of a head-frame point."""
    p = np.asarray(p, dtype=float)
    return {"azimuth_deg": float(azimuth_deg(p)), "elevation_deg": float(elevation_deg(p)),
            "lateral_deg": float(lateral_deg(p)), "distance_m": float(distance_m(p))}


def _pixel(px) -> list[float] | None:
    return None if px is None else [float(px[0]), float(px[1])]


def annotate_source(camera, src) -> dict[str, Any]:
    """A source's annotation: clip, gain, position, angles, where it shows in the image."""
    px = cam.source_pixel(camera, src.position_m)
    return {
        "id": src.id, "category": src.category, "clip": src.clip, "clip_offset_s": src.clip_offset_s,
        "gain_db": src.gain_db, "object_id": src.object_id, "placement": src.placement,
        "position_m": list(src.position_m), **angles_of(src.position_m), "pixel": _pixel(px),
        "on_screen": cam.source_on_screen(camera, src.position_m), **activity_entry(src),
    }


def annotate(scene: Scene, instance_ids: np.ndarray, amodal: dict[int, np.ndarray]) -> Record:
    """The record of one sample (without file names, audio and negatives, which the renderer and
    the encoder add; :class:`simulator.core.record.Record`): objects, sources, targets and the Scene.

    ``instance_ids`` is the (H, W) id image; ``amodal`` maps object ids to their unoccluded
    silhouettes (used for visible fractions).
    """
    h, w = instance_ids.shape
    total = float(h * w)
    pin = cam.pinhole(scene.camera)
    objects = []
    for obj in scene.objects:
        visible = instance_ids == obj.id
        n_visible = int(visible.sum())
        n_amodal = int(amodal[obj.id].sum()) if obj.id in amodal else None
        u, v, depth = pin.project(np.asarray(obj.position_m))
        area = n_visible / total
        entry = {
            "id": obj.id, "category": obj.category, "role": obj.role, "sounding": obj.sounding,
            "mesh": obj.mesh, "position_m": list(obj.position_m), "yaw_deg": obj.yaw_deg,
            **angles_of(obj.position_m),
            "pixel_center": [float(u), float(v)] if depth > 0 else None,
            "visible": n_visible > 0, "visible_pixels": n_visible,
            "visible_fraction": (n_visible / n_amodal) if n_amodal else (0.0 if n_amodal == 0 else None),
            "area_fraction": area, "size_bin": size_bin_of(area),
            "bbox": bbox_of(visible), "mask": encode_rle(visible),
        }
        if obj.photo_annotation is not None:
            entry["photo_annotation"] = obj.photo_annotation  # the COCO annotation id of a photo's object
        objects.append(entry)
    sources = [annotate_source(scene.camera, src) for src in scene.sources]
    by_obj = {o["id"]: o for o in objects}
    disks = {d.source_id: d for d in scene.targets.disks}
    audio_targets = []
    for sid in scene.targets.audio:
        s = next(x for x in sources if x["id"] == sid)
        o = by_obj.get(s["object_id"]) if s["object_id"] is not None else None
        entry = {
            "source_id": sid, "object_id": s["object_id"], "category": s["category"],
            "position_m": s["position_m"], "pixel": s["pixel"],
            **{k: s[k] for k in ("azimuth_deg", "elevation_deg", "lateral_deg", "distance_m")},
            "object_category": o["category"] if o else None,
            "area_fraction": o["area_fraction"] if o else None, "size_bin": o["size_bin"] if o else None,
            "bbox": o["bbox"] if o else None,
        }
        if sid in disks:
            d = disks[sid]
            disk = disk_mask(h, w, d.u, d.v, d.radius_px)
            area = float(disk.mean())
            entry.update(area_fraction=area, size_bin=size_bin_of(area), bbox=bbox_of(disk),
                         disk={"center": [d.u, d.v], "radius_px": d.radius_px, "mask": encode_rle(disk)})
        audio_targets.append(entry)
    record: Record = {
        "index": scene.index, "seed": list(scene.seed), "condition": scene.condition,
        "size_bin": scene.size_bin,
        "camera": {**{k: v for k, v in scene.camera.__dict__.items() if v is not None},
                   "position_m": list(scene.camera.position_m),
                   "intrinsics": pin.intrinsics().tolist()},
        "objects": objects, "sources": sources,
        "targets": {"audio": audio_targets, "semantic": list(scene.targets.semantic),
                    "negative": scene.targets.negative},
        "image_content": scene.manipulations.image.kind if scene.manipulations.image is not None else "rendered",
        "scene": scene.to_dict(),
    }
    motion = motion_record(scene)
    if motion is not None:  # only a Scene that moves has the entry (stills keep their bytes)
        record["motion"] = motion
    return record
