"""``simulate assets``: list a library's categories, clip counts, durations, meshes and
licences, and verify user folders (what would be skipped, and why).

    simulate assets                                   # the embedded default library
    simulate assets --sounds my_sounds/               # user sounds + default meshes
    simulate assets --sounds S/ --meshes M/ --json    # machine-readable
    simulate assets --sounds esc50.index.json         # an imported collection (not decoded)
    simulate assets import sounds --format esc50 --metadata meta/esc50.csv --out esc50.index.json
    simulate assets --meshes objaverse.index.json     # an imported mesh collection (not loaded)
    simulate assets import meshes --format objaverse --metadata lvis-annotations.json.gz --out objaverse.index.json

Exit status: 0 (skipped files are reported, not fatal), 1 with ``--strict`` when a file would be
skipped, 2 when a given folder does not exist.
"""
from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path

from ..cli_parser import ArgumentParser
from .library import AssetLibrary, default_library_root
from .mesh_library import MeshIndexError
from .sound_library import SoundIndexError
from .user import open_library


#: ``simulate assets import KIND``: the module whose ``main`` writes that kind's index.
IMPORTERS = {"sounds": ".importers.sound_index", "meshes": ".importers.mesh_index"}


def _default_licences() -> dict[str, str]:
    path = default_library_root() / "licenses.json"
    return {e["path"]: e["license"] for e in json.loads(path.read_text(encoding="utf-8"))}


def _clip_seconds(library: AssetLibrary, key: str) -> float:
    import soundfile as sf

    return float(sf.info(str(library.path(key))).duration)


def summary(library: AssetLibrary) -> dict:
    """Per category: clips, their total duration (s), meshes, licences; plus the skipped files."""
    licences = _default_licences()
    user_seconds = library.report.sound_seconds if library.report is not None else {}
    rows = []
    for cat in sorted(set(library.sounds) | set(library.meshes)):
        clips, meshes = library.sounds.get(cat, []), library.meshes.get(cat, [])
        lic = set()
        seconds = 0.0
        for key in clips:
            lib, _, rel = key.partition(":")
            info = None if lib == "default" else library.clip_info(key)
            if lib == "default":
                lic.add(licences.get(rel, "?"))
                seconds += _clip_seconds(library, key)
            elif info is not None:          # an imported collection: its licences, not decoded here
                lic.add(info["licence"] or "unknown")
            else:
                lic.add("user-supplied")
        if any(not k.startswith("default:") for k in clips):
            seconds += user_seconds.get(cat, 0.0)
        for m in meshes:
            lib, _, rel = m.key.partition(":")
            info = None if lib == "default" else library.mesh_info(m.key)
            if info is not None:            # an imported collection: its licences, not loaded here
                lic.add(info["licence"] or "unknown")
            else:
                lic.add(licences.get(rel, "?") if lib == "default" else "user-supplied")
        rows.append({"category": cat, "clips": len(clips), "seconds": round(seconds, 2),
                     "meshes": len(meshes), "licences": sorted(lic),
                     "usable": bool(clips and meshes)})
    out = {"libraries": library.library_names, "sample_rate": library.sample_rate, "categories": rows}
    if library.report is not None:
        out["user"] = library.report.counts()
    return out


def format_summary(s: dict) -> str:
    lines = [f"libraries: {', '.join(s['libraries'])} (clips served at {s['sample_rate']} Hz)", ""]
    head = f"{'category':<14} {'clips':>5} {'total s':>8} {'meshes':>6}  licences"
    lines += [head, "-" * len(head)]
    for r in s["categories"]:
        mark = "" if r["usable"] else "   (not usable: needs a clip and a mesh)"
        lines.append(f"{r['category']:<14} {r['clips']:>5} {r['seconds']:>8.1f} {r['meshes']:>6}  "
                     f"{', '.join(r['licences'])}{mark}")
    usable = sum(r["usable"] for r in s["categories"])
    lines.append("")
    lines.append(f"{usable} usable categories; {sum(r['clips'] for r in s['categories'])} clips, "
                 f"{sum(r['meshes'] for r in s['categories'])} meshes")
    user = s.get("user")
    if user is not None:
        lines.append(f"user sounds: {user['sounds']['used']} used, {user['sounds']['skipped']} skipped "
                     f"of {user['sounds']['found']}; user meshes: {user['meshes']['used']} used, "
                     f"{user['meshes']['skipped']} skipped of {user['meshes']['found']}")
        if user["skipped"]:
            lines.append("")
            lines.append(f"skipped ({len(user['skipped'])}):")
            for sk in user["skipped"]:
                lines.append(f"  {sk['kind']:<6} {sk['path']}: {sk['reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["import"] and len(argv) > 1 and argv[1] in IMPORTERS:   # a collection's index
        return importlib.import_module(IMPORTERS[argv[1]], __package__).main(argv[2:])
    ap = ArgumentParser(prog="simulate assets", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sounds", default="default", metavar="DIR",
                    help="a sound folder of category subfolders, or an index file of `simulate assets import "
                         "sounds` (default: the embedded library)")
    ap.add_argument("--meshes", default="default", metavar="DIR",
                    help="a mesh folder of category subfolders with sizes.yaml, or an index file of `simulate "
                         "assets import meshes` (default: embedded)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any file would be skipped")
    args = ap.parse_args(argv)
    for key in ("sounds", "meshes"):
        value = getattr(args, key)
        if value != "default" and not Path(value).is_dir() and not (Path(value).is_file()
                                                                    and Path(value).suffix.lower() == ".json"):
            print(f"simulate assets: --{key}: folder not found: {value}", file=sys.stderr)
            return 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report lists every skipped file
        try:
            library = open_library(args.sounds, args.meshes)
        except SoundIndexError as exc:
            print(f"simulate assets: --sounds: {exc}", file=sys.stderr)
            return 2
        except MeshIndexError as exc:
            print(f"simulate assets: --meshes: {exc}", file=sys.stderr)
            return 2
    s = summary(library)
    print(json.dumps(s, indent=2) if args.json else format_summary(s))
    skipped = s.get("user", {}).get("skipped", [])
    return 1 if args.strict and skipped else 0


if __name__ == "__main__":
    sys.exit(main())
