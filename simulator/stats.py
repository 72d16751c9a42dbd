"""Dataset statistics: counts, where the audio targets are, and how uniformly they are spread.

``simulate stats DIR [--out OUT]`` reads a dataset's records and writes beside the dataset, into
``DIR.stats/`` (or ``OUT``), never inside it, so loaders that glob a dataset's images never take a
plot for a sample:

* ``stats.json``: counts per condition, size bin, planned category, condition/size bin and
  category/size bin; the number of audio targets; histograms (and min/mean/median/max) of the
  audio targets' azimuth, elevation and distance; the 2D histograms of audio-target centres
  (normalised image coordinates, like seeds/000's Fig. S1) per category and overall; and a
  uniformity summary of the centres on a coarse grid over the region where the spec puts them
  (``target.margin``): the largest cell's share of the centres against the uniform share, the
  max/uniform ratio, and Pearson's chi-square against the uniform distribution (with its p-value).
* ``counts.png`` (samples per category, stacked by size bin, and per condition),
  ``centres.png`` (a heatmap of target centres per category and overall) and ``angles.png``
  (azimuth, elevation and distance histograms).

A target's centre is its ``pixel`` (where its sound shows in the image: the object's centre, or
the visible point chosen when that centre is not on the object; the disk centre for audio_only).
Heatmaps are keyed by the target's ``category`` (the category of its sound). Plots are drawn with
matplotlib's Agg canvas (no display, no global backend switch).
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .audit import DatasetNotFound, find_datasets, planned_category, read_dataset_info
from .cli_parser import ArgumentParser
from .core.size_bins import SIZE_BINS
from .record_files import BadFile, inside, manifest_lines, read_record
from .shortcuts import ShortcutTally, baseline_lines
from .sinks.folder import check_output_place
from .spec.errors import SpecError

HEATMAP_BINS = 16
UNIFORMITY_GRID = 4
ANGLE_BIN_DEG = 2.5
ANGLE_LIMITS = {"azimuth_deg": (-180.0, 180.0), "elevation_deg": (-90.0, 90.0)}
DISTANCE_BINS = 30


def read_records(root: Path) -> Iterable[dict[str, Any]]:
    """The dataset's records in manifest order; DatasetNotFound naming the file that cannot be
    read (a garbage manifest line, a record that is not one)."""
    try:
        for n, entry, problem in manifest_lines(root / "manifest.jsonl"):
            if problem is not None:
                raise DatasetNotFound(f"{root}/manifest.jsonl: {problem}")
            rel = entry["files"].get("record")
            if not inside(root, rel):
                raise DatasetNotFound(f"{root}/manifest.jsonl: line {n} names no record of the dataset")
            try:
                yield read_record(root / rel)
            except BadFile as exc:
                raise DatasetNotFound(f"{root / rel}: not a sample record ({exc})") from None
    except BadFile as exc:
        raise DatasetNotFound(f"{root}/manifest.jsonl: cannot be read ({exc})") from None


def uniformity(points: np.ndarray, grid: int, region: tuple[float, float]) -> dict[str, Any]:
    """How uniformly normalised points (N, 2) fill the square ``region`` x ``region`` on a
    ``grid`` x ``grid`` partition: counts, the largest cell's share vs the uniform share, and
    Pearson's chi-square against the uniform distribution (dof = cells - 1)."""
    from scipy.stats import chi2

    lo, hi = region
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    inside = np.all((pts >= lo) & (pts <= hi), axis=1)
    n = int(inside.sum())
    counts, _, _ = np.histogram2d(pts[inside, 1], pts[inside, 0], bins=grid, range=[[lo, hi], [lo, hi]])
    cells = grid * grid
    out: dict[str, Any] = {"grid": [grid, grid], "region": [lo, hi], "points": n,
                           "outside_region": int((~inside).sum()), "counts": counts.astype(int).tolist(),
                           "uniform_cell_fraction": 1.0 / cells}
    if n == 0:
        out.update(max_cell_fraction=None, max_over_uniform=None, chi2=None, dof=cells - 1, p_value=None)
        return out
    expected = n / cells
    stat = float(((counts - expected) ** 2 / expected).sum())
    out.update(max_cell_fraction=float(counts.max() / n), min_cell_fraction=float(counts.min() / n),
               max_over_uniform=float(counts.max() / expected), chi2=stat, dof=cells - 1,
               p_value=float(chi2.sf(stat, cells - 1)))
    return out


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    a = np.asarray(values, dtype=float)
    return {"n": int(a.size), "min": float(a.min()), "mean": float(a.mean()), "median": float(np.median(a)),
            "max": float(a.max()), "std": float(a.std())}


def _edges(key: str, values: list[float]) -> np.ndarray:
    """Histogram edges: angles in ANGLE_BIN_DEG steps over the data's range rounded out to 10
    degrees (within the angle's limits); distances in DISTANCE_BINS steps from 0 to the maximum."""
    if key in ANGLE_LIMITS:
        lo_lim, hi_lim = ANGLE_LIMITS[key]
        lo = max(lo_lim, 10.0 * np.floor(min(values, default=-10.0) / 10.0))
        hi = min(hi_lim, 10.0 * np.ceil(max(values, default=10.0) / 10.0))
        if hi <= lo:
            lo, hi = lo_lim, hi_lim
        return np.linspace(lo, hi, int(round((hi - lo) / ANGLE_BIN_DEG)) + 1)
    top = max(max(values, default=1.0), 1e-6) * 1.0001
    return np.linspace(0.0, top, DISTANCE_BINS + 1)


def compute_stats(root: Path | str, heatmap_bins: int = HEATMAP_BINS, grid: int = UNIFORMITY_GRID) -> dict[str, Any]:
    """The statistics of a dataset (the content of stats.json, plus the heatmap arrays)."""
    root = Path(root)
    info = read_dataset_info(root)
    spec = info.get("spec", {})
    margin = float(spec.get("target", {}).get("margin", 0.0) or 0.0)
    counts: dict[str, Counter] = {k: Counter() for k in ("condition", "size_bin", "category", "condition/size_bin",
                                                         "category/size_bin", "audio_target_category")}
    centres: dict[str, list[tuple[float, float]]] = defaultdict(list)
    angles: dict[str, list[float]] = {"azimuth_deg": [], "elevation_deg": [], "distance_m": []}
    off_image = 0
    n = 0
    shortcuts = ShortcutTally()
    for rec in read_records(root):
        n += 1
        shortcuts.add(rec)
        cond, sb, cat = rec["condition"], rec["size_bin"], planned_category(rec)
        for key, val in (("condition", cond), ("size_bin", sb), ("category", cat),
                         ("condition/size_bin", f"{cond}/{sb}"), ("category/size_bin", f"{cat}/{sb}")):
            counts[key][str(val)] += 1
        w, h = rec["camera"]["width"], rec["camera"]["height"]
        for t in rec["targets"]["audio"]:
            counts["audio_target_category"][t["category"]] += 1
            for key in angles:
                angles[key].append(float(t[key]))
            px = t.get("pixel")
            if px is None or not (0 <= px[0] < w and 0 <= px[1] < h):
                off_image += 1
                continue
            centres[t["category"]].append((px[0] / w, px[1] / h))
    all_centres = np.asarray([p for pts in centres.values() for p in pts], dtype=float).reshape(-1, 2)
    region = (margin, 1.0 - margin)
    heatmaps = {}
    for name, pts in [("all", all_centres), *sorted((c, np.asarray(p)) for c, p in centres.items())]:
        pts = np.asarray(pts, dtype=float).reshape(-1, 2)
        hist, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=heatmap_bins, range=[[0, 1], [0, 1]])
        heatmaps[name] = hist.astype(int)
    histograms = {}
    for key, values in angles.items():
        hist, edges = np.histogram(np.asarray(values, dtype=float), bins=_edges(key, values))
        histograms[key] = {"edges": [float(e) for e in edges], "counts": hist.astype(int).tolist(),
                           **_summary(values)}
    order = {k: i for i, k in enumerate(SIZE_BINS)}
    return {
        "dataset": str(root), "name": info.get("name"), "samples": n, "planned_samples": info.get("samples"),
        "counts": {k: dict(sorted(v.items(), key=lambda kv: (kv[0].split("/")[0], order.get(kv[0].split("/")[-1], 0),
                                                              kv[0])))
                   for k, v in counts.items()},
        "audio_targets": int(sum(counts["audio_target_category"].values())),
        "audio_targets_off_image": off_image,
        "histograms": histograms,
        "no_audio_baselines": shortcuts.to_dict(),
        "centres": {
            "coordinates": "normalised (u / width, v / height); v grows downwards",
            "heatmap_bins": [heatmap_bins, heatmap_bins],
            "heatmaps": {k: v.tolist() for k, v in heatmaps.items()},
            "uniformity": {"all": uniformity(all_centres, grid, region),
                           "per_category": {c: uniformity(np.asarray(p), grid, region)
                                            for c, p in sorted(centres.items())}},
        },
    }


# -- plots --------------------------------------------------------------------------------------

def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_counts(stats: dict[str, Any], path: Path) -> None:
    counts = stats["counts"]
    cats = sorted(counts["category"])
    bins = list(SIZE_BINS)
    fig = _figure(11, 4)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [max(len(cats), 1), max(len(counts["condition"]), 1)]})
    bottom = np.zeros(len(cats))
    for sb in bins:
        vals = np.array([counts["category/size_bin"].get(f"{c}/{sb}", 0) for c in cats], dtype=float)
        ax1.bar(np.arange(len(cats)), vals, bottom=bottom, label=sb)
        bottom += vals
    ax1.set_title("samples per category (planned) and size bin")
    ax1.set_ylabel("samples")
    ax1.legend(fontsize=8)
    ax1.set_xticks(range(len(cats)), cats, rotation=45, ha="right", fontsize=8)
    conds = list(counts["condition"])
    bottom = np.zeros(len(conds))
    for sb in bins:
        vals = np.array([counts["condition/size_bin"].get(f"{c}/{sb}", 0) for c in conds], dtype=float)
        ax2.bar(np.arange(len(conds)), vals, bottom=bottom, label=sb)
        bottom += vals
    ax2.set_title("samples per condition and size bin")
    ax2.set_xticks(range(len(conds)), conds, rotation=45, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def plot_centres(stats: dict[str, Any], path: Path) -> None:
    maps = stats["centres"]["heatmaps"]
    names = list(maps)
    cols = min(4, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig = _figure(3.2 * cols, 3.0 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, name in zip(axes, names):
        hist = np.asarray(maps[name], dtype=float)
        total = hist.sum()
        im = ax.imshow(hist / total if total else hist, extent=(0, 1, 1, 0), cmap="viridis", interpolation="nearest")
        ax.set_title(f"{name} (n={int(total)})", fontsize=9)
        ax.set_xlabel("u / width", fontsize=8)
        ax.set_ylabel("v / height", fontsize=8)
        ax.tick_params(labelsize=7)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle("audio-target centres (fraction of targets per cell)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


def plot_angles(stats: dict[str, Any], path: Path) -> None:
    fig = _figure(12, 3.5)
    axes = fig.subplots(1, 3)
    for ax, (key, label) in zip(axes, (("azimuth_deg", "azimuth (deg, + left)"),
                                       ("elevation_deg", "elevation (deg, + up)"), ("distance_m", "distance (m)"))):
        h = stats["histograms"][key]
        edges = np.asarray(h["edges"])
        ax.stairs(h["counts"], edges, fill=True)
        ax.set_xlabel(label)
        ax.set_ylabel("audio targets")
        ax.set_title(f"{key} (n={h['n']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


PLOTS = {"counts.png": plot_counts, "centres.png": plot_centres, "angles.png": plot_angles}


def default_out(root: Path) -> Path:
    """Where the statistics of the dataset at ``root`` go by default: ``<root>.stats`` beside it."""
    root = Path(os.path.abspath(root))
    return root.with_name(root.name + ".stats")


def write_stats(root: Path | str, out: Path | str | None = None, heatmap_bins: int = HEATMAP_BINS,
                grid: int = UNIFORMITY_GRID, plots: bool = True, stats: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Compute the statistics of a dataset (unless given) and write stats.json and the PNGs into
    ``out`` (default :func:`default_out`). Returns the statistics."""
    root = Path(root)
    out = Path(out) if out is not None else default_out(root)
    if stats is None:
        stats = compute_stats(root, heatmap_bins, grid)
    out.mkdir(parents=True, exist_ok=True)
    stats["plots"] = []
    if plots:
        for name, draw in PLOTS.items():
            draw(stats, out / name)
            stats["plots"].append(name)
    (out / "stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    return stats


def summary(stats: dict[str, Any], out: Path) -> str:
    c = stats["counts"]
    u = stats["centres"]["uniformity"]["all"]
    lines = [f"stats {stats['dataset']}: {stats['samples']} samples, {stats['audio_targets']} audio targets"]
    for key in ("condition", "size_bin", "category"):
        lines.append(f"  per {key}: " + ", ".join(f"{k}={v}" for k, v in c[key].items()))
    if u["points"]:
        lines.append(f"  target centres on a {u['grid'][0]}x{u['grid'][1]} grid over [{u['region'][0]:.2f}, "
                     f"{u['region'][1]:.2f}]^2: largest cell {100 * u['max_cell_fraction']:.1f}% "
                     f"(uniform {100 * u['uniform_cell_fraction']:.1f}%, x{u['max_over_uniform']:.2f}), "
                     f"chi2={u['chi2']:.1f} (dof {u['dof']}, p={u['p_value']:.3g}), "
                     f"{u['outside_region']} outside the region")
    for key in ("azimuth_deg", "elevation_deg", "distance_m"):
        h = stats["histograms"][key]
        if h["n"]:
            lines.append(f"  {key}: {h['min']:.2f} .. {h['max']:.2f} (median {h['median']:.2f})")
    lines.extend(baseline_lines(stats["no_audio_baselines"]))
    lines.append(f"  wrote {', '.join(['stats.json', *stats['plots']])} to {out}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``simulate stats DIR [--out OUT]``: 0 written, 2 not a dataset."""
    ap = ArgumentParser(prog="simulate stats",
                                 description="Counts, target-centre heatmaps and angle histograms of a dataset.")
    ap.add_argument("dataset", help="dataset folder (or a sweep's output folder: one stats folder per sub-dataset)")
    ap.add_argument("--out", help="output folder (default DIR.stats beside the dataset; with a sweep, "
                    "OUT/<sub-dataset>, default SWEEP_DIR.stats/<sub-dataset>)")
    ap.add_argument("--bins", type=int, default=HEATMAP_BINS, help=f"heatmap cells per side (default {HEATMAP_BINS})")
    ap.add_argument("--grid", type=int, default=UNIFORMITY_GRID,
                    help=f"cells per side of the uniformity grid (default {UNIFORMITY_GRID})")
    ap.add_argument("--no-plots", action="store_true", help="write stats.json only")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.bins < 1 or args.grid < 1:
        print("error: --bins and --grid must be at least 1", file=sys.stderr)
        return 2
    try:
        roots = find_datasets(Path(args.dataset))
        for root in roots:
            read_dataset_info(root)
    except DatasetNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sweep = roots != [Path(args.dataset)]
    base = Path(args.out) if args.out is not None else default_out(Path(args.dataset))
    outs = [(root, base / root.name if sweep else base) for root in roots]
    try:
        for root, out in outs:  # every output place is checked before anything is written
            check_output_place(out)
        computed = [(root, out, compute_stats(root, args.bins, args.grid)) for root, out in outs]
    except (DatasetNotFound, SpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # records of the wrong shape
        print(f"error: {args.dataset}: a record cannot be summarised ({type(exc).__name__}: {exc}); run simulate "
              "audit to find it", file=sys.stderr)
        return 2
    for root, out, stats in computed:
        write_stats(root, out, args.bins, args.grid, plots=not args.no_plots, stats=stats)
        print(summary(stats, out))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
