#!/usr/bin/env python3
"""Build the embedded default asset library (simulator/assets/default/).

Usage (from the repository root):

    python tools/assets/build_default_library.py            # rebuild everything
    python tools/assets/build_default_library.py --out DIR  # build somewhere else

Everything the library holds is declared in :data:`CATEGORIES`: per category a list
of sound recipes and a list of mesh recipes, v1's (``recipes_v1.py``) followed by those
added in v2 (``recipes_v2.py``). To add a category or a clip, add a recipe; file names (``sounds/<cat>/<cat>_NN.flac``,
``meshes/<cat>/<cat>_NN.glb``), ``library.json``, ``licenses.json`` and
``LICENSES.md`` follow from the list order. Only permissively licensed sources
are used (public domain, CC0, CC-BY with credits, MIT, Apache); the builder checks
each source's licence text before using it and refuses anything else.

Sources are Debian packages (see tools/assets/README.md): SoundFonts rendered with
tinysoundfont, espeak-ng speech (pip ``espeakng-loader``), CC0 samples, and
Sweet Home 3D furniture models, plus procedural meshes made here.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import asset_audio as A  # noqa: E402
import asset_meshes as M  # noqa: E402
import asset_procedural as P  # noqa: E402
import asset_procedural_animals as PA  # noqa: E402
import asset_procedural_objects as PO  # noqa: E402
import asset_synth as S  # noqa: E402
import asset_synth_animals as SA  # noqa: E402
import asset_synth_machines as SM  # noqa: E402
from asset_recipes import SF2, SH3F, SONIC_PI, SONIC_PI_CHECK, TTS_NOTE, MESH_MODIFIED  # noqa: E402
from recipes_v1 import CATEGORIES as V1  # noqa: E402
from recipes_v2 import ADDED as V2  # noqa: E402
from simulator.assets.silhouette import add_silhouettes_to_index  # noqa: E402

REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "simulator" / "assets" / "default"
LIBRARY_FORMAT = 1
PERMISSIVE = {"public-domain", "CC0-1.0", "MIT", "Apache-2.0",
              "CC-BY-3.0", "CC-BY-3.0-US", "CC-BY-4.0"}
MAX_FACES = 2000  # render cost grows with faces

# sources, licence checks and recipe helpers: asset_recipes.py; the recipes: recipes_v1/v2.py
SYNTH_MODULES = {"asset_synth": S, "asset_synth_animals": SA, "asset_synth_machines": SM}
MESH_MODULES = {"asset_procedural": P, "asset_procedural_animals": PA, "asset_procedural_objects": PO}


def merged_categories(*versions: dict) -> dict:
    """Each category's sound and mesh recipes, the versions' lists concatenated in order."""
    out: dict = {}
    for version in versions:
        for cat, spec in version.items():
            entry = out.setdefault(cat, {"sounds": [], "meshes": []})
            entry["sounds"] = entry["sounds"] + list(spec.get("sounds", []))
            entry["meshes"] = entry["meshes"] + list(spec.get("meshes", []))
    return out


CATEGORIES = merged_categories(V1, V2)

# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------

def _require_text(path: str, needle: str) -> None:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{path} not found (see tools/assets/README.md for packages)")
    if needle not in p.read_text(encoding="latin-1"):
        raise RuntimeError(f"licence check failed: {needle!r} not in {path}")


def build_sound(recipe: dict) -> tuple[np.ndarray, dict]:
    """Render one sound recipe; return (samples, licence entry without path)."""
    kind = recipe["kind"]
    if kind == "sf2":
        font = SF2[recipe["font"]]
        _require_text(*font["check"])
        x = A.render_sf2(font["path"], recipe["bank"], recipe["program"], recipe["notes"],
                         recipe["seconds"] + 1.0)
        src = (f"{font['package']}: {font['path']} (bank {recipe['bank']}, program "
               f"{recipe['program']}, preset '{recipe['preset']}')")
        notes = (f"{recipe['desc']}. Rendered by tools/assets/build_default_library.py with "
                 f"tinysoundfont (keys {sorted({n.key for n in recipe['notes']})}).")
        entry = {"source": src, "license": font["license"], "attribution": font["attribution"],
                 "notes": notes}
    elif kind == "tts":
        args = (recipe["text"], recipe["voice"], recipe["rate"], recipe["pitch"], recipe["range"])
        x = A.tts_espeak(*args)
        # some voice variants (e.g. +f2, +f3) add random breath noise: refuse them
        if not np.array_equal(x, A.tts_espeak(*args)):
            raise RuntimeError(f"espeak-ng voice {recipe['voice']!r} is not deterministic")
        entry = {"source": f"procedural: tools/assets/build_default_library.py (espeak-ng voice "
                           f"{recipe['voice']})",
                 "license": "MIT",
                 "attribution": "This project (speech synthesised with espeak-ng)",
                 "notes": f"{recipe['desc']}. " + TTS_NOTE.format(version=A.espeak_version())}
    elif kind == "sample":
        _require_text(*SONIC_PI_CHECK)
        clip = A.load_file(recipe["file"])
        n = int(round((max(recipe["offsets"]) + recipe["seconds"]) * A.SAMPLE_RATE)) + len(clip)
        x = np.zeros(n)
        for off, g in zip(recipe["offsets"], recipe["gains"]):
            i = int(round(off * A.SAMPLE_RATE))
            x[i:i + len(clip)] += g * clip
        entry = {"source": f"sonic-pi-samples: {recipe['file']}", "license": "CC0-1.0",
                 "attribution": f"{recipe['credit']}, via Sonic Pi (credit not required)",
                 "notes": f"{recipe['desc']}; the sample repeated at {recipe['offsets']} s. "
                          "Sonic Pi's samples/README.md: placed in the public domain via CC0."}
    elif kind == "sample_mix":
        _require_text(*SONIC_PI_CHECK)
        credits = sonic_pi_credits()
        n = int(round((recipe["seconds"] + 1.0) * A.SAMPLE_RATE))
        x = np.zeros(n)
        names = []
        for path, off, g in recipe["events"]:
            clip = A.load_file(path)
            i = int(round(off * A.SAMPLE_RATE))
            m = min(len(clip), n - i)
            if m > 0:
                x[i:i + m] += g * clip[:m]
            names.append(Path(path).stem)
        used = sorted(set(names))
        missing = [u for u in used if u not in credits]
        if missing:
            raise RuntimeError(f"no credit for Sonic Pi samples {missing} in {SONIC_PI_CHECK[0]}")
        who = "; ".join(f"{u}: {credits[u]}" for u in used)
        entry = {"source": "sonic-pi-samples: " + ", ".join(f"{SONIC_PI}/{u}.flac" for u in used),
                 "license": "CC0-1.0",
                 "attribution": f"freesound.org recordings ({who}), via Sonic Pi (credit not required)",
                 "notes": f"{recipe['desc']}; {len(recipe['events'])} sample events mixed by "
                          "tools/assets/build_default_library.py. Sonic Pi's samples/README.md: "
                          "placed in the public domain via CC0."}
    elif kind == "synth":
        module = recipe.get("module", "asset_synth")
        x = SYNTH_MODULES[module].GENERATORS[recipe["generator"]](seed=recipe["seed"], **recipe["params"])
        params = ", ".join(f"{k}={v}" for k, v in recipe["params"].items())
        entry = {"source": f"procedural: tools/assets/{module}.py ({recipe['generator']}, "
                           f"seed {recipe['seed']})",
                 "license": "MIT", "attribution": "This project",
                 "notes": f"{recipe['desc']}. Synthesised by this project ({params})."}
    else:
        raise ValueError(f"unknown sound kind {kind!r}")
    return A.finish_clip(x, recipe["seconds"]), entry


def sonic_pi_credits() -> dict[str, str]:
    """Sample name -> freesound.org source, from Sonic Pi's samples/README.md."""
    import re

    text = Path(SONIC_PI_CHECK[0]).read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"`:(\w+)` - (\S+)", text)}


def build_mesh(recipe: dict, workdir: Path):
    """Build one mesh recipe; return (trimesh, licence entry without path)."""
    target_text = ", ".join(f"{k} {v} m" for k, v in recipe["target"].items())
    if recipe["kind"] == "sh3d":
        archive = recipe["archive"]
        lic_member, lic_needle = SH3F[archive]
        if lic_needle not in M.read_sh3f_text(archive, lic_member):
            raise RuntimeError(f"licence check failed for {archive}")
        if recipe["license_file"]:
            text = M.read_sh3f_text(archive, recipe["license_file"])
            for needle in recipe["must_contain"] or []:
                if needle not in text:
                    raise RuntimeError(f"licence check failed: {needle!r} not in "
                                       f"{archive}:{recipe['license_file']}")
        if recipe.get("creator"):
            M.require_catalog_creator(archive, recipe["obj"], recipe["creator"])
        obj_dir, obj_name = recipe["obj"].rsplit("/", 1)
        folder = M.extract_sh3f_model(archive, obj_dir, workdir)
        mesh = M.load_as_colored_mesh(folder / obj_name)
        n0 = len(mesh.faces)
        mesh = M.decimate(mesh, MAX_FACES)
        decimated = f"decimated from {n0} to {len(mesh.faces)} faces, " if len(mesh.faces) < n0 else ""
        transform = M.rotation_z(recipe["yaw_deg"]) @ M.SH3D_TO_PROJECT
        mesh = M.finalize(mesh, transform, recipe["target"])
        entry = {"source": f"sweethome3d-furniture: /usr/share/sweethome3d/furniture/{archive} "
                           f"({recipe['obj']})",
                 "license": recipe["license"], "attribution": recipe["attribution"],
                 "notes": recipe["desc"] + ". " + MESH_MODIFIED.format(decimated=decimated,
                                                                      target=target_text)}
    elif recipe["kind"] == "procedural":
        module = recipe.get("module", "asset_procedural")
        mesh = MESH_MODULES[module].GENERATORS[recipe["generator"]]()
        mesh = M.finalize(mesh, None, recipe["target"])
        entry = {"source": f"procedural: tools/assets/{module}.py ({recipe['generator']})",
                 "license": "MIT", "attribution": "This project",
                 "notes": f"{recipe['desc']}; low-poly primitives, {target_text}."}
    else:
        raise ValueError(f"unknown mesh kind {recipe['kind']!r}")
    mesh = M.orient_faces(mesh)  # consistent outward winding (the renderer culls back faces)
    if len(mesh.faces) > MAX_FACES * 1.1:
        raise RuntimeError(f"mesh has {len(mesh.faces)} faces (limit {MAX_FACES})")
    return mesh, entry


def write_licenses_md(entries: list[dict], path: Path) -> None:
    lines = [
        "# Licences of the default asset library",
        "",
        "Generated by `tools/assets/build_default_library.py` from `licenses.json`; do not edit.",
        "Every file in this folder except `library.json` and `licenses.json` is listed with its",
        "source, its licence (SPDX id) and the credit it requires. Only permissive",
        "licences are used: public domain, CC0, CC BY (credits below), MIT.",
        "",
        "| file | licence | credit | source |",
        "|---|---|---|---|",
    ]
    for e in entries:
        lines.append(f"| `{e['path']}` | {e['license']} | {e['attribution']} | {e['source']} |")
    lines += ["", "## Notes per file", ""]
    for e in entries:
        lines.append(f"- `{e['path']}`: {e['notes']}")
    lines += [
        "",
        "## Licence texts",
        "",
        "- CC BY 3.0: https://creativecommons.org/licenses/by/3.0/legalcode",
        "- CC BY 3.0 US: https://creativecommons.org/licenses/by/3.0/us/legalcode",
        "- CC0 1.0: https://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "",
        "The CC BY models were modified as described in the notes above; the original authors do",
        "not endorse this project.",
        "",
        "### MIT (FluidR3 SoundFont, used for clips rendered from it)",
        "",
        "Copyright (c) 2000-2002, 2008 Frank Wen; (c) 2008 Toby Smithe",
        "",
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this",
        "software and associated documentation files (the \"Software\"), to deal in the Software",
        "without restriction, including without limitation the rights to use, copy, modify, merge,",
        "publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons",
        "to whom the Software is furnished to do so, subject to the following conditions:",
        "",
        "The above copyright notice and this permission notice shall be included in all copies or",
        "substantial portions of the Software.",
        "",
        "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,",
        "INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR",
        "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE",
        "FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR",
        "OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER",
        "DEALINGS IN THE SOFTWARE.",
        "",
        "### MIT (files made by this project: speech clips, procedural meshes)",
        "",
        "These are covered by the project's own MIT licence (see the repository's licence).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def build(out: Path, categories: dict = CATEGORIES, verbose: bool = True) -> dict:
    """Build the whole library into ``out``; return the library dict."""
    out.mkdir(parents=True, exist_ok=True)
    library = {"format": LIBRARY_FORMAT, "sample_rate": A.SAMPLE_RATE, "categories": {}}
    entries: list[dict] = []
    produced: set[Path] = set()
    with tempfile.TemporaryDirectory(prefix="assets-") as tmp:
        work = Path(tmp)
        for cat, spec in categories.items():
            sounds, meshes = [], []
            for i, recipe in enumerate(spec["sounds"], 1):
                rel = f"sounds/{cat}/{cat}_{i:02d}.flac"
                x, entry = build_sound(recipe)
                stats = A.write_flac(x, out / rel)
                produced.add(out / rel)
                sounds.append(rel)
                entries.append({"path": rel, **entry})
                if verbose:
                    print(f"{rel:32s} {stats['seconds']:5.2f} s  peak {stats['peak_dbfs']:6.2f} dBFS"
                          f"  active RMS {stats['active_rms_dbfs']:6.2f} dBFS  {recipe['desc'][:50]}")
            for i, recipe in enumerate(spec["meshes"], 1):
                rel = f"meshes/{cat}/{cat}_{i:02d}.glb"
                mesh, entry = build_mesh(recipe, work)
                size = M.write_glb(mesh, out / rel)
                produced.add(out / rel)
                meshes.append({"file": rel, "size_m": size})
                entries.append({"path": rel, **entry})
                if verbose:
                    print(f"{rel:32s} {len(mesh.faces):5d} faces  size_m {size}")
            library["categories"][cat] = {"sounds": sounds, "meshes": meshes}
    # drop stale files from earlier builds so the manifest covers the folder exactly
    for sub in ("sounds", "meshes"):
        for p in sorted((out / sub).rglob("*"), reverse=True):
            if p.is_file() and p not in produced:
                p.unlink()
            elif p.is_dir() and not any(p.iterdir()):
                p.rmdir()
    for e in entries:
        if e["license"] not in PERMISSIVE:
            raise RuntimeError(f"{e['path']}: licence {e['license']} is not permissive")
        if e["license"].startswith("CC-BY") and not e["attribution"]:
            raise RuntimeError(f"{e['path']}: CC BY needs an attribution")
    entries.append({"path": "LICENSES.md",
                    "source": "generated: tools/assets/build_default_library.py (from licenses.json)",
                    "license": "MIT", "attribution": "This project",
                    "notes": "Human-readable form of licenses.json."})
    (out / "library.json").write_text(json.dumps(library, indent=2) + "\n", encoding="utf-8")
    add_silhouettes_to_index(out)  # silhouette tables for size-bin placement (simulator.assets.silhouette)
    (out / "licenses.json").write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    write_licenses_md(entries, out / "LICENSES.md")
    return library


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output folder (default: simulator/assets/default)")
    ap.add_argument("--clean", action="store_true",
                    help="delete the output folder first")
    ap.add_argument("--list-presets", choices=sorted(SF2),
                    help="print the presets of one SoundFont and exit")
    args = ap.parse_args(argv)
    if args.list_presets:
        for bank, prog, name in A.sf2_presets(SF2[args.list_presets]["path"]):
            print(f"{bank:3d}:{prog:<3d} {name}")
        return 0
    if args.clean and args.out.exists():
        shutil.rmtree(args.out)
    build(args.out)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
