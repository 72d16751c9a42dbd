"""Audit a dataset: check every sample's labels against the invariants of its condition.

``audit_record(record)`` looks at one sample's record (``samples/NNNN/NNNNNNN.json``) and nothing
else, and returns the invariants it violates (an empty list: the sample is sound).
``audit_dataset(dir)`` runs it over a dataset in manifest order, checks every listed file on disk
(existence, size, SHA-256) and the dataset's counts against ``dataset.json``.
``simulate audit DIR`` prints the summary; exit status 0 (all sound), 1 (violations), 2 (no such
dataset).

What is checked (docs/conditions.md, docs/dataset-format.md):

* every sample: unique object and source ids; masks decode to the image size and are disjoint;
  each object's visible pixels, area fraction, size bin, box and pixel centre agree with its mask
  and position; every stored angle and distance agrees with :mod:`simulator.core.geometry`; each
  source's pixel and ``on_screen`` agree with the camera; a source on an object shows on a pixel
  of that object's mask and the object is sounding (and only those objects are); every audio
  target repeats its source and its region (object or disk) and its pixel lies inside that
  region; semantic targets are visible objects; the listed files are the sample's own; the
  stored Scene agrees with the record; negative audio (``negatives[]``) is well formed;
* floor support (docs/support.md): every object whose Scene says ``support: floor`` has its
  lowest posed mesh vertex within FLOOR_TOL_M of the room's floor, at t = 0 and along its
  trajectory (:class:`FloorCheck`; the meshes come from the Scene's library);
* clips (simulator/clip_audit.py): per frame, masks against the id strip, on-screen flags, each
  source's pixel on its own object's mask, onsets and offsets, the AVATAR segment kind, the
  SELD rows, and a temporal condition's event course (:class:`ClipAudit`);
* per condition: the rules of the conditions table (one instance of the audio's category and it
  sounds, a silent semantic object, no object of the audio's category, a disk, silence or noise,
  2-5 instances, off-screen sources, one stem per source, ...), and the sized object's mask area
  in the sample's size bin.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .core import camera as cam
from .core.masks import bbox_of, decode_rle, disk_mask
from .core.size_bins import size_bin_of
from renderers.acoustic.heads import HEADS

from .cli_parser import ArgumentParser
from .clip_audit import ClipAudit
from .conditions import RULES, ConditionRule
from .conditions.offscreen import OFFSCREEN_REGIONS
from .core.geometry import azimuth_deg, distance_m, elevation_deg, lateral_deg
from .core.scene import NEGATIVE_KINDS, Camera, Scene
from .core.size_bins import SIZE_BINS
from .record_files import BadFile, inside, manifest_lines, one_line, read_json, read_record
from .shortcuts import ShortcutTally
from .sinks.folder import DATASET_FORMAT

ANGLE_TOL_DEG = 1e-6
LENGTH_TOL_M = 1e-9
PIXEL_TOL = 1e-6
#: How far an object with floor support may lie from the floor (its lowest posed vertex), m.
FLOOR_TOL_M = 0.01
#: Times (fractions of the clip) at which a moving object on the floor is checked.
FLOOR_CHECK_TIMES = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Violation:
    """One broken invariant: ``check`` is a short dotted name (``mask.disjoint``,
    ``congruent.instances``, ...), ``message`` says what is wrong."""

    check: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


class DatasetNotFound(Exception):
    """The folder is not a dataset of this tool (exit status 2)."""


# -- one record ------------------------------------------------------------------------------

def audit_record(record: dict[str, Any]) -> list[Violation]:
    """The invariants a sample's record violates (generic ones and those of its condition)."""
    auditor = RecordAudit(record)
    try:
        auditor.run()
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        auditor.fail("record.malformed", f"record cannot be read: {type(exc).__name__}: {exc}")
    return auditor.violations


def planned_category(record: dict[str, Any]) -> str | None:
    """The sample's planned category c (dataset.json ``counts.category``): the category of the
    sound that plays (the first source), or for vision_only that of the object that would
    sound (the first semantic target)."""
    sources = record.get("sources") or []
    if sources:
        return sources[0].get("category")
    semantic = record.get("targets", {}).get("semantic") or []
    for obj in record.get("objects", []):
        if semantic and obj.get("id") == semantic[0]:
            return obj.get("category")
    return None


def _close(a, b, tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


class RecordAudit:
    def __init__(self, record: dict[str, Any]):
        self.r = record
        self.violations: list[Violation] = []
        self.masks: dict[int, np.ndarray] = {}

    def fail(self, check: str, message: str) -> None:
        self.violations.append(Violation(check, message))

    # -- driver ---------------------------------------------------------------------------------
    def run(self) -> None:
        r = self.r
        missing = [k for k in ("index", "id", "condition", "size_bin", "camera", "objects", "sources", "targets",
                               "image_content", "audio", "files") if k not in r]
        if missing:
            self.fail("record.fields", f"missing fields: {', '.join(missing)}")
            return
        if r["id"] != f"{r['index']:07d}":
            self.fail("record.id", f"id {r['id']!r} does not match index {r['index']}")
        if r["condition"] not in RULES:
            self.fail("record.condition", f"unknown condition {r['condition']!r}")
        if r["size_bin"] not in SIZE_BINS:
            self.fail("record.size_bin", f"unknown size bin {r['size_bin']!r}")
        self.camera = self._camera()
        self.h, self.w = int(self.camera.height), int(self.camera.width)
        self.objects = {o["id"]: o for o in r["objects"]}
        self.sources = {s["id"]: s for s in r["sources"]}
        self.targets = r["targets"]
        self.audio_targets = list(self.targets.get("audio", []))
        self.semantic = list(self.targets.get("semantic", []))
        self._ids()
        self._objects()
        self._sources()
        self._sounding()
        self._audio_targets()
        self._semantic()
        self._labels()
        self._files()
        self._negatives()
        self._scene()
        rule = RULES.get(r["condition"]) if r["condition"] in RULES else None
        if rule is not None:
            if rule.check is ConditionRule.check:  # registration refuses this; a rule must state its invariants
                self.fail("record.condition", f"condition {r['condition']!r} has no invariant check")
            else:
                rule().check(self)

    # -- generic --------------------------------------------------------------------------------
    def _camera(self) -> Camera:
        c = self.r["camera"]
        camera = cam.camera_from_record(c)
        if not (isinstance(camera.width, int) and isinstance(camera.height, int) and camera.width > 0
                and camera.height > 0):
            raise ValueError(f"bad image size {camera.width}x{camera.height}")
        if "intrinsics" in c and not _close(c["intrinsics"], cam.pinhole(camera).intrinsics(), 1e-6):
            self.fail("camera.intrinsics", "intrinsics do not match hfov_deg and the image size")
        return camera

    def _ids(self) -> None:
        for kind, items in (("object", self.r["objects"]), ("source", self.r["sources"])):
            ids = [x["id"] for x in items]
            dup = sorted(i for i, n in Counter(ids).items() if n > 1)
            if dup:
                self.fail("ids.unique", f"{kind} ids repeated: {dup}")
            bad = [i for i in ids if not isinstance(i, int) or isinstance(i, bool) or i < 1]
            if bad:
                self.fail("ids.valid", f"{kind} ids must be positive integers (0 is the background): {bad}")

    def _angles(self, what: str, item: dict[str, Any], position) -> None:
        p = np.asarray(position, dtype=float)
        expected = {"azimuth_deg": float(azimuth_deg(p)), "elevation_deg": float(elevation_deg(p)),
                    "lateral_deg": float(lateral_deg(p)), "distance_m": float(distance_m(p))}
        for key, value in expected.items():
            if key not in item:
                self.fail("angles.missing", f"{what} has no {key}")
                continue
            tol = LENGTH_TOL_M if key == "distance_m" else ANGLE_TOL_DEG
            got = item[key]
            diff = abs(got - value)
            if key == "azimuth_deg":
                diff = min(diff, 360.0 - diff)
            if not diff <= tol:
                self.fail("angles.geometry", f"{what} {key} = {got} but its position gives {value}")

    def _objects(self) -> None:
        total = float(self.h * self.w)
        pin = cam.pinhole(self.camera)
        owner = np.zeros((self.h, self.w), np.int64)
        for obj in self.r["objects"]:
            oid = obj["id"]
            what = f"object {oid}"
            mask = decode_rle(obj["mask"])
            if mask.shape != (self.h, self.w):
                self.fail("mask.shape", f"{what} mask is {mask.shape}, image is {(self.h, self.w)}")
                continue
            self.masks[oid] = mask
            clash = np.unique(owner[mask & (owner > 0)])
            if clash.size:
                self.fail("mask.disjoint", f"{what} mask overlaps object(s) {clash.tolist()}")
            owner[mask & (owner == 0)] = oid
            n = int(mask.sum())
            if obj.get("visible_pixels") != n:
                self.fail("mask.pixels", f"{what} visible_pixels {obj.get('visible_pixels')} != mask sum {n}")
            if obj.get("visible") != (n > 0):
                self.fail("mask.visible", f"{what} visible={obj.get('visible')} but its mask has {n} pixels")
            area = n / total
            if not _close(obj.get("area_fraction"), area, 1e-12):
                self.fail("mask.area", f"{what} area_fraction {obj.get('area_fraction')} != mask area {area}")
            if obj.get("size_bin") != size_bin_of(area):
                self.fail("mask.size_bin", f"{what} size_bin {obj.get('size_bin')!r} != bin of its mask area "
                          f"{area:.4f} ({size_bin_of(area)!r})")
            if obj.get("bbox") != bbox_of(mask):
                self.fail("mask.bbox", f"{what} bbox {obj.get('bbox')} != box of its mask {bbox_of(mask)}")
            self._angles(what, obj, obj["position_m"])
            u, v, depth = pin.project(np.asarray(obj["position_m"], dtype=float))
            expected = [float(u), float(v)] if depth > 0 else None
            if not _close(obj.get("pixel_center"), expected, PIXEL_TOL):
                self.fail("object.pixel_center", f"{what} pixel_center {obj.get('pixel_center')} != projection "
                          f"of its position {expected}")

    def _in_mask(self, mask: np.ndarray, pixel) -> bool:
        if pixel is None:
            return False
        u, v = float(pixel[0]), float(pixel[1])
        if not (0.0 <= u < self.w and 0.0 <= v < self.h):
            return False
        return bool(mask[int(math.floor(v)), int(math.floor(u))])

    def inside_image(self, pixel) -> bool:
        return pixel is not None and 0.0 <= pixel[0] < self.w and 0.0 <= pixel[1] < self.h

    def _sources(self) -> None:
        for src in self.r["sources"]:
            what = f"source {src['id']}"
            self._angles(what, src, src["position_m"])
            px = cam.source_pixel(self.camera, src["position_m"])
            expected = None if px is None else [px[0], px[1]]
            if not _close(src.get("pixel"), expected, PIXEL_TOL):
                self.fail("source.pixel", f"{what} pixel {src.get('pixel')} != where the camera shows it {expected}")
            on = cam.source_on_screen(self.camera, src["position_m"])
            if src.get("on_screen") is not on:
                self.fail("source.on_screen", f"{what} on_screen={src.get('on_screen')} but its position is "
                          f"{'in' if on else 'outside'} the image")
            placement = src.get("placement")
            if placement not in ("object", "point", "offscreen"):
                self.fail("source.placement", f"{what} has unknown placement {placement!r}")
            if placement == "object":
                oid = src.get("object_id")
                if oid not in self.objects:
                    self.fail("source.object", f"{what} sits on object {oid}, which is not in the record")
                elif oid in self.masks and not self._in_mask(self.masks[oid], src.get("pixel")):
                    self.fail("source.on_object", f"{what} pixel {src.get('pixel')} is not on object {oid}'s mask")
            elif src.get("object_id") is not None:
                self.fail("source.object", f"{what} is placed at a {placement} but names object {src['object_id']}")
            if placement == "offscreen" and src.get("on_screen"):
                self.fail("source.offscreen", f"{what} is placed off-screen but shows in the image")

    def _sounding(self) -> None:
        carrying = {s["object_id"] for s in self.r["sources"] if s.get("placement") == "object"}
        sounding = {o["id"] for o in self.r["objects"] if o.get("sounding")}
        if sounding - carrying:
            self.fail("sounding.flag", f"object(s) {sorted(sounding - carrying)} marked sounding carry no source")
        if carrying - sounding:
            self.fail("sounding.flag", f"object(s) {sorted(carrying - sounding)} carry a source but are not "
                      f"marked sounding")

    def _audio_targets(self) -> None:
        ids = [t.get("source_id") for t in self.audio_targets]
        if len(set(ids)) != len(ids):
            self.fail("target.unique", f"audio targets repeat a source: {ids}")
        for t in self.audio_targets:
            sid = t.get("source_id")
            what = f"audio target (source {sid})"
            src = self.sources.get(sid)
            if src is None:
                self.fail("target.source", f"{what}: no such source")
                continue
            for key in ("category", "object_id", "position_m", "pixel", "azimuth_deg", "elevation_deg",
                        "lateral_deg", "distance_m"):
                a, b = t.get(key), src.get(key)
                same = a == b if key in ("category", "object_id") else _close(a, b, PIXEL_TOL)
                if not same:
                    self.fail("target.fields", f"{what} {key} {a!r} != its source's {b!r}")
            if "position_m" in t:
                self._angles(what, t, t["position_m"])
            oid = t.get("object_id")
            if "disk" in t:
                self._disk(what, t)
            elif oid is None:
                self.fail("target.region", f"{what} has neither an object nor a disk")
            else:
                obj = self.objects.get(oid)
                if obj is None:
                    self.fail("target.object", f"{what} names object {oid}, which is not in the record")
                    continue
                for key, okey in (("object_category", "category"), ("area_fraction", "area_fraction"),
                                  ("size_bin", "size_bin"), ("bbox", "bbox")):
                    if t.get(key) != obj.get(okey):
                        self.fail("target.fields", f"{what} {key} {t.get(key)!r} != object {oid}'s {obj.get(okey)!r}")
                if obj.get("role") != "target":
                    self.fail("target.role", f"{what}: object {oid} has role {obj.get('role')!r}, not 'target'")
                if oid in self.masks and not self._in_mask(self.masks[oid], t.get("pixel")):
                    self.fail("target.pixel", f"{what} pixel {t.get('pixel')} is not inside object {oid}'s mask")

    def _disk(self, what: str, t: dict[str, Any]) -> None:
        disk = t["disk"]
        mask = decode_rle(disk["mask"])
        if mask.shape != (self.h, self.w):
            self.fail("disk.shape", f"{what} disk mask is {mask.shape}, image is {(self.h, self.w)}")
            return
        u, v = disk["center"]
        expected = disk_mask(self.h, self.w, u, v, disk["radius_px"])
        if not np.array_equal(mask, expected):
            self.fail("disk.mask", f"{what} disk mask is not the disk of radius {disk['radius_px']} at {(u, v)}")
        area = float(mask.mean())
        if not _close(t.get("area_fraction"), area, 1e-12):
            self.fail("disk.area", f"{what} area_fraction {t.get('area_fraction')} != disk area {area}")
        if t.get("size_bin") != size_bin_of(area):
            self.fail("disk.size_bin", f"{what} size_bin {t.get('size_bin')!r} != bin of the disk area {area:.4f}")
        if t.get("bbox") != bbox_of(mask):
            self.fail("disk.bbox", f"{what} bbox {t.get('bbox')} != box of the disk {bbox_of(mask)}")
        if not _close(t.get("pixel"), [u, v], PIXEL_TOL):
            self.fail("disk.center", f"{what} pixel {t.get('pixel')} is not the disk centre {[u, v]}")
        if not self._in_mask(mask, t.get("pixel")):
            self.fail("target.pixel", f"{what} pixel {t.get('pixel')} is not inside its disk")

    def _semantic(self) -> None:
        if len(set(self.semantic)) != len(self.semantic):
            self.fail("semantic.unique", f"semantic targets repeat: {self.semantic}")
        for oid in self.semantic:
            obj = self.objects.get(oid)
            if obj is None:
                self.fail("semantic.object", f"semantic target {oid} is not an object of the record")
            elif not obj.get("visible"):
                self.fail("semantic.visible", f"semantic target {oid} is not visible")

    def _labels(self) -> None:
        r = self.r
        negative = self.targets.get("negative")
        if negative not in (None, *NEGATIVE_KINDS):
            self.fail("labels.negative", f"unknown negative label {negative!r}")
        image = r["image_content"]
        if image not in ("rendered", "gray", "noise"):
            self.fail("labels.image", f"unknown image_content {image!r}")
        elif image != "rendered":
            shown = [o["id"] for o in r["objects"] if o.get("visible")]
            if shown:
                self.fail("labels.image", f"a {image} image shows objects {shown}")
        audio = r["audio"]
        content = audio.get("content")
        if content not in ("rendered", "silence", "noise"):
            self.fail("labels.audio", f"unknown audio content {content!r}")
        elif content != "rendered":
            if r["sources"] or self.audio_targets:
                self.fail("labels.audio", f"{content} audio but the record has sources/audio targets")
            if negative != content:
                self.fail("labels.negative", f"{content} audio but negative label {negative!r}")
        head = audio.get("head")
        channels = HEADS.get(head).channels if head in HEADS else None
        if channels is None:
            self.fail("labels.audio", f"unknown head model {head!r}")
        elif audio.get("channels") != channels:
            self.fail("labels.audio", f"{audio.get('head')} head with {audio.get('channels')} channels")

    def _files(self) -> None:
        r = self.r
        files = r["files"]
        stem = f"samples/{r['index'] // 1000:04d}/{r['index']:07d}"
        for kind in ("image", "audio", "record"):
            if kind not in files:
                self.fail("files.missing", f"no {kind} file listed")
        if files.get("record") not in (None, f"{stem}.json"):
            self.fail("files.path", f"record file {files.get('record')!r} is not {stem}.json")
        for kind, rel in files.items():
            if not isinstance(rel, str) or not rel.startswith(stem + ".") or ".." in Path(rel).parts:
                self.fail("files.path", f"{kind} file {rel!r} is not one of this sample's files ({stem}.*)")
        source_ids = {s["id"] for s in r["sources"]}
        stems = {k for k in files if k.startswith("stem_s")}
        stray = sorted(k for k in stems if k[len("stem_s"):] not in {str(i) for i in source_ids})
        if stray:
            self.fail("files.stems", f"stems listed for sources that do not exist: {stray}")
        if stems and len(stems) != len(source_ids):
            self.fail("files.stems", f"{len(stems)} stems listed for {len(source_ids)} sources")

    def _negatives(self) -> None:
        r = self.r
        if "negatives" not in r:
            return
        negs = r["negatives"]
        if not self.audio_targets:
            self.fail("negatives.target", "negative audio on a sample without an audio target")
        kinds = [n.get("kind") for n in negs]
        if len(set(kinds)) != len(kinds) or any(k not in NEGATIVE_KINDS for k in kinds) or not kinds:
            self.fail("negatives.kinds", f"negative kinds {kinds} (each of {', '.join(NEGATIVE_KINDS)} at most once)")
        listed = {k[len("negative_"):]: v for k, v in r["files"].items() if k.startswith("negative_")}
        if set(listed) != set(kinds):
            self.fail("negatives.files", f"negative files listed for {sorted(listed)} but negatives are {kinds}")
        present = {o["category"] for o in r["objects"]}
        for neg in negs:
            kind = neg.get("kind")
            if neg.get("file") is None or listed.get(kind) != neg.get("file"):
                self.fail("negatives.files", f"{kind} negative file {neg.get('file')!r} is not listed in files")
            if kind != "offscreen":
                continue
            if neg.get("region") not in OFFSCREEN_REGIONS:
                self.fail("negatives.offscreen", f"unknown off-screen region {neg.get('region')!r}")
            src = neg.get("source") or {}
            what = "off-screen negative's source"
            self._angles(what, src, src.get("position_m"))
            if src.get("placement") != "offscreen" or src.get("object_id") is not None:
                self.fail("negatives.offscreen", f"{what} is placed {src.get('placement')!r} "
                          f"(object {src.get('object_id')})")
            shown = cam.source_on_screen(self.camera, src.get("position_m"))
            if src.get("on_screen") is not False or shown or self.inside_image(src.get("pixel")):
                self.fail("negatives.offscreen", f"{what} is on screen (on_screen={src.get('on_screen')}, "
                          f"pixel {src.get('pixel')})")
            if src.get("category") in present:
                self.fail("negatives.category", f"{what} is a {src.get('category')!r}, a category present in the image")

    def _scene(self) -> None:
        """The stored Scene (the replay contract) agrees with the record."""
        scene = self.r.get("scene")
        if scene is None:
            self.fail("scene.missing", "the record has no Scene")
            return
        try:  # every field's type and range, as replay reads it (format 1 with default settings)
            Scene.from_dict(scene)
        except ValueError as exc:
            self.fail("scene.malformed", f"the stored Scene cannot be read: {one_line(exc)}")
            return
        r = self.r
        for key in ("index", "condition", "size_bin"):
            if scene.get(key) != r[key]:
                self.fail("scene.mismatch", f"scene {key} {scene.get(key)!r} != record {r[key]!r}")
        if list(scene.get("seed", [])) != list(r.get("seed", [])):
            self.fail("scene.mismatch", f"scene seed {scene.get('seed')} != record seed {r.get('seed')}")
        s_obj = {o["id"]: o for o in scene.get("objects", [])}
        if set(s_obj) != set(self.objects):
            self.fail("scene.mismatch", f"scene objects {sorted(s_obj)} != record objects {sorted(self.objects)}")
        for oid in set(s_obj) & set(self.objects):
            a, b = s_obj[oid], self.objects[oid]
            for key in ("category", "sounding", "role", "mesh", "position_m"):
                if a.get(key) != b.get(key):
                    self.fail("scene.mismatch", f"object {oid} {key}: scene {a.get(key)!r} != record {b.get(key)!r}")
        s_src = {s["id"]: s for s in scene.get("sources", [])}
        if set(s_src) != set(self.sources):
            self.fail("scene.mismatch", f"scene sources {sorted(s_src)} != record sources {sorted(self.sources)}")
        for sid in set(s_src) & set(self.sources):
            a, b = s_src[sid], self.sources[sid]
            for key in ("category", "clip", "object_id", "placement", "position_m"):
                if a.get(key) != b.get(key):
                    self.fail("scene.mismatch", f"source {sid} {key}: scene {a.get(key)!r} != record {b.get(key)!r}")
        st = scene.get("targets", {})
        if list(st.get("audio", [])) != [t.get("source_id") for t in self.audio_targets]:
            self.fail("scene.mismatch", f"scene audio targets {st.get('audio')} != record "
                      f"{[t.get('source_id') for t in self.audio_targets]}")
        if list(st.get("semantic", [])) != self.semantic:
            self.fail("scene.mismatch", f"scene semantic targets {st.get('semantic')} != record {self.semantic}")
        if st.get("negative") != self.targets.get("negative"):
            self.fail("scene.mismatch", f"scene negative {st.get('negative')!r} != record "
                      f"{self.targets.get('negative')!r}")

    # -- per condition ----------------------------------------------------------------------------
    def one_object_target(self, cond: str):
        """The single source on an object and its audio target: (source, target object) or None."""
        srcs, targets = self.r["sources"], self.audio_targets
        if len(srcs) != 1 or len(targets) != 1:
            self.fail(f"{cond}.sources", f"{len(srcs)} sources and {len(targets)} audio targets (expected one each)")
            return None
        src, t = srcs[0], targets[0]
        if src.get("placement") != "object" or t.get("source_id") != src["id"]:
            self.fail(f"{cond}.source", f"the source is placed {src.get('placement')!r} and the audio target is "
                      f"source {t.get('source_id')} (expected the source, on an object)")
            return None
        obj = self.objects.get(src.get("object_id"))
        if obj is None:
            return None
        if t.get("object_id") != obj["id"]:
            self.fail(f"{cond}.target",
                      f"the audio target is object {t.get('object_id')}, the source sits on {obj['id']}")
        if not obj.get("sounding"):
            self.fail(f"{cond}.sounding", f"object {obj['id']} carries the source but is not sounding")
        return src, obj

    def sized(self, cond: str, obj: dict[str, Any] | None, what: str) -> None:
        if obj is not None and obj.get("size_bin") != self.r["size_bin"]:
            self.fail(f"{cond}.size_bin", f"{what} (object {obj['id']}) has area {obj.get('area_fraction', 0):.4f} "
                      f"({obj.get('size_bin')!r}), the sample's size bin is {self.r['size_bin']!r}")

    def plain(self, cond: str, negative: str | None = None) -> None:
        """Rendered image and audio, and the expected negative label."""
        if self.r["image_content"] != "rendered":
            self.fail(f"{cond}.image", f"image_content is {self.r['image_content']!r}, expected 'rendered'")
        if negative is None and self.r["audio"].get("content") != "rendered":
            self.fail(f"{cond}.audio", f"audio content is {self.r['audio'].get('content')!r}, expected 'rendered'")
        if self.targets.get("negative") != negative:
            self.fail(f"{cond}.negative", f"negative label {self.targets.get('negative')!r}, expected {negative!r}")

    def of_category(self, category: str) -> list[int]:
        return [o["id"] for o in self.r["objects"] if o["category"] == category]


# -- a dataset --------------------------------------------------------------------------------

@dataclass
class SampleFailure:
    index: int
    id: str
    condition: str
    violations: list[Violation]


@dataclass
class AuditReport:
    """The result of :func:`audit_dataset`."""

    root: Path
    samples: int = 0
    per_condition: dict[str, dict[str, int]] = field(default_factory=dict)  # {cond: {samples, failed}}
    failures: list[SampleFailure] = field(default_factory=list)
    dataset_violations: list[Violation] = field(default_factory=list)
    no_layout: int = 0  # samples dataset.json lists as failed (no valid layout; not in the manifest)
    shortcuts: ShortcutTally = field(default_factory=ShortcutTally)  # no-audio baselines (simulator/shortcuts.py)
    floor: "FloorCheck" = field(default_factory=lambda: FloorCheck())  # objects with floor support
    clips: ClipAudit = field(default_factory=ClipAudit)  # per-frame checks of clips (simulator/clip_audit.py)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.dataset_violations

    def violation_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(v.check for f in self.failures for v in f.violations).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": str(self.root), "ok": self.ok, "samples": self.samples, "no_layout": self.no_layout,
            "per_condition": self.per_condition, "violations_per_check": self.violation_counts(),
            "dataset_violations": [dataclasses.asdict(v) for v in self.dataset_violations],
            "no_audio_baselines": self.shortcuts.to_dict(),
            "floor_support": self.floor.to_dict(),
            "clips": self.clips.to_dict(),
            "failures": [{"index": f.index, "id": f.id, "condition": f.condition,
                          "violations": [dataclasses.asdict(v) for v in f.violations]} for f in self.failures],
        }

    def summary(self, max_failures: int = 20) -> str:
        failed = len(self.failures)
        lines = [f"audit {self.root}: {self.samples} samples, {failed} with violations"
                 + (f", {len(self.dataset_violations)} dataset-level problems" if self.dataset_violations else "")
                 + (f"; {self.no_layout} planned samples had no valid layout (dataset.json 'failed')"
                    if self.no_layout else "")]
        width = max((len(c) for c in self.per_condition), default=0)
        for cond, c in self.per_condition.items():
            lines.append(f"  {cond:<{width}}  {c['samples']:>7} samples  {c['failed']:>5} failed")
        for v in self.dataset_violations:
            lines.append(f"  dataset: {v}")
        lines.extend(self.shortcuts.summary_lines())
        lines.extend(self.clips.summary_lines())
        if self.floor.objects:
            lines.append(f"  floor support: {self.floor.objects} objects checked, largest gap to the floor "
                         f"{1000 * self.floor.largest_gap_m:.3f} mm (tolerance {1000 * FLOOR_TOL_M:.0f} mm)")
        counts = self.violation_counts()
        if counts:
            lines.append("  violations per check: " + ", ".join(f"{k}={n}" for k, n in counts.items()))
        for f in self.failures[:max_failures]:
            lines.append(f"  sample {f.id} ({f.condition}):")
            lines.extend(f"    {v}" for v in f.violations)
        if failed > max_failures:
            lines.append(f"  ... and {failed - max_failures} more samples with violations (--json for all)")
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines)


def find_datasets(path: Path) -> list[Path]:
    """``path`` itself if it is a dataset, else its sub-datasets (a sweep's output folder)."""
    path = Path(path)
    if (path / "dataset.json").is_file():
        return [path]
    if path.is_dir():
        subs = sorted(p for p in path.iterdir() if (p / "dataset.json").is_file())
        if subs:
            return subs
    if not path.exists():
        raise DatasetNotFound(f"{path}: no such folder")
    where = " here or in its sub-folders" if path.is_dir() else ""
    raise DatasetNotFound(f"{path}: not a dataset (no dataset.json{where})")


def read_dataset_info(root: Path) -> dict[str, Any]:
    try:
        info = read_json(Path(root) / "dataset.json")
    except BadFile as exc:
        raise DatasetNotFound(f"{root}/dataset.json: cannot be read ({exc})") from None
    if not isinstance(info, dict) or info.get("format") != DATASET_FORMAT:
        raise DatasetNotFound(f"{root}: dataset.json is not an {DATASET_FORMAT} file")
    if not (Path(root) / "manifest.jsonl").is_file():
        raise DatasetNotFound(f"{root}: no manifest.jsonl")
    fmt = (info.get("spec") or {}).get("output", {}).get("format", "folder") if isinstance(info.get("spec"), dict) \
        else "folder"
    if fmt != "folder":
        raise DatasetNotFound(f"{root}: is a dataset of output.format {fmt!r} (shards); audit and stats read dataset "
                              "folders: run them on the folder dataset it was packed from, or make one with "
                              "output.format: folder")
    return info


def manifest_entries(root: Path) -> Iterable[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, entry or None, error) for each manifest line."""
    try:
        yield from manifest_lines(Path(root) / "manifest.jsonl")
    except BadFile as exc:
        raise DatasetNotFound(f"{root}/manifest.jsonl: cannot be read ({exc})") from None


def record_counts(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts per condition, size bin, planned category and condition/size bin (the keys of
    dataset.json ``counts``), from the records."""
    out: dict[str, Counter] = {"condition": Counter(), "size_bin": Counter(), "category": Counter(),
                               "condition/size_bin": Counter()}
    for rec in records:
        out["condition"][rec.get("condition")] += 1
        out["size_bin"][rec.get("size_bin")] += 1
        out["category"][planned_category(rec)] += 1
        out["condition/size_bin"][f"{rec.get('condition')}/{rec.get('size_bin')}"] += 1
    return {k: dict(sorted(((str(a), b) for a, b in v.items()))) for k, v in out.items()}


def _file_problems(root: Path, entry: dict[str, Any], checksums: bool) -> list[Violation]:
    out = []
    sizes, sums, files = entry.get("bytes", {}), entry.get("sha256", {}), entry.get("files", {})
    if not all(isinstance(x, dict) for x in (sizes, sums, files)):
        return [Violation("files.manifest", "the manifest entry's files, bytes or sha256 is not a mapping")]
    for kind, rel in sorted(files.items(), key=lambda kv: str(kv[0])):
        if rel not in sizes:
            out.append(Violation("files.manifest", f"{kind} file {rel} has no size in the manifest"))
    for rel, size in sorted(sizes.items()):
        if not inside(root, rel):
            out.append(Violation("files.manifest", f"{rel!r} is not a file of the dataset"))
            continue
        p = root / rel
        if not p.is_file():
            out.append(Violation("files.exist", f"{rel} does not exist"))
            continue
        if p.stat().st_size != size:
            out.append(Violation("files.size", f"{rel} has {p.stat().st_size} bytes, the manifest says {size}"))
        elif checksums and rel in sums and hashlib.sha256(p.read_bytes()).hexdigest() != sums[rel]:
            out.append(Violation("files.sha256", f"{rel} does not match its SHA-256 in the manifest"))
    return out


def audit_dataset(root: Path | str, checksums: bool = True) -> AuditReport:
    """Audit every sample of a dataset (manifest order) and the dataset's counts.

    Raises :class:`DatasetNotFound` if ``root`` is not a dataset."""
    root = Path(root)
    info = read_dataset_info(root)
    report = AuditReport(root=root)
    dv = report.dataset_violations
    failed = {f.get("index") for f in info.get("failed") or [] if isinstance(f, dict)}
    report.no_layout = len(failed)
    finished = info.get("status") == "complete" or (info.get("status") == "incomplete" and bool(failed))
    if not finished:
        dv.append(Violation("dataset.status", f"status is {info.get('status')!r}, not 'complete' (rerun the command)"))
    part = info.get("part") if isinstance(info.get("part"), dict) else None
    first, stop = (part.get("start", 0), part.get("stop")) if part else (0, info.get("samples"))
    light: list[dict[str, Any]] = []  # what the counts need, per record
    expected_index = first
    for n, entry, error in manifest_entries(root):
        if error:
            dv.append(Violation("manifest.line", error))
            continue
        index = entry.get("index")
        while expected_index in failed:  # samples with no valid layout leave gaps (dataset.json "failed")
            expected_index += 1
        if index != expected_index:
            dv.append(Violation("manifest.order", f"manifest line {n} has index {index}, expected {expected_index}"))
        expected_index = (index if isinstance(index, int) else expected_index) + 1
        problems = _file_problems(root, entry, checksums)
        rel = entry.get("files", {}).get("record")
        record = None
        try:
            record = read_record(root / rel) if isinstance(rel, str) and inside(root, rel) else None
        except BadFile as exc:
            problems.append(Violation("files.record", f"record {rel} cannot be read ({exc})"))
        condition = entry.get("condition", "?")
        if record is not None:
            condition = record.get("condition", condition)
            problems.extend(audit_record(record))
            problems.extend(report.floor.check(record))
            problems.extend(report.clips.check(record, root, Violation))
            report.shortcuts.add(record)
            for key in ("index", "id", "condition", "size_bin", "files"):
                if entry.get(key) != record.get(key):
                    problems.append(Violation("manifest.record", f"manifest {key} {entry.get(key)!r} != record "
                                              f"{record.get(key)!r}"))
            targets = record.get("targets", {}).get("audio") or [{}]
            if entry.get("category") != targets[0].get("category"):
                problems.append(Violation("manifest.record", f"manifest category {entry.get('category')!r} != the "
                                          f"audio target's {targets[0].get('category')!r}"))
            for neg in record.get("negatives", []):
                if neg.get("file") and not (root / neg["file"]).is_file():
                    problems.append(Violation("files.exist", f"negative file {neg['file']} does not exist"))
            light.append({"condition": record.get("condition"), "size_bin": record.get("size_bin"),
                          "sources": [{"category": s.get("category")} for s in record.get("sources", [])],
                          "targets": {"semantic": record.get("targets", {}).get("semantic", [])},
                          "objects": [{"id": o.get("id"), "category": o.get("category")}
                                      for o in record.get("objects", [])]})
        stats = report.per_condition.setdefault(condition, {"samples": 0, "failed": 0})
        stats["samples"] += 1
        report.samples += 1
        if problems:
            stats["failed"] += 1
            report.failures.append(SampleFailure(index if isinstance(index, int) else -1,
                                                 str(entry.get("id", index)), condition, problems))
    report.per_condition = dict(sorted(report.per_condition.items()))
    if isinstance(stop, int) and isinstance(first, int) and report.samples + len(failed) != stop - first:
        dv.append(Violation("dataset.samples", f"manifest has {report.samples} samples and dataset.json lists "
                            f"{len(failed)} failed, for {stop - first} samples"))
    got = record_counts(light)
    for key, expected in (info.get("counts") or {}).items() if part is None else ():  # a part's counts are its plan's
        if key not in got:
            continue
        missing = {k: expected.get(k, 0) - got[key].get(k, 0) for k in set(expected) | set(got[key])}
        if failed and all(v >= 0 for v in missing.values()) and sum(missing.values()) == len(failed):
            continue  # the failed samples' plan entries are the only difference
        if got[key] != dict(sorted(expected.items())):
            diff = {k: (expected.get(k, 0), got[key].get(k, 0)) for k in sorted(set(expected) | set(got[key]))
                    if expected.get(k, 0) != got[key].get(k, 0)}
            dv.append(Violation("dataset.counts", f"counts per {key} differ from dataset.json "
                                f"(value: (planned, found)): {diff}"))
    coco = root / "annotations.coco.json"
    if info.get("spec", {}).get("output", {}).get("coco") and finished:
        if not coco.is_file():
            dv.append(Violation("dataset.coco", "annotations.coco.json is missing"))
        else:
            try:
                n_images = len(json.loads(coco.read_text()).get("images", []))
            except ValueError:
                n_images = -1
            if n_images != report.samples:
                dv.append(Violation("dataset.coco",
                                    f"the COCO export has {n_images} images for {report.samples} samples"))
    return report


# -- floor support ------------------------------------------------------------------------------

@dataclass
class FloorCheck:
    """Objects with floor support rest on the floor: each one's lowest posed vertex (its mesh from
    the Scene's library, posed by position, yaw/pitch/roll and scale) lies within FLOOR_TOL_M of
    the floor of the Scene's room (its lowest bound, in the head frame), at FLOOR_CHECK_TIMES of
    the clip. Counts the objects checked and the largest gap found."""

    objects: int = 0
    largest_gap_m: float = 0.0
    _libraries: dict = field(default_factory=dict, repr=False)
    _lowest: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"objects": self.objects, "largest_gap_m": self.largest_gap_m, "tolerance_m": FLOOR_TOL_M}

    def check(self, record: dict[str, Any]) -> list[Violation]:
        data = record.get("scene")
        if not isinstance(data, dict) or not any(isinstance(o, dict) and o.get("support") == "floor"
                                                 for o in data.get("objects", [])):
            return []
        try:
            scene = Scene.from_dict(data)
        except ValueError:
            return []  # scene.malformed says so
        from renderers.acoustic.room_kinds import ROOM_KINDS

        kind = ROOM_KINDS.get(scene.room.type)
        if not kind.bounded or scene.room.listener_position_m is None:
            return [Violation("support.floor", f"objects rest on the floor of a {scene.room.type} room, which has none")]
        floor = float(kind.bounds(scene.room)[0][2] - scene.room.listener_position_m[2])
        out = []
        times = np.asarray(FLOOR_CHECK_TIMES, float) * float(scene.audio.duration_s)
        for obj in scene.objects:
            if obj.support != "floor":
                continue
            try:
                lowest = self._lowest_offset(scene, obj)
            except Exception as exc:  # noqa: BLE001 - a mesh that cannot be read is reported, not fatal
                out.append(Violation("support.floor", f"object {obj.id}: mesh {obj.mesh!r} cannot be read "
                                     f"({one_line(exc)})"))
                continue
            z = scene.object_positions_m(obj.id, times)[:, 2] if obj.motion is not None \
                else np.asarray([obj.position_m[2]], float)
            gap = float(np.abs(z + lowest - floor).max())
            self.objects += 1
            self.largest_gap_m = max(self.largest_gap_m, gap)
            if gap > FLOOR_TOL_M:
                out.append(Violation("support.floor", f"object {obj.id} ({obj.category}) rests {gap * 100:.1f} cm "
                                     f"off the floor (tolerance {FLOOR_TOL_M * 100:.0f} cm)"))
        return out

    def _lowest_offset(self, scene: Scene, obj) -> float:
        """Height of the object's lowest posed vertex below its centre (negative), m."""
        from .assets.user import open_library
        from .core.geometry import pose_matrix

        ref = (scene.library.meshes, obj.mesh, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale)
        if ref not in self._lowest:
            if scene.library.meshes not in self._libraries:
                self._libraries[scene.library.meshes] = open_library("default", scene.library.meshes)
            vertices = np.asarray(self._libraries[scene.library.meshes].load_mesh(obj.mesh).vertices, float)
            pose = pose_matrix((0.0, 0.0, 0.0), obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale)
            self._lowest[ref] = float((vertices @ pose[:3, :3].T)[:, 2].min())
        return self._lowest[ref]


# -- command line ------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """``simulate audit DIR``: 0 all sound, 1 violations found, 2 not a dataset."""
    ap = ArgumentParser(prog="simulate audit",
                                 description="Check every sample of a dataset against its condition's invariants.")
    ap.add_argument("dataset", help="dataset folder (or a sweep's output folder: each sub-dataset is audited)")
    ap.add_argument("--no-checksums", action="store_true", help="check file sizes only, not their SHA-256")
    ap.add_argument("--json", metavar="FILE", help="also write the full report (every violation) as JSON")
    ap.add_argument("--max-shown", type=int, default=20, help="samples with violations listed in full (default 20)")
    ap.add_argument("--fail-on-shortcut", action="store_true",
                    help="exit 1 also when a no-audio baseline beats chance (simulator/shortcuts.py)")
    ap.add_argument("--against", metavar="OTHER", help="instead: report the clips, meshes and photos both datasets "
                    "use (held-out splits; simulator/asset_overlap.py); exit 1 if they share any")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.against is not None:
        from .asset_overlap import main as overlap_main

        return overlap_main(args.dataset, args.against, args.json)
    try:
        roots = find_datasets(Path(args.dataset))
        reports = [audit_dataset(root, checksums=not args.no_checksums) for root in roots]
    except DatasetNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for report in reports:
        print(report.summary(args.max_shown))
    if args.json:
        sweep = roots != [Path(args.dataset)]
        data = {"datasets": [r.to_dict() for r in reports]} if sweep else reports[0].to_dict()
        Path(args.json).write_text(json.dumps(data, indent=1) + "\n")
    shortcut = args.fail_on_shortcut and any(r.shortcuts.flagged for r in reports)
    return 0 if all(r.ok for r in reports) and not shortcut else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
