"""Index of a COCO-format photo dataset: per image, its objects, their visible masks, size bins and
source pixels.

Input (the COCO "instances" format): ``{"images": [{"id", "file_name", "width", "height"}],
"annotations": [{"id", "image_id", "category_id", "segmentation", "iscrowd"}], "categories":
[{"id", "name"}]}``. Segmentations may be polygons (lists of ``[x0, y0, x1, y1, ...]`` in pixel
coordinates, COCO's continuous convention), uncompressed RLE (``counts`` a list) or compressed RLE
(``counts`` a string); pycocotools decodes all three. An image entry may name its depth map with
``"depth_file"`` (relative to the depth folder); otherwise ``<depth_dir>/<file_name without
extension>.npy`` then ``.png`` is used when it exists (:mod:`simulator.photos.depth`).

What the index decides (docs/photos.md):

* **Categories.** A COCO category name is mapped to the library's name by ``category_map``
  (explicit entries first, then :data:`DEFAULT_ALIASES`, else the COCO name itself). A map value
  of ``None`` drops that category (its annotations are not objects; their pixels are background).
* **Crowd regions** (``iscrowd: 1``) are not objects, but their category counts as present in the
  image (an image with a crowd of dogs never serves as "no dog here" or "one dog only").
* **Overlaps.** COCO masks may overlap. The visible masks are made disjoint by painting the full
  masks from the largest to the smallest area (ties: lower annotation id first), so a smaller
  object stays on top of a larger one it overlaps (a phone over a person, a person on a horse).
  The renderer (``renderers.visual.photo``) paints the same way, so the visible masks here equal
  the rendered instance ids.
* **Size bins** use the visible mask's area fraction (as the annotator does):
  :func:`simulator.annotate.size_bin_of`, None above 30 %.
* **Source pixel** of an object: the centre of the pixel holding the visible mask's centroid if
  that pixel is on the mask, else the centre of the mask pixel farthest from the mask's edge
  (distance transform). It is always a pixel centre inside the visible mask, so a source placed on
  its ray projects back into the mask without rounding trouble.

Broken input is skipped and counted in :attr:`PhotoIndex.skipped`, never fatal: a missing or
unreadable image file, an image whose file size disagrees with its entry, an annotation whose
image or category does not exist, whose segmentation cannot be decoded or has a mask of the wrong
size, or whose mask is empty. Only an unreadable annotations file raises :class:`PhotoIndexError`.

The index is cached (gzip JSON, masks as compressed RLE) so worker processes start fast; see
:meth:`PhotoIndex.load`.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from ..core.size_bins import size_bin_of

#: COCO category names whose library name differs (seeds/000 calls COCO's "motorcycle" "motorbike").
DEFAULT_ALIASES: dict[str, str] = {"motorcycle": "motorbike", "cell phone": "telephone"}

#: Bumped whenever the cached content or its meaning changes.
INDEX_VERSION = 1

#: How many image layouts (decoded masks) an index keeps in memory.
LAYOUT_CACHE_SIZE = 8


class PhotoIndexError(ValueError):
    """The annotations file cannot be used at all (missing, not JSON, not COCO)."""


@dataclass(frozen=True)
class PhotoObject:
    """One annotated (non-crowd) object of a photo, at the photo's own resolution.

    ``category``: the mapped (library) name, or the COCO name when unmapped; ``coco_category``:
    the COCO name. ``area_fraction``/``size_bin``/``bbox``/``source_px`` describe the visible mask
    (after overlap resolution); ``full_fraction`` the full COCO mask. ``source_px`` is None when
    the object is completely covered by smaller objects.
    """

    ann_id: int
    category: str
    coco_category: str
    area_fraction: float
    full_fraction: float
    size_bin: str | None
    bbox: tuple[int, int, int, int] | None
    source_px: tuple[float, float] | None

    @property
    def visible(self) -> bool:
        return self.source_px is not None


@dataclass(frozen=True)
class PhotoImage:
    """One usable photo: its file (relative to the images folder), size, depth map file (relative
    to the depth folder, or None), objects (sorted by annotation id) and the categories of its
    crowd regions."""

    image_id: int
    file: str
    width: int
    height: int
    depth_file: str | None
    objects: tuple[PhotoObject, ...]
    crowd: tuple[str, ...] = ()

    def count(self, category: str) -> int:
        """Instances of ``category`` (non-crowd, visible or not)."""
        return sum(1 for o in self.objects if o.category == category)

    def has(self, category: str) -> bool:
        """True if the category is present at all (an instance or a crowd region)."""
        return category in self.crowd or any(o.category == category for o in self.objects)


@dataclass
class LayoutObject:
    """An object's visible mask and what follows from it, at one output size. The mask is kept
    as ``crop`` inside ``box`` = (row0, row1, col0, col1) of its full mask (half-open)."""

    ann_id: int
    box: tuple[int, int, int, int]
    crop: np.ndarray             # (row1 - row0, col1 - col0) bool: visible pixels inside box
    full_pixels: int
    area_fraction: float
    size_bin: str | None
    bbox: list[int] | None
    source_px: tuple[float, float] | None

    def visible(self, shape: tuple[int, int]) -> np.ndarray:
        """The visible mask as a full (H, W) bool image."""
        out = np.zeros(shape, bool)
        r0, r1, c0, c1 = self.box
        out[r0:r1, c0:c1] = self.crop
        return out


@dataclass
class Layout:
    """The disjoint visible masks of one image at ``size`` = (width, height).

    ``ids``: (H, W) int64 annotation ids of the visible object (0: background or crowd)."""

    size: tuple[int, int]
    ids: np.ndarray
    objects: dict[int, LayoutObject] = field(default_factory=dict)


def map_category(name: str, category_map: Mapping[str, str | None] | None) -> str | None:
    """Library name of a COCO category name (None: dropped)."""
    if category_map and name in category_map:
        return category_map[name]
    return DEFAULT_ALIASES.get(name, name)


def segmentation_rle(segm: Any, height: int, width: int) -> dict | None:
    """A COCO segmentation (polygons, uncompressed or compressed RLE) as one compressed RLE
    (``counts`` bytes). Returns None for no polygon with at least three points; raises
    ValueError for anything that cannot be decoded or has the wrong size."""
    from pycocotools import mask as mask_utils

    if isinstance(segm, list):
        polys = []
        for p in segm:
            if not isinstance(p, (list, tuple)):
                raise ValueError("polygon is not a list of numbers")
            coords = [float(x) for x in p]
            if not np.all(np.isfinite(coords)):
                raise ValueError("polygon has non-finite coordinates")
            # pycocotools reads a 4-number list as a box: polygons need >= 3 points.
            if len(coords) >= 6 and len(coords) % 2 == 0:
                polys.append(coords)
        if not polys:
            return None
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
    elif isinstance(segm, dict) and "counts" in segm and "size" in segm:
        size = [int(s) for s in segm["size"]]
        if size != [height, width]:
            raise ValueError(f"RLE size {size} is not the image's {[height, width]}")
        if isinstance(segm["counts"], list):
            rle = mask_utils.frPyObjects(segm, height, width)
        elif isinstance(segm["counts"], (str, bytes)):
            counts = segm["counts"].encode("ascii") if isinstance(segm["counts"], str) else segm["counts"]
            rle = {"size": size, "counts": counts}
        else:
            raise ValueError("RLE counts must be a list or a string")
    else:
        raise ValueError("segmentation is neither polygons nor RLE")
    return {"size": [int(height), int(width)], "counts": rle["counts"]}


def decode_rle(rle: dict) -> np.ndarray:
    from pycocotools import mask as mask_utils

    counts = rle["counts"].encode("ascii") if isinstance(rle["counts"], str) else rle["counts"]
    m = mask_utils.decode({"size": list(rle["size"]), "counts": counts})
    if m.shape != tuple(rle["size"]):
        raise ValueError("decoded mask has the wrong size")
    return m.astype(bool)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a bool mask to ``size`` = (width, height)."""
    if (mask.shape[1], mask.shape[0]) == tuple(size):
        return mask
    from PIL import Image

    img = Image.fromarray(mask.astype(np.uint8) * 255).resize(tuple(size), Image.NEAREST)
    return np.asarray(img) > 127


def paint_order(areas: Mapping[int, int]) -> list[int]:
    """Annotation ids in painting order: largest full-mask area first, ties lower id first, so
    smaller objects end up on top."""
    return sorted(areas, key=lambda aid: (-int(areas[aid]), aid))


def source_pixel(mask: np.ndarray) -> tuple[float, float] | None:
    """Where an object's sound goes: the centre of the pixel holding the mask's centroid if that
    pixel is on the mask, else the centre of the mask pixel farthest from the mask's edge."""
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return None
    r, c = int(np.floor(rows.mean() + 0.5)), int(np.floor(cols.mean() + 0.5))
    if not mask[r, c]:
        from scipy.ndimage import distance_transform_edt

        dist = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
        r, c = (int(x) for x in np.unravel_index(int(np.argmax(dist)), dist.shape))
    return c + 0.5, r + 0.5


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def make_layout(full: Mapping[int, np.ndarray], size: tuple[int, int]) -> Layout:
    """Disjoint visible masks (see :func:`paint_order`) and their statistics. ``full``: non-empty
    (H, W) bool masks by annotation id. Works on each mask's bounding box (fast on big photos)."""
    w, h = size
    boxes = {aid: _box(m) for aid, m in full.items()}
    crops = {aid: full[aid][r0:r1, c0:c1] for aid, (r0, r1, c0, c1) in boxes.items()}
    areas = {aid: int(crop.sum()) for aid, crop in crops.items()}
    ids = np.zeros((h, w), np.int64)
    for aid in paint_order(areas):
        r0, r1, c0, c1 = boxes[aid]
        ids[r0:r1, c0:c1][crops[aid]] = aid
    layout = Layout(size=(w, h), ids=ids)
    total = float(w * h)
    for aid, (r0, r1, c0, c1) in boxes.items():
        crop = ids[r0:r1, c0:c1] == aid
        n = int(crop.sum())
        area = n / total
        bbox = px = None
        if n:
            br0, br1, bc0, bc1 = _box(crop)
            bbox = [c0 + bc0, r0 + br0, bc1 - bc0, br1 - br0]
            u, v = source_pixel(crop)
            px = (u + c0, v + r0)
        layout.objects[aid] = LayoutObject(aid, (r0, r1, c0, c1), crop, areas[aid], area,
                                           size_bin_of(area) if n else None, bbox, px)
    return layout


def _depth_file_for(file_name: str, depth_dir: Path | None, explicit: Any) -> str | None:
    if depth_dir is None:
        return None
    if isinstance(explicit, str) and explicit:
        return explicit if (depth_dir / explicit).is_file() else None
    stem = os.path.splitext(file_name)[0]
    for ext in (".npy", ".png"):
        if (depth_dir / (stem + ext)).is_file():
            return stem + ext
    return None


class PhotoIndex:
    """The usable photos of a COCO-format dataset and their objects (see the module docstring).

    ``images``: tuple of :class:`PhotoImage`, sorted by image id. ``skipped``: broken entries,
    counted by reason. ``stats``: informational counts (images, objects, crowd regions, dropped
    categories, images filtered out by ``categories``).
    """

    def __init__(self, images: Iterable[PhotoImage], rles: Mapping[int, str], images_dir: Path,
                 depth_dir: Path | None, skipped: Mapping[str, int], stats: Mapping[str, int],
                 annotations: Path | None = None):
        self.images: tuple[PhotoImage, ...] = tuple(sorted(images, key=lambda im: im.image_id))
        self._by_id = {im.image_id: im for im in self.images}
        self._rles = dict(rles)
        self.images_dir = Path(images_dir)
        self.depth_dir = Path(depth_dir) if depth_dir is not None else None
        self.annotations = Path(annotations) if annotations is not None else None
        self.skipped = Counter(skipped)
        self.stats = Counter(stats)
        self._layouts: OrderedDict[tuple[int, tuple[int, int]], Layout] = OrderedDict()
        self._lock = threading.Lock()

    # -- loading ------------------------------------------------------------------------------
    @classmethod
    def load(cls, annotations_json: str | os.PathLike, images_dir: str | os.PathLike,
             depth_dir: str | os.PathLike | None = None, category_map: Mapping[str, str | None] | None = None,
             categories: Iterable[str] | None = None, cache: str | os.PathLike | bool | None = "auto") -> "PhotoIndex":
        """Read (or reuse) the index of a COCO dataset.

        ``categories``: if given, only images with at least one visible non-crowd object of one of
        these (mapped) categories are kept (every photo condition needs one). ``cache``:
        ``"auto"`` stores the index beside the annotations file (``<name>.avsim-photos-<key>.json.gz``)
        or, if that folder is not writable, under ``$XDG_CACHE_HOME/avsim/photos`` (default
        ``~/.cache``); a folder path stores it there; ``None``/``False`` keeps it in memory only.
        A cache is reused only if the annotations file (path, size, modification time), the folders,
        the category map, the category filter and :data:`INDEX_VERSION` are the same. Every process
        also keeps the indexes it loaded in memory.
        """
        ann = Path(annotations_json)
        try:
            st = ann.stat()
        except OSError as exc:
            raise PhotoIndexError(f"annotations file not readable: {exc}") from None
        cats = sorted(set(categories)) if categories is not None else None
        key_data = {"version": INDEX_VERSION, "annotations": str(ann.resolve()), "size": st.st_size,
                    "mtime_ns": st.st_mtime_ns, "images_dir": str(Path(images_dir).resolve()),
                    "depth_dir": str(Path(depth_dir).resolve()) if depth_dir is not None else None,
                    "category_map": dict(sorted((category_map or {}).items())), "categories": cats}
        key = hashlib.sha256(json.dumps(key_data, sort_keys=True).encode()).hexdigest()[:16]
        with _MEMO_LOCK:
            hit = _MEMO.get(key)
        if hit is not None:
            return hit
        path = _cache_path(ann, key, cache)
        index = None
        if path is not None and path.is_file():
            index = cls._read_cache(path, key, images_dir, depth_dir, ann)
        if index is None:
            index = cls.build(ann, images_dir, depth_dir, category_map, cats)
            if path is not None:
                index._write_cache(path, key)
        with _MEMO_LOCK:
            _MEMO[key] = index
        return index

    @classmethod
    def build(cls, annotations_json: str | os.PathLike, images_dir: str | os.PathLike,
              depth_dir: str | os.PathLike | None = None, category_map: Mapping[str, str | None] | None = None,
              categories: Iterable[str] | None = None) -> "PhotoIndex":
        """Read the annotations and every image header; no cache (see :meth:`load`)."""
        from PIL import Image

        ann_path, images_dir = Path(annotations_json), Path(images_dir)
        depth = Path(depth_dir) if depth_dir is not None else None
        try:
            data = json.loads(ann_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PhotoIndexError(f"cannot read annotations {ann_path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("images"), list) \
                or not isinstance(data.get("annotations"), list):
            raise PhotoIndexError(f"{ann_path} is not a COCO instances file (needs 'images' and 'annotations' lists)")
        skipped: Counter = Counter()
        stats: Counter = Counter()
        keep = set(categories) if categories is not None else None

        cat_names: dict[int, str] = {}
        for c in data.get("categories") or []:
            try:
                cat_names[int(c["id"])] = str(c["name"])
            except (KeyError, TypeError, ValueError):
                skipped["category_malformed"] += 1

        entries: dict[int, dict] = {}
        declared_ids: set[int] = set()
        for im in data["images"]:
            try:
                image_id, file_name = int(im["id"]), str(im["file_name"])
            except (KeyError, TypeError, ValueError):
                skipped["image_malformed"] += 1
                continue
            if image_id in declared_ids:
                skipped["image_duplicate_id"] += 1
                continue
            declared_ids.add(image_id)
            path = images_dir / file_name
            if not path.is_file():
                skipped["image_missing"] += 1
                continue
            try:
                with Image.open(path) as pil:
                    w, h = pil.size
            except Exception:  # noqa: BLE001 - any decoder error means unreadable
                skipped["image_unreadable"] += 1
                continue
            try:
                declared = (int(im.get("width", w)), int(im.get("height", h)))
            except (TypeError, ValueError):
                declared = (-1, -1)
            if declared != (w, h):
                skipped["image_size_mismatch"] += 1
                continue
            entries[image_id] = {"file": file_name, "width": w, "height": h,
                                 "depth_file": _depth_file_for(file_name, depth, im.get("depth_file")),
                                 "anns": [], "crowd": set()}

        seen_ann: set[int] = set()
        for a in data["annotations"]:
            try:
                ann_id, image_id, cat_id = int(a["id"]), int(a["image_id"]), int(a["category_id"])
            except (KeyError, TypeError, ValueError):
                skipped["annotation_malformed"] += 1
                continue
            if ann_id <= 0 or ann_id in seen_ann:
                skipped["annotation_bad_id"] += 1
                continue
            seen_ann.add(ann_id)
            if cat_id not in cat_names:
                skipped["annotation_bad_category"] += 1
                continue
            entry = entries.get(image_id)
            if entry is None:
                if image_id in declared_ids:  # its image was skipped (counted there)
                    stats["annotations_of_skipped_images"] += 1
                else:
                    skipped["annotation_no_image"] += 1
                continue
            category = map_category(cat_names[cat_id], category_map)
            if category is None:
                stats["annotations_dropped_category"] += 1
                continue
            if a.get("iscrowd", 0):
                entry["crowd"].add(category)
                stats["crowd_regions"] += 1
                continue
            try:
                rle = segmentation_rle(a.get("segmentation"), entry["height"], entry["width"])
            except (ValueError, TypeError, KeyError, IndexError, OverflowError):
                skipped["annotation_bad_segmentation"] += 1
                continue
            if rle is None:
                skipped["annotation_empty_mask"] += 1
                continue
            entry["anns"].append((ann_id, category, cat_names[cat_id], rle))

        images: list[PhotoImage] = []
        rles: dict[int, str] = {}
        for image_id, entry in sorted(entries.items()):
            full: dict[int, np.ndarray] = {}
            info: dict[int, tuple[str, str]] = {}
            for ann_id, category, coco_name, rle in entry["anns"]:
                try:
                    m = decode_rle(rle)
                except Exception:  # noqa: BLE001 - corrupt RLE strings
                    skipped["annotation_bad_segmentation"] += 1
                    continue
                if not m.any():
                    skipped["annotation_empty_mask"] += 1
                    continue
                full[ann_id], info[ann_id] = m, (category, coco_name)
                rles[ann_id] = rle["counts"].decode("ascii") if isinstance(rle["counts"], bytes) else rle["counts"]
            layout = make_layout(full, (entry["width"], entry["height"]))
            total = float(entry["width"] * entry["height"])
            objects = tuple(
                PhotoObject(aid, info[aid][0], info[aid][1], lo.area_fraction, lo.full_pixels / total,
                            lo.size_bin, tuple(lo.bbox) if lo.bbox else None, lo.source_px)
                for aid, lo in sorted(layout.objects.items()))
            if keep is not None and not any(o.visible and o.category in keep for o in objects):
                stats["images_without_categories"] += 1
                for o in objects:
                    rles.pop(o.ann_id, None)
                continue
            images.append(PhotoImage(image_id, entry["file"], entry["width"], entry["height"], entry["depth_file"],
                                     objects, tuple(sorted(entry["crowd"]))))
        stats["images"] = len(images)
        stats["objects"] = sum(len(im.objects) for im in images)
        stats["images_with_depth"] = sum(1 for im in images if im.depth_file)
        return cls(images, rles, images_dir, depth, skipped, stats, ann_path)

    # -- cache --------------------------------------------------------------------------------
    def _write_cache(self, path: Path, key: str) -> None:
        payload = {"format": "avsim-photo-index", "version": INDEX_VERSION, "key": key,
                   "skipped": dict(self.skipped), "stats": dict(self.stats),
                   "images": [asdict(im) for im in self.images],
                   "rles": {str(k): v for k, v in self._rles.items()}}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(gzip.compress(json.dumps(payload).encode(), compresslevel=5, mtime=0))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache is an optimisation: a read-only place just means no cache

    @classmethod
    def _read_cache(cls, path: Path, key: str, images_dir, depth_dir, ann: Path) -> "PhotoIndex | None":
        try:
            payload = json.loads(gzip.decompress(path.read_bytes()))
            if payload.get("key") != key or payload.get("version") != INDEX_VERSION:
                return None
            images = []
            for im in payload["images"]:
                objects = tuple(PhotoObject(o["ann_id"], o["category"], o["coco_category"], o["area_fraction"],
                                            o["full_fraction"], o["size_bin"],
                                            tuple(o["bbox"]) if o["bbox"] else None,
                                            tuple(o["source_px"]) if o["source_px"] else None)
                                for o in im["objects"])
                images.append(PhotoImage(im["image_id"], im["file"], im["width"], im["height"], im["depth_file"],
                                         objects, tuple(im["crowd"])))
            rles = {int(k): v for k, v in payload["rles"].items()}
            return cls(images, rles, Path(images_dir), Path(depth_dir) if depth_dir is not None else None,
                       payload["skipped"], payload["stats"], ann)
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None

    def subset(self, files: Iterable[str]) -> "PhotoIndex":
        """The index of the photos whose ``file`` is in ``files`` (a held-out share,
        :func:`simulator.assets.split.split_photo_files`); ``stats`` count what it keeps and, as
        ``images_in_other_splits``, what it leaves out."""
        keep = set(files)
        images = [im for im in self.images if im.file in keep]
        stats = Counter(self.stats)
        stats["images_in_other_splits"] += len(self.images) - len(images)
        stats["images"] = len(images)
        stats["objects"] = sum(len(im.objects) for im in images)
        stats["images_with_depth"] = sum(1 for im in images if im.depth_file)
        return PhotoIndex(images, self._rles, self.images_dir, self.depth_dir, self.skipped, stats, self.annotations)

    # -- access -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.images)

    def image(self, image_id: int) -> PhotoImage:
        try:
            return self._by_id[int(image_id)]
        except KeyError:
            raise KeyError(f"photo index has no image {image_id}") from None

    def image_path(self, image: PhotoImage) -> Path:
        return self.images_dir / image.file

    def depth_path(self, image: PhotoImage) -> Path | None:
        if image.depth_file is None or self.depth_dir is None:
            return None
        return self.depth_dir / image.depth_file

    def full_mask(self, image: PhotoImage, ann_id: int, size: tuple[int, int] | None = None) -> np.ndarray:
        """The full COCO mask of an annotation, at the photo's size or resized (nearest) to
        ``size`` = (width, height)."""
        m = decode_rle({"size": [image.height, image.width], "counts": self._rles[int(ann_id)]})
        return resize_mask(m, size) if size is not None else m

    def layout(self, image: PhotoImage, size: tuple[int, int] | None = None) -> Layout:
        """Disjoint visible masks of the image's objects at ``size`` (default: the photo's).
        Objects whose (resized) full mask is empty are left out. Kept in a small LRU cache."""
        size = (image.width, image.height) if size is None else (int(size[0]), int(size[1]))
        key = (image.image_id, size)
        with self._lock:
            hit = self._layouts.get(key)
            if hit is not None:
                self._layouts.move_to_end(key)
                return hit
        full = {o.ann_id: self.full_mask(image, o.ann_id, size) for o in image.objects}
        layout = make_layout({k: v for k, v in full.items() if v.any()}, size)
        with self._lock:
            self._layouts[key] = layout
            while len(self._layouts) > LAYOUT_CACHE_SIZE:
                self._layouts.popitem(last=False)
        return layout

    def summary(self) -> str:
        """One line for logs and ``--dry-run``: usable images, objects, skipped entries."""
        skipped = ", ".join(f"{k}={v}" for k, v in sorted(self.skipped.items())) or "none"
        return (f"{self.stats.get('images', 0)} photos, {self.stats.get('objects', 0)} objects "
                f"({self.stats.get('images_with_depth', 0)} photos with depth maps); skipped: {skipped}")


_MEMO: dict[str, PhotoIndex] = {}
_MEMO_LOCK = threading.Lock()


def _cache_path(ann: Path, key: str, cache: str | os.PathLike | bool | None) -> Path | None:
    if cache is None or cache is False or (isinstance(cache, str) and cache.lower() in ("none", "off", "")):
        return None
    name = f"{ann.name}.avsim-photos-{key}.json.gz"
    if cache == "auto" or cache is True:
        if os.access(ann.resolve().parent, os.W_OK):
            return ann.resolve().parent / name
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return base / "avsim" / "photos" / name
    return Path(cache) / name


def clear_memory_cache() -> None:
    """Forget the indexes this process has loaded (tests, long-lived processes)."""
    with _MEMO_LOCK:
        _MEMO.clear()
