"""The ``simulate`` command.

    simulate [run] --spec scenes/congruent.yaml [--set key.path=value ...] [--workers N]
             [--executor local|ray [--address auto|HOST:PORT]] [--part K/N] [--dry-run]
             [--overwrite] [--quiet]
    simulate replay RECORD.json --out DIR              (the record alone is enough)
    simulate spec-reference [--out docs/spec.md]
    simulate bench visual|pipeline|clips
    simulate assets [--sounds DIR] [--meshes DIR]      list or verify an asset library
    simulate audit DIR [--no-checksums] [--json FILE] [--fail-on-shortcut]  check every sample, no-audio baselines
    simulate audit A --against B [--json FILE]          the clips, meshes and photos two datasets share
    simulate stats DIR [--out OUT]                      counts, target-centre heatmaps, angle histograms
    simulate preview DIR [--out SITE] [--samples N]     a static HTML site: contact sheet, sample pages
    simulate study DIR --out RESULTS [--port P] [--participant ID] [--trials N] [--seed S]
                                                        the human localization study as a local web page
    simulate merge PART_DIR ... --out DIR               join the parts of one plan (--part K/N)
    simulate pack DIR --out OUT [--shard-samples N] [--shard-mb M]   a dataset folder as WebDataset shards

Exit status: 0 success, 2 bad input (spec, override, output folder, not a dataset), 1 other failures
(for ``audit``: a sample or the dataset breaks an invariant).
"""
from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Callable, Sequence

from .cli_parser import ArgumentParser
from .errors import OutputWriteError, SampleError
from .spec.errors import SpecError

BUNDLED_SCENES = Path(__file__).resolve().parent.parent / "scenes"


def _assets(argv: list[str]) -> int:
    from .assets.report import main as assets_main

    return assets_main(argv)


def _bench(argv: list[str]) -> int:
    from .bench import main as bench_main

    return bench_main(argv)


def _audit(argv: list[str]) -> int:
    from .audit import main as audit_main

    return audit_main(argv)


def _merge(argv: list[str]) -> int:
    from .merge import main as merge_main

    return merge_main(argv)


def _pack(argv: list[str]) -> int:
    from .pack import main as pack_main

    return pack_main(argv)


def _stats(argv: list[str]) -> int:
    from .stats import main as stats_main

    return stats_main(argv)


def _preview(argv: list[str]) -> int:
    from .preview.site import main as preview_main

    return preview_main(argv)


def _study(argv: list[str]) -> int:
    from .study.server import main as study_main

    return study_main(argv)


#: Subcommand -> (one line of help, handler); ``run`` is the default (``simulate --spec ...``).
COMMANDS: dict[str, tuple[str, Callable[[list[str]], int]]] = {
    "run": ("generate (or finish) the dataset of a spec: simulate [run] --spec SPEC ...", lambda a: _run(a)),
    "replay": ("re-render one sample from its record alone and compare the bytes", lambda a: _replay(a)),
    "spec-reference": ("print the spec reference (docs/spec.md)", lambda a: _spec_reference(a)),
    "bench": ("measured throughput: raster frames/s, pipeline samples/s, clips/s", _bench),
    "assets": ("list or verify an asset library (default or user folders)", _assets),
    "audit": ("check every sample of a dataset against its condition's invariants", _audit),
    "stats": ("counts, target-centre heatmaps and angle histograms of a dataset", _stats),
    "preview": ("a static HTML site of a dataset: contact sheet, sample pages with overlays, audio, map", _preview),
    "study": ("the human localization study of seeds/000 as a local web page; clicks saved as JSON lines", _study),
    "merge": ("join the part folders of one plan (--part K/N) into the one-machine dataset", _merge),
    "pack": ("turn a finished dataset folder into WebDataset shards (output.format: webdataset)", _pack),
}
SUBCOMMANDS = tuple(COMMANDS)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings as one line each (no Python source lines): ``warning: <message>``."""
    return f"warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.formatwarning = _one_line_warning
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_help())
        return 0 if argv else 2
    command = argv.pop(0) if argv[0] in COMMANDS else "run"
    try:
        return COMMANDS[command][1](argv)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OutputWriteError, SampleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to finish (complete samples are kept)", file=sys.stderr)
        return 130


def _help() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: simulate [COMMAND] [ARGS ...]   (COMMAND defaults to run)", "",
             "Generate controlled audio-visual datasets from YAML specs.", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (text, _) in COMMANDS.items()]
    lines += ["", "simulate COMMAND --help shows a command's options. Exit status: 0 success, 2 bad input "
              "(spec, override, output folder, record), 1 other failures."]
    return "\n".join(lines)


def resolve_spec_path(name: str) -> Path:
    """A spec path, or the name of a bundled spec (``congruent`` -> scenes/congruent.yaml)."""
    p = Path(name)
    if os.path.lexists(p):  # a link that leads nowhere is reported by the reader, with the reason
        return p
    bundled = BUNDLED_SCENES / (name if name.endswith(".yaml") else f"{name}.yaml")
    if not p.suffix and bundled.exists():
        return bundled
    raise SpecError("spec file not found" + (f" (bundled specs: {', '.join(sorted(q.stem for q in BUNDLED_SCENES.glob('*.yaml')))})"
                                             if BUNDLED_SCENES.is_dir() else ""), source=name)


def _run(argv: list[str]) -> int:
    from .executors import EXECUTORS

    ap = ArgumentParser(prog="simulate run", description="Generate an audio-visual dataset from a YAML "
                                 "spec (`simulate --help` lists the other commands).")
    ap.add_argument("--spec", required=True, help="spec file, or the name of a bundled spec (e.g. congruent)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                    help="override a spec field (value in YAML), e.g. --set camera.hfov_deg='{uniform: [40, 60]}'")
    ap.add_argument("--workers", type=int, default=1, help="worker processes (output is identical for any N)")
    ap.add_argument("--executor", default="local", choices=EXECUTORS.names(),
                    help="how samples are made: local (this machine's processes) or ray (Ray actors, see --address); "
                    "output identical for any")
    ap.add_argument("--address", help="ray: the cluster (auto, or HOST:PORT of its head); none: a Ray on this machine")
    ap.add_argument("--part", metavar="K/N", help="make only part K of N of the plan (contiguous index ranges; "
                    "`simulate merge` joins the N part folders into the one-machine dataset)")
    ap.add_argument("--dry-run", action="store_true", help="validate and print the plan; write nothing")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing dataset of another spec")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.workers < 1:
        raise SpecError("--workers must be at least 1")
    executor = EXECUTORS.get(args.executor)  # built once here to refuse, before any write, what it cannot do
    executor(args.workers) if args.address is None else executor(args.workers, args.address)
    from .parts import parse_part

    part = parse_part(args.part) if args.part is not None else None

    from .assets.user import open_library
    from .sinks import sink_for
    from .spec.loader import load_spec

    specs = load_spec(resolve_spec_path(args.spec), args.overrides, library=open_library)
    sinks = [sink_for(s, part) for s in specs]
    modes = [sink.check(args.overwrite) for sink in sinks]  # all checked before any write
    from .run import plan_counts, run_spec  # the renderers load once the input is accepted

    if args.dry_run:
        from .dry_run import trial_samples
        from .image_backends import IMAGE_BACKENDS
        from .run import spec_library

        status = 0
        for spec, sink, mode in zip(specs, sinks, modes):
            categories = IMAGE_BACKENDS.get(spec.resolved["image"]["renderer"]).categories(spec, spec_library(spec))
            trial = trial_samples(spec, categories)
            counts = plan_counts(spec)
            print(_plan_text(spec, mode, counts, part, trial))
            failed = {k: v for k, v in trial.failures.items() if v is not None}
            print(f"  layouts: {len(trial.failures) - len(failed)} of {len(trial.failures)} condition/size-bin groups "
                  "realised (the first samples of each drawn and checked)")
            for stratum, reason in failed.items():
                print(f"error: {spec.source}: target.size_bin: no layout of {stratum} could be realised: {reason}",
                      file=sys.stderr)
                status = 2
        return status
    status = 0
    for spec, sink, mode in zip(specs, sinks, modes):
        summary = run_spec(spec, mode, workers=args.workers, progress=not args.quiet, executor=args.executor,
                           sink=sink, address=args.address)
        print(summary.line())
        status = 1 if summary.failed else status
    return status


def _plan_text(spec, mode: str, counts: dict, part=None, trial=None) -> str:
    """The plan as ``--dry-run`` prints it, with the size estimated by ``trial``
    (:class:`simulator.dry_run.Trial`)."""
    from .image_backends import IMAGE_BACKENDS

    extra = IMAGE_BACKENDS.get(spec.resolved["image"]["renderer"]).plan_lines(spec)
    lines = [f"spec {spec.name} ({spec.source}), hash {spec.hash()[:12]}",
             f"  output: {spec.output_dir} ({mode})",
             f"  samples: {spec.samples}"]
    if part is not None:
        r = part.indices(spec.samples)
        lines.append(f"  part {part.label()}: indices {r.start} to {r.stop - 1} ({len(r)} samples)")
    if spec.sweep_point:
        lines.append(f"  sweep point: {json.dumps(spec.sweep_point)}")
    for key in ("condition", "size_bin", "category", "condition/size_bin"):
        lines.append(f"  per {key}: " + ", ".join(f"{k}={v}" for k, v in counts[key].items()))
    lines += extra
    if trial is not None and trial.made:
        samples = len(part.indices(spec.samples)) if part is not None else spec.samples
        total, per_sample, files = trial.estimate(counts["condition/size_bin"], samples)
        lines.append(f"  estimated size: {total / 1e6:.1f} MB (~{per_sample / 1e3:.0f} kB and {files:.1f} files a "
                     f"sample, measured on {trial.made} samples made in memory)")
    return "\n".join(lines)


def _replay(argv: list[str]) -> int:
    ap = ArgumentParser(prog="simulate replay", description="Re-render one sample from its stored Scene.")
    ap.add_argument("record", help="a sample's record JSON (samples/NNNN/NNNNNNN.json)")
    ap.add_argument("--out", required=True, help="folder for the re-rendered files (must be new or empty)")
    args = ap.parse_args(argv)

    from .replay import DIFFERS, replay_record

    result = replay_record(Path(args.record), Path(args.out))
    for kind, verdict in result.items():
        print(f"{kind}: {verdict}")
    return 1 if DIFFERS in result.values() else 0


def _spec_reference(argv: list[str]) -> int:
    ap = ArgumentParser(prog="simulate spec-reference", description="Print the spec reference (Markdown).")
    ap.add_argument("--out", help="write to this file instead of stdout")
    args = ap.parse_args(argv)
    from .spec.reference import spec_reference

    text = spec_reference()
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
