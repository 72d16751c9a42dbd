"""``simulate preview DIR [--out SITE] [--samples N] [--page-size K] [--eval OUT]``: a static HTML site of a dataset.

The site opens from file:// with no network (CSS and JS are inlined, :mod:`.templates`) and never
writes inside DIR: images and audio are referenced by relative path from the site to the dataset
(keep the two folders side by side, or rerun preview after moving one).

* ``SITE/index.html``, ``index-2.html``, ...: the contact sheet, ``K`` thumbnails a page (200),
  each linking to its sample page; filters by condition, size bin and category run in the page
  over its embedded JSON (``<script id="page-data">``: ``{"page", "pages", "items": [{"id",
  "index", "condition", "size_bin", "category", "image", "page"}]}``, ``image`` relative to the
  index page, ``page`` the sample page or null).
* ``SITE/samples/ID.html``: the image with toggleable canvas overlays (masks decoded from COCO RLE
  in the browser, boxes, target and source pixels; pixel coordinates as docs/conventions.md), one
  ``<audio controls>`` per audio file the manifest lists (mixture, negatives, stems), the
  top-down map (:mod:`.topdown`, head frame, metres) and the pretty-printed record; with
  ``--eval OUT`` (an ``evaluate`` output folder of this dataset, :mod:`.evaluation`) also each
  model's hit or miss per metric, its peak, and its map over the image where ``evaluate`` ran
  with ``--save-maps``.

Time: the manifest is read line by line (one index page of entries and one record in memory at a
time); a sample page costs one record read and one HTML write. Sample pages are written for the
first ``--samples N`` entries only (default all); the others are on the contact sheet, linked to
their image. Measured on a 2-core machine under load (another test job running), 96 x 96 images
of the congruent spec, 3000 samples (12 generated samples repeated under new ids): about 1180
sample pages/s (3000 sample pages + 15 index pages in 2.9 s, 3.7 s with Python's start; ~20 kB a
page); each run prints its rate (docs/preview.md has the command).

Safety: DIR must be a folder dataset (dataset.json of this tool and a manifest); SITE (default
``DIR.preview`` beside the dataset) must not be DIR or inside it and must be missing, empty, or a
site an earlier preview wrote (it holds ``.avsim-preview``); otherwise one line naming the path and
exit status 2, nothing written. The site is built in ``SITE.tmp-XXXX`` beside SITE and renamed
into place at the end, so an interrupted run leaves no half site under SITE's name.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import quote

from ..audit import DatasetNotFound, find_datasets, read_dataset_info
from ..cli_parser import ArgumentParser
from ..record_files import BadFile, inside, parse_json, read_record, within
from ..sinks.folder import check_output_place
from ..spec.errors import SpecError
from .evaluation import OUTCOMES, Evaluation, EvaluationError, load_evaluation
from .templates import CSS, INDEX_JS, RLE_JS, SAMPLE_JS
from .topdown import legend, topdown_svg

#: The file that marks a folder as a site this command wrote (so a rerun may replace it).
MARKER = ".avsim-preview"
PAGE_SIZE = 200
AUDIO_SUFFIXES = (".flac", ".wav", ".ogg", ".mp3")
MAX_MANIFEST_LINE = 1 << 20
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$")
#: The zoom of a sample page: the image is shown about this many CSS pixels wide (integer zoom).
SHOW_WIDTH_PX = 480


class PreviewError(Exception):
    """Bad input (not a dataset, a bad output place, a broken manifest line): exit status 2."""


@dataclass
class Summary:
    entries: int
    index_pages: int
    sample_pages: int
    seconds: float
    sample_seconds: float
    out: Path

    def line(self) -> str:
        rate = self.sample_pages / self.sample_seconds if self.sample_seconds > 0 else float("inf")
        return (f"preview: {self.entries} samples on {self.index_pages} index page(s), {self.sample_pages} sample "
                f"page(s) in {self.seconds:.1f} s ({rate:.0f} sample pages/s) -> {self.out / 'index.html'}")


# -- input ------------------------------------------------------------------------------------

def stream_manifest(root: Path) -> Iterator[dict[str, Any]]:
    """The manifest's entries one at a time (the file is never read whole); PreviewError naming the
    line that is not a sample entry."""
    path = root / "manifest.jsonl"
    try:
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                if len(raw) > MAX_MANIFEST_LINE:
                    raise PreviewError(f"{path}: line {n} is longer than {MAX_MANIFEST_LINE} bytes")
                try:
                    entry = parse_json(raw)
                except BadFile as exc:
                    raise PreviewError(f"{path}: line {n}: {exc}") from None
                if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict) \
                        or not _SAFE_ID.match(str(entry.get("id", ""))):
                    raise PreviewError(f"{path}: line {n} is not a sample entry")
                yield entry
    except OSError as exc:
        raise PreviewError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def count_entries(root: Path) -> int:
    """Non-empty manifest lines (a streaming pass, for the number of index pages)."""
    try:
        with open(root / "manifest.jsonl", "rb") as fh:
            return sum(1 for raw in fh if raw.strip())
    except OSError as exc:
        raise PreviewError(f"{root / 'manifest.jsonl'}: cannot be read ({exc.strerror or exc})") from None


def check_places(root: Path, out: Path) -> None:
    """PreviewError (naming the path) unless ``root`` is a folder dataset and ``out`` a place for its site."""
    try:
        roots = find_datasets(root)
        if roots != [root]:
            raise PreviewError(f"{root}: is a sweep's output folder; preview one of its datasets "
                               f"(e.g. {roots[0]})")
        read_dataset_info(root)
    except DatasetNotFound as exc:
        raise PreviewError(str(exc)) from None
    if within(out, root):
        raise PreviewError(f"{out}: is inside the dataset {root}; the preview never writes into a dataset")
    if os.path.lexists(out):
        if not out.is_dir():
            raise PreviewError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise PreviewError(f"{out}: is a non-empty folder that simulate preview did not make")
    try:
        check_output_place(out)
    except SpecError as exc:
        raise PreviewError(f"{out}: {exc}") from None


# -- pages ------------------------------------------------------------------------------------

def _url(rel: str) -> str:
    return quote(rel.replace(os.sep, "/"), safe="/")


def _json_script(element_id: str, data: Any) -> str:
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _page(title: str, body: str, scripts: Sequence[str] = ()) -> str:
    js = "".join(f"<script>{s}</script>" for s in scripts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}{js}</body></html>\n")


def index_name(page: int) -> str:
    """The file of contact-sheet page ``page`` (1-based)."""
    return "index.html" if page == 1 else f"index-{page}.html"


def index_page(name: str, page: int, pages: int, items: list[dict[str, Any]], total: int) -> str:
    """One contact-sheet page (``items`` as in the module docstring)."""
    nav = [f'<a class="page" data-href="{index_name(p)}" href="{index_name(p)}">{p}</a>' if p != page
           else f"<span>{p}</span>" for p in range(1, pages + 1)] if pages <= 60 else \
        [f'<a class="page" data-href="{index_name(p)}" href="{index_name(p)}">{label}</a>'
         for p, label in ((1, "first"), (page - 1, "prev"), (page + 1, "next"), (pages, "last")) if 1 <= p <= pages]
    thumbs = []
    for it in items:
        cap = escape(f"{it['id']} {it['condition']} {it['size_bin']} {it['category']}")
        target = it["page"] or it["image"]
        thumbs.append(f'<a class="thumb" id="s{escape(it["id"])}" href="{escape(_url(target))}" '
                      f'data-condition="{escape(str(it["condition"]))}" data-size_bin="{escape(str(it["size_bin"]))}" '
                      f'data-category="{escape(str(it["category"]))}"><img loading="lazy" alt="{cap}" '
                      f'src="{escape(_url(it["image"]))}"><br>{cap}</a>')
    filters = "".join(f'<label>{label} <select id="f-{key}"><option value="">all</option></select></label>'
                      for key, label in (("condition", "condition"), ("size_bin", "size bin"),
                                         ("category", "category")))
    body = (f"<h1>{escape(name)}: samples</h1><p>{total} samples; page {page} of {pages} "
            f"(filters apply to this page). <span id=\"shown\"></span></p>"
            f'<div class="filters">{filters}</div><nav>{"".join(nav)}</nav>'
            f'<div class="sheet">{"".join(thumbs)}</div><nav>{"".join(nav)}</nav>'
            + _json_script("page-data", {"page": page, "pages": pages, "items": items}))
    return _page(f"{name}: page {page}", body, [INDEX_JS])


def _rgb(i: int) -> list[int]:
    """A distinct colour per object id (golden-angle hues), 0-255 RGB."""
    h, s, v = (i * 137.508) % 360 / 60, 0.85, 0.95
    c = v * s
    x = c * (1 - abs(h % 2 - 1))
    r, g, b = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][int(h) % 6]
    return [round((v - c + t) * 255) for t in (r, g, b)]


def _pixel(p: Any) -> list[float] | None:
    if isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(t, (int, float)) and math.isfinite(t) for t in p):
        return [float(p[0]), float(p[1])]
    return None


def _rle(m: Any) -> dict[str, Any] | None:
    if isinstance(m, dict) and isinstance(m.get("counts"), (str, list)) and isinstance(m.get("size"), list) \
            and len(m["size"]) == 2 and all(isinstance(t, int) and 0 <= t < 1 << 16 for t in m["size"]):
        return {"counts": m["counts"], "size": m["size"]}
    return None


def overlay_data(record: dict[str, Any], zoom: int) -> dict[str, Any]:
    """What the sample page's canvas draws: objects (id, category, role, bbox [x, y, w, h] pixels,
    mask RLE, colour), audio-target pixels and disks, source pixels; ``zoom`` CSS pixels a pixel."""
    objects = []
    for o in record.get("objects") or []:
        if not isinstance(o, dict):
            continue
        oid = o.get("id")
        bbox = o.get("bbox") if isinstance(o.get("bbox"), list) and len(o["bbox"]) == 4 else None
        objects.append({"id": oid, "category": str(o.get("category")), "role": str(o.get("role")), "bbox": bbox,
                        "mask": _rle(o.get("mask")), "rgb": _rgb(oid if isinstance(oid, int) else len(objects) + 1)})
    targets = []
    for t in ((record.get("targets") or {}).get("audio") or []) if isinstance(record.get("targets"), dict) else []:
        if not isinstance(t, dict):
            continue
        disk = t.get("disk") if isinstance(t.get("disk"), dict) else {}
        mask = _rle(disk.get("mask"))
        targets.append({"pixel": _pixel(t.get("pixel")), "label": f"target {t.get('category')}",
                        "disk": {"mask": mask, "rgb": [255, 0, 255]} if mask else None})
    sources = [{"pixel": _pixel(s.get("pixel")), "label": f"s{s.get('id')} {s.get('category')}"}
               for s in record.get("sources") or [] if isinstance(s, dict)]
    return {"zoom": zoom, "objects": objects, "targets": targets, "sources": sources}


def _evaluation_html(results: list[dict[str, Any]]) -> str:
    """The evaluation block of a sample page: a heatmap choice and each model's outcomes."""
    if not results:
        return ""
    radios = ['<label><input type="radio" name="heat" value="" checked> none</label>']
    radios += [f'<label><input type="radio" name="heat" value="{k}"{"" if r["map"] else " disabled"}> '
               f'{escape(r["model"])}{"" if r["map"] else " (no map saved)"}</label>' for k, r in enumerate(results)]
    head = "".join(f"<th>{escape(label)}</th>" for _, label in OUTCOMES)

    def cell(x: float | None) -> str:
        return '<td class="na">-</td>' if x is None else ('<td class="hit">hit</td>' if x >= 0.5
                                                            else '<td class="miss">miss</td>')
    def peak(p: list[float] | None) -> str:
        return "-" if not p else f"({p[0]:.1f}, {p[1]:.1f})"
    rows = "".join(f"<tr><td>{escape(r['model'])}</td>" + "".join(cell(r["outcomes"][k]) for k, _ in OUTCOMES)
                   + f"<td>{peak(r['peak'])}</td></tr>" for r in results)
    return (f'<h2>evaluation</h2><div class="controls heat">heatmap: {"".join(radios)}</div>'
            f'<table class="eval"><tr><th>model</th>{head}<th>peak (u, v)</th></tr>{rows}</table>')


def sample_page(entry: dict[str, Any], record: dict[str, Any], data_rel: str, index_href: str,
                prev_id: str | None, next_id: str | None, evaluation: list[dict[str, Any]] | None = None) -> str:
    """The page of one sample; ``data_rel``: the dataset folder relative to the page (URL form);
    ``evaluation``: :meth:`Evaluation.page_data` of the sample (None: no evaluation shown)."""
    sid = str(entry["id"])
    files = entry["files"]
    camera = record.get("camera") if isinstance(record.get("camera"), dict) else {}
    width = camera.get("width") if isinstance(camera.get("width"), int) and camera.get("width") > 0 else 256
    height = camera.get("height") if isinstance(camera.get("height"), int) and camera.get("height") > 0 else 256
    zoom = max(1, min(16, SHOW_WIDTH_PX // width))
    data = overlay_data(record, zoom)
    data["eval"] = [{"peak": r["peak"], "map": r["map"]} for r in evaluation or []]
    src = f"{data_rel}/{_url(files['image'])}" if isinstance(files.get("image"), str) else ""
    nav = [f'<a href="{escape(index_href)}">contact sheet</a>']
    nav += [f'<a href="{escape(quote(prev_id))}.html">previous ({escape(prev_id)})</a>'] if prev_id else []
    nav += [f'<a href="{escape(quote(next_id))}.html">next ({escape(next_id)})</a>'] if next_id else []
    meta = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(entry.get(k)))}</td></tr>"
                   for k in ("index", "condition", "size_bin", "category", "seed"))
    toggles = "".join(f'<label><input type="checkbox" id="show-{k}" checked> {label}</label>'
                      for k, label in (("masks", "masks"), ("boxes", "boxes"), ("targets", "audio target"),
                                       ("sources", "sources"), ("labels", "labels")))
    per_object = "".join(
        f'<label><input type="checkbox" id="obj-{escape(str(o["id"]))}" checked>'
        f'<span class="swatch" style="background:rgb({",".join(map(str, o["rgb"]))})"></span>'
        f'{escape(str(o["id"]))} {escape(o["category"])} ({escape(o["role"])})</label>' for o in data["objects"])
    audio = "".join(f'<figure><figcaption>{escape(key)} <small>({escape(rel)})</small></figcaption>'
                    f'<audio controls preload="metadata" src="{escape(data_rel + "/" + _url(rel))}"></audio></figure>'
                    for key, rel in files.items() if isinstance(rel, str) and rel.lower().endswith(AUDIO_SUFFIXES))
    record_text = escape(json.dumps(record, indent=1, sort_keys=True))
    body = (f"<h1>sample {escape(sid)}</h1><nav>{''.join(nav)}</nav><table class=\"meta\">{meta}</table>"
            f'<div class="row"><div><div class="stage"><img id="image" alt="sample {escape(sid)}" src="{escape(src)}" '
            f'width="{width * zoom}" height="{height * zoom}"><canvas id="overlay" width="{width * zoom}" '
            f'height="{height * zoom}"></canvas></div><div class="controls">{toggles}</div>'
            f'<div class="objects">{per_object}</div>{_evaluation_html(evaluation or [])}</div>'
            f'<div><h2>audio</h2>{audio or "<p>no audio file listed</p>"}</div>'
            f'<div><h2>top-down map</h2>{topdown_svg(record)}<ul class="legend">'
            + "".join(f"<li>{escape(line)}</li>" for line in legend()) + "</ul></div></div>"
            f"<h2>record</h2><pre>{record_text}</pre>" + _json_script("overlay-data", data))
    return _page(f"sample {sid}", body, [RLE_JS, SAMPLE_JS])


# -- the site ---------------------------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def build_site(root: Path, out: Path, max_samples: int | None = None, page_size: int = PAGE_SIZE,
               evaluation: Evaluation | None = None) -> Summary:
    """Write the site of dataset ``root`` to ``out`` (checked by :func:`check_places` first);
    with ``evaluation`` each sample page also shows the models' maps and outcomes."""
    start = time.perf_counter()
    name = str((read_dataset_info(root) or {}).get("name") or root.name)
    total = count_entries(root)
    pages = max(1, math.ceil(total / page_size))
    out_abs = Path(os.path.abspath(out))
    out_abs.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out_abs.name}.tmp-", dir=out_abs.parent))
    try:
        (tmp / "samples").mkdir()
        data_rel = _url(os.path.relpath(os.path.abspath(root), out_abs))  # identical from tmp (a sibling)
        items: list[dict[str, Any]] = []
        page, n, written, sample_s = 1, 0, 0, 0.0
        pending: tuple[dict[str, Any], str, str | None] | None = None  # (entry, index href, prev id)
        prev_id: str | None = None

        def flush_sample(next_id: str | None) -> None:
            nonlocal written, sample_s
            assert pending is not None
            entry, href, before = pending
            t0 = time.perf_counter()
            rel = entry["files"].get("record")
            if not inside(root, rel):
                raise PreviewError(f"{root}/manifest.jsonl: sample {entry['id']} names no record of the dataset")
            try:
                record = read_record(root / rel)
            except BadFile as exc:
                raise PreviewError(f"{root / rel}: not a sample record ({exc})") from None
            _write(tmp / "samples" / f"{entry['id']}.html",
                   sample_page(entry, record, f"../{data_rel}", href, before, next_id,
                               evaluation.page_data(str(entry["id"])) if evaluation is not None else None))
            written += 1
            sample_s += time.perf_counter() - t0

        for entry in stream_manifest(root):
            sid = str(entry["id"])
            with_page = max_samples is None or n < max_samples
            image = entry["files"].get("image")
            image = image if inside(root, image) else ""
            if with_page:
                if pending is not None:
                    flush_sample(sid)
                pending = (entry, f"../{index_name(page)}#s{sid}", prev_id)
                prev_id = sid
            items.append({"id": sid, "index": entry.get("index"), "condition": entry.get("condition"),
                          "size_bin": entry.get("size_bin"), "category": entry.get("category"),
                          "image": f"{data_rel}/{_url(image)}" if image else "",
                          "page": f"samples/{sid}.html" if with_page else None})
            n += 1
            if len(items) == page_size:
                _write(tmp / index_name(page), index_page(name, page, pages, items, total))
                items, page = [], page + 1
        if pending is not None:
            flush_sample(None)
        if items or n == 0:
            _write(tmp / index_name(page), index_page(name, page, pages, items, total))
        _write(tmp / MARKER, json.dumps({"dataset": os.path.abspath(root), "samples": n, "sample_pages": written,
                                         "index_pages": pages}) + "\n")
        old = None
        if out_abs.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{out_abs.name}.old-", dir=out_abs.parent))
            os.rename(out_abs, old / "site")
        os.rename(tmp, out_abs)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Summary(n, pages, written, time.perf_counter() - start, sample_s, out_abs)


def check_evaluation_matches(root: Path, evaluation: Evaluation) -> None:
    """PreviewError unless ``evaluation`` scored samples of the dataset ``root`` (some id in common)."""
    for entry in stream_manifest(root):
        if evaluation.has(str(entry["id"])):
            return
    raise PreviewError(f"{evaluation.folder}: evaluates no sample of {root} (another dataset?)")


def default_out(root: Path) -> Path:
    """``DIR.preview`` beside the dataset."""
    return Path(os.path.abspath(root) + ".preview")


def main(argv: Sequence[str] | None = None) -> int:
    """``simulate preview DIR [--out SITE] [--samples N] [--page-size K] [--eval OUT]``: 0 written, 2 bad input."""
    ap = ArgumentParser(prog="simulate preview",
                        description="A static HTML preview site of a dataset (opens from file://, no network).")
    ap.add_argument("dataset", help="dataset folder (folder format)")
    ap.add_argument("--out", help="site folder (default DIR.preview beside the dataset; never inside it)")
    ap.add_argument("--samples", type=int, metavar="N",
                    help="write sample pages for the first N samples only (default all)")
    ap.add_argument("--page-size", type=int, default=PAGE_SIZE, metavar="K",
                    help=f"thumbnails per contact-sheet page (default {PAGE_SIZE})")
    ap.add_argument("--eval", metavar="OUT", help="an evaluate output folder of this dataset: each sample page "
                    "shows the models' outcomes and peaks, and their maps where evaluate ran with --save-maps")
    ap.add_argument("--quiet", action="store_true", help="no summary line")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.page_size < 1 or (args.samples is not None and args.samples < 0):
        print("error: --page-size must be at least 1 and --samples at least 0", file=sys.stderr)
        return 2
    root = Path(args.dataset)
    out = Path(args.out) if args.out is not None else default_out(root)
    try:
        check_places(root, out)
        evaluation = load_evaluation(Path(args.eval)) if args.eval is not None else None
        if evaluation is not None:
            check_evaluation_matches(root, evaluation)
        summary = build_site(root, out, args.samples, args.page_size, evaluation)
    except (PreviewError, EvaluationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {out}: cannot write the site ({exc.strerror or exc})", file=sys.stderr)
        return 1
    if not args.quiet:
        print(summary.line())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
