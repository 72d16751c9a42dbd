"""COCO-format export of a dataset's annotations, so standard tools (pycocotools) open it.

One COCO image per sample, one annotation per visible object, with the visible mask as RLE.
Extra keys per annotation: ``role``, ``sounding``, ``audio_target`` (the sound comes from this
object) and ``semantic_target``; per image: ``condition``, ``size_bin`` and ``audio`` (file).
"""
from __future__ import annotations

import json
from typing import Any, Iterable


def coco_export(records: Iterable[dict[str, Any]], categories: list[str], name: str) -> dict[str, Any]:
    cat_ids = {c: i + 1 for i, c in enumerate(sorted(categories))}
    images, annotations = [], []
    for rec in records:
        image_id = rec["index"] + 1
        cam = rec["camera"]
        images.append({"id": image_id, "file_name": rec["files"]["image"], "width": cam["width"],
                       "height": cam["height"], "audio": rec["files"]["audio"], "condition": rec["condition"],
                       "size_bin": rec["size_bin"]})
        audio_objects = {t["object_id"] for t in rec["targets"]["audio"]}
        semantic = set(rec["targets"]["semantic"])
        for obj in rec["objects"]:
            if not obj["visible"]:
                continue
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": cat_ids[obj["category"]],
                "segmentation": obj["mask"], "area": obj["visible_pixels"], "bbox": obj["bbox"], "iscrowd": 0,
                "role": obj["role"], "sounding": obj["sounding"], "audio_target": obj["id"] in audio_objects,
                "semantic_target": obj["id"] in semantic, "object_id": obj["id"],
            })
    return {
        "info": {"description": f"avsim dataset {name}", "version": "1"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": c, "supercategory": "object"} for c, i in cat_ids.items()],
    }


def coco_text(records: Iterable[dict[str, Any]], categories: list[str], name: str) -> str:
    """The COCO export as the text of ``annotations.coco.json``."""
    return json.dumps(coco_export(records, categories, name), sort_keys=True) + "\n"
