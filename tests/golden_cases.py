"""Golden outputs: a few samples of every ready spec (and of variants that reach the other code
paths) and the SHA-256 of every file they write, so that a restructuring of the code can be shown
not to change a single output byte.

    python tests/golden_cases.py --write      # (re)write tests/golden_digests.json
    python tests/golden_cases.py              # compare, print what differs

The comparison lives in tests/test_golden_digests.py. Digests are taken per file, plus two
normalised forms that stay comparable when only the stored Scene changes form: each record's
annotations (the record without its ``scene`` entry) and the manifest without the record files'
sizes and digests. ``dataset.json`` is digested over the parts that describe the data (status,
counts, failures, library report), not the package versions or the output path.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tiny_diffusion
DIGESTS = Path(__file__).resolve().parent / "golden_digests.json"

#: (case name, spec file or bundled name, overrides, samples)
CASES: list[tuple[str, str, tuple[str, ...], int]] = [
    *[(name, name, (), 3) for name in ("congruent", "conflict", "absent_vcue", "audio_only", "vision_only",
                                       "multi_instance", "offscreen", "mixed", "audiococo", "is3_interactive",
                                       "negatives")],
    ("ablation", "ablation", (), 2),
    # the clip conditions, small: MP4, id strips, SELD rows, per-frame labels, events, onsets
    *[(name, name, ("image.width=96", "image.height=72", "audio.duration=1.2"), 2)
      for name in ("leaves_view", "enters_view", "turns_towards", "cross_event")],
    # variants that reach the other writers, rooms, heads and backgrounds
    ("free_field_outputs", "congruent", ("room.type=free_field", "listener.head=spaced", "background.kind=backdrop",
                                         "output.depth=true", "output.stems=true", "output.rirs=true",
                                         "audio.format=wav"), 3),
    ("polyhedron_raytrace", "congruent", ("room.type=polyhedron", "background.kind=color",
                                          "room.floor_plan=[[0, 0], [9, 0], [10, 6], [4, 8], [0, 6]]",
                                          "room.late=raytrace", "room.max_order=3", "listener.head=mono",
                                          "output.rirs=true"), 2),
    ("screen_occlusion", "congruent", ("camera.projection=screen", "room.occlusion=true", "objects.count=6",
                                       "audio.bit_depth=24", "room.noise_snr_db=20", "room.air_absorption=true"), 3),
    ("photos", "@photos", (), 4),
    ("diffusion", "@diffusion", (), 2),
]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_photo_fixture(root: Path) -> Path:
    """A small COCO-format photo collection (PIL drawings, polygon masks, metric depth maps) and
    a spec that uses it; returns the spec's path."""
    from PIL import Image, ImageDraw

    w, h = 160, 120
    images_dir, depth_dir = root / "images", root / "depth"
    images_dir.mkdir(parents=True)
    depth_dir.mkdir()
    shapes = {  # image id -> [(annotation id, category id, polygon)]
        1: [(11, 18, [30, 50, 70, 50, 70, 95, 30, 95]), (12, 3, [100, 70, 150, 70, 150, 110, 100, 110])],
        2: [(21, 1, [20, 20, 50, 20, 50, 100, 20, 100]), (22, 18, [90, 60, 120, 60, 120, 90, 90, 90])],
        3: [(31, 3, [10, 60, 80, 60, 80, 110, 10, 110]), (32, 1, [110, 30, 130, 30, 130, 100, 110, 100])],
        4: [(41, 18, [60, 40, 140, 40, 140, 110, 60, 110]), (42, 1, [10, 10, 30, 10, 30, 60, 10, 60])],
    }
    images, anns = [], []
    rows = (np.arange(h, dtype=np.float32) + 0.5)[:, None] * np.ones((1, w), np.float32)
    depth = (2.0 + 10.0 * (1.0 - rows / h)).astype(np.float32)
    for image_id, objects in shapes.items():
        img = Image.new("RGB", (w, h), (80 + 20 * image_id, 120, 150))
        draw = ImageDraw.Draw(img)
        for ann_id, cat, poly in objects:
            draw.polygon(poly, fill=(40 * cat % 256, 90, 40))
            anns.append({"id": ann_id, "image_id": image_id, "category_id": cat, "iscrowd": 0,
                         "segmentation": [poly]})
        img.save(images_dir / f"p{image_id}.png")
        np.save(depth_dir / f"p{image_id}.npy", depth)
        images.append({"id": image_id, "file_name": f"p{image_id}.png", "width": w, "height": h})
    ann_path = root / "instances.json"
    ann_path.write_text(json.dumps({"images": images, "annotations": anns, "categories": [
        {"id": 1, "name": "person"}, {"id": 3, "name": "car"}, {"id": 18, "name": "dog"}]}))
    spec = root / "photos.yaml"
    spec.write_text("name: photos\nseed: 5\nsamples: 4\nimage: {width: 96, height: 64, renderer: photos}\n"
                    "objects: {categories: [car, dog, person]}\n"
                    f"photos: {{annotations: {ann_path}, images: {images_dir}, depth: {depth_dir}, cache: none}}\n")
    return spec


def write_diffusion_spec(root: Path) -> Path | None:
    """A spec painting congruent layouts with a tiny random GLIGEN pipeline saved under ``root``
    (None without the diffusion extra)."""
    try:
        import torch

        import tiny_diffusion
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = tiny_diffusion.save_tiny_gligen(root / "tiny-gligen")
    spec = root / "diffusion.yaml"
    spec.write_text("name: diffusion\nseed: 3\nsamples: 2\ncondition: congruent\n"
                    "image: {width: 64, height: 64, renderer: diffusion,\n"
                    f"  diffusion: {{model: {model}, steps: 2, resolution: 64, device: cpu, dtype: float32}}}}\n"
                    "objects: {count: {int: [1, 3]}}\n")
    return spec


def dataset_digests(root: Path, work: Path) -> dict[str, str]:
    """{relative path (+ normalised views): sha256} of one dataset folder. The temporary folder
    ``work`` is written as ``<work>`` in text files (records name the fixtures' paths)."""
    out: dict[str, str] = {}
    portable = True  # no file names the work folder (else the manifest's record digests depend on it)
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = str(p.relative_to(root))
        if rel == ".avsim.lock":  # the writer lock (empty once the run ends), not output
            continue
        data = p.read_bytes()
        if p.suffix in (".json", ".jsonl"):
            data = data.replace(str(work).encode(), b"<work>")
            portable = portable and (rel == "dataset.json" or b"<work>" not in data)
        if rel == "dataset.json":
            info = json.loads(data)
            part = {k: info.get(k) for k in ("status", "samples", "counts", "failed", "library", "name")}
            out["dataset.json#data"] = _sha(json.dumps(part, sort_keys=True).encode())
            continue
        out[rel] = _sha(data)
        if rel.startswith("samples/") and rel.endswith(".json"):
            record = json.loads(data)
            record.pop("scene", None)
            out[rel + "#annotations"] = _sha(json.dumps(record, sort_keys=True).encode())
        if rel == "manifest.jsonl":
            lines = []
            for line in data.decode().splitlines():
                entry = json.loads(line)
                rec = entry["files"]["record"]
                entry["bytes"].pop(rec, None)
                entry["sha256"].pop(rec, None)
                lines.append(json.dumps(entry, sort_keys=True))
            out[rel + "#without_records"] = _sha("\n".join(lines).encode())
    if not portable:
        out.pop("manifest.jsonl", None)
    return out


def generate(work: Path) -> dict[str, dict[str, str]]:
    """Run every case in this process (one worker) below ``work``; {case: {file: sha256}}."""
    from simulator.assets.user import open_library
    from simulator.cli import resolve_spec_path
    from simulator.run import run_spec
    from simulator.spec.loader import load_spec

    result: dict[str, dict[str, str]] = {}
    for name, spec_name, overrides, samples in CASES:
        out = work / name
        if spec_name == "@photos":
            path = write_photo_fixture(work / "photo_fixture")
        elif spec_name == "@diffusion":
            path = write_diffusion_spec(work / "diffusion_fixture")
            if path is None:
                continue
        else:
            path = resolve_spec_path(spec_name)
        specs = load_spec(path, [*overrides, f"samples={samples}", f"output.dir={out}"], library=open_library)
        for spec in specs:
            run_spec(spec, "new", workers=1, progress=False)
        for dataset_json in sorted(out.rglob("dataset.json")):
            sub = str(dataset_json.parent.relative_to(out))
            result[name if sub == "." else f"{name}/{sub}"] = dataset_digests(dataset_json.parent, work)
    return result


def compare(expected: dict[str, dict[str, str]], actual: dict[str, dict[str, str]]) -> list[str]:
    """Lines describing every difference (empty: identical)."""
    problems = []
    for case in sorted(set(expected) | set(actual)):
        e, a = expected.get(case), actual.get(case)
        if e is None or a is None:
            problems.append(f"{case}: {'not expected' if e is None else 'missing'}")
            continue
        for rel in sorted(set(e) | set(a)):
            if e.get(rel) != a.get(rel):
                state = "missing" if rel not in a else ("not expected" if rel not in e else "differs")
                problems.append(f"{case}/{rel}: {state}")
    return problems


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="avsim-golden-") as tmp:
        actual = generate(Path(tmp).resolve())
    if "--write" in argv:
        DIGESTS.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        print(f"wrote {DIGESTS} ({sum(len(v) for v in actual.values())} digests, {len(actual)} datasets)")
        return 0
    problems = compare(json.loads(DIGESTS.read_text()), actual)
    print("\n".join(problems) or "identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main(sys.argv[1:]))
