"""``train ablate STUDY.yaml``: an ablation study end to end, resumable.

A study names a generation spec, the arms to compare (each a training config, optional training
overrides and optional data overrides) and the training seeds. The command

1. **generates** each distinct dataset once with ``simulate``: per data variant (the arms' data
   overrides) a training set and a test set from other generation seeds; with ``data.split``
   (``library.split`` of docs/assets.md) the training set draws the ``train`` share of every
   category's clips (and meshes, photos) and the test set the ``test`` share, so the test set
   holds out the training set's assets;
2. **trains** every arm with every seed (``train`` with ``--set seed=S``), ``parallel`` runs at
   a time;
3. **evaluates** every run on its arm's test set (``evaluate``), and the baselines once per test
   set;
4. **writes** ``table.md`` / ``table.csv`` / ``results.json``: per arm and metric the mean over
   seeds and its 95 % interval (Student's t with n - 1 degrees of freedom, ``mean +- t * sd /
   sqrt(n)``), and per comparison ``A:B`` the differences A - B paired by seed (same seed, same
   test set when the arms share their data) with their mean and 95 % interval; and ``plots/``.

Every step is a subprocess writing into its own folder under the study's output folder and is
skipped when its result is there (a dataset whose ``dataset.json`` is complete, a run with
``summary.json``, an evaluation with ``done.json``); a run cut short resumes from its latest
checkpoint (``train --resume``). So rerunning the same command after an interruption finishes
the study and redoes nothing. The study file is copied as ``study.json``: a different study in
the same folder is refused (exit 2) rather than mixed in.

Every problem with the study (an unknown key, a bad value, a generation spec or training config
that does not load) is reported before anything is written: one line naming the key and its
line in the file, exit status 2.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from argparse import ArgumentParser
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from simulator.spec.errors import SpecError
from simulator.spec.reading import read_spec_file
from simulator.spec.yaml_lines import load_yaml_with_lines

from .config import ConfigError, load_config

#: The fewest training seeds per arm (an interval over seeds needs a spread to estimate).
MIN_SEEDS = 3
#: Metrics reported when the study names none (keys of :func:`read_metrics`).
DEFAULT_METRICS = ("a_acc", "h_prec", "v_prec", "ciou_uth_mean", "auc_uth", "floc", "pia@silence", "pia@noise",
                   "pia@offscreen")
#: Metrics that are not fractions (printed as they are, not in %).
NOT_FRACTIONS = {"uth", "separability", "alignment", "magnitude", "max_sim_median"}
#: Largest share of a dataset's samples that may have no valid layout (simulate lists them).
MAX_FAILED_SHARE = 0.01
#: Two-sided 95 % Student t quantiles by degrees of freedom (scipy-free; above 30: normal).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
       20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
       29: 2.045, 30: 2.042}
#: The study file's keys: name -> (required, what it is).
STUDY_KEYS = {
    "name": (True, "the study's name"),
    "out": (False, "output folder (default out/studies/<name>)"),
    "data": (True, "the datasets: spec, set, split, train, test, workers"),
    "arms": (True, "the arms: a list of {name, config, set, data}"),
    "seeds": (True, f"training seeds (at least {MIN_SEEDS})"),
    "train": (False, "{set: {...}}: training overrides for every arm"),
    "evaluate": (False, "{metrics, compare, baselines, angles, n_deg}"),
    "parallel": (False, "training runs at a time (default 1)"),
}
DATA_KEYS = {"spec", "set", "split", "train", "test", "workers"}
SPLIT_SET_KEYS = {"samples", "seed", "set"}
ARM_KEYS = {"name", "config", "set", "data"}
EVALUATE_KEYS = {"metrics", "compare", "baselines", "angles", "n_deg"}
BASELINES = ("random", "center", "random_object", "largest", "nearest", "most_visible", "central_object")


class StudyError(ValueError):
    """A problem with the study file; the message names the key and its line."""


# -- the study ------------------------------------------------------------------------------------

@dataclass
class Arm:
    name: str
    config: Path
    train_set: dict[str, Any]
    data_set: dict[str, Any]

    @property
    def variant(self) -> str:
        """The arm's data variant: ``common`` without data overrides, else a short hash of them."""
        if not self.data_set:
            return "common"
        return "data-" + hashlib.sha256(json.dumps(self.data_set, sort_keys=True).encode()).hexdigest()[:10]


@dataclass
class Study:
    name: str
    source: Path
    raw: dict[str, Any]
    out: Path
    spec: Path
    data_set: dict[str, Any]
    split: dict[str, Any] | None
    sets: dict[str, dict[str, Any]]          # "train" / "test" -> {samples, seed, set}
    workers: int
    arms: list[Arm]
    seeds: list[int]
    train_set: dict[str, Any]
    metrics: list[str]
    compare: list[tuple[str, str]]
    baselines: list[str]
    angles: str
    n_deg: float
    parallel: int
    base_dir: Path = field(default=Path("."))

    def dataset_dir(self, variant: str, role: str) -> Path:
        return self.out / "data" / variant / role

    def run_dir(self, arm: Arm, seed: int) -> Path:
        return self.out / "runs" / arm.name / f"seed-{seed}"

    def eval_dir(self, arm: Arm, seed: int) -> Path:
        return self.out / "eval" / arm.name / f"seed-{seed}"

    def variants(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for arm in self.arms:
            out.setdefault(arm.variant, arm.data_set)
        return out


def _where(lines: dict, path: tuple, source: str) -> str:
    line = None
    for k in range(len(path), -1, -1):
        if path[:k] in lines:
            line = lines[path[:k]]
            break
    dotted = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))
    return f"{source}" + (f" line {line}" if line else "") + (f": '{dotted}'" if dotted else "")


def load_study(path: str | os.PathLike, out: str | None = None) -> Study:
    """Read and check a study file (StudyError naming the key and line)."""
    path = Path(path)
    source = str(path)
    try:
        data, lines = load_yaml_with_lines(read_spec_file(path, source), source)
    except SpecError as exc:
        raise StudyError(str(exc)) from None

    def fail(key: tuple, message: str) -> StudyError:
        return StudyError(f"{_where(lines, key, source)}: {message}")

    if not isinstance(data, dict):
        raise fail((), "a study must be a mapping (name, data, arms, seeds, ...)")
    for key in data:
        if key not in STUDY_KEYS:
            raise fail((key,), f"unknown key (keys: {', '.join(STUDY_KEYS)})")
    for key, (required, what) in STUDY_KEYS.items():
        if required and key not in data:
            raise fail((), f"missing '{key}' ({what})")
    base = path.resolve().parent

    def mapping(value: Any, key: tuple, allowed: set[str] | None = None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise fail(key, "must be a mapping")
        for k in value:
            if not isinstance(k, str):
                raise fail(key, f"keys must be strings, not {k!r}")
            if allowed is not None and k not in allowed:
                raise fail(key + (k,), f"unknown key (keys: {', '.join(sorted(allowed))})")
        return value

    def integer(value: Any, key: tuple, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise fail(key, f"must be an integer >= {low}, not {value!r}")
        return value

    def name_of(value: Any, key: tuple) -> str:
        if not isinstance(value, str) or not value or not all(c.isalnum() or c in "-_." for c in value) \
                or value.startswith("."):
            raise fail(key, f"must be a name of letters, digits, '-', '_' or '.', not {value!r}")
        return value

    name = name_of(data["name"], ("name",))
    d = mapping(data["data"], ("data",), DATA_KEYS)
    if "spec" not in d:
        raise fail(("data",), "missing 'spec' (the generation spec: a file or a bundled name)")
    spec = _spec_path(d["spec"], base, lambda m: fail(("data", "spec"), m))
    sets = {}
    for role, default_seed in (("train", None), ("test", None)):
        entry = mapping(d.get(role), ("data", role), SPLIT_SET_KEYS)
        if "samples" not in entry:
            raise fail(("data", role), "missing 'samples'")
        if "seed" not in entry:
            raise fail(("data", role), "missing 'seed' (the generation seed; the test set's must differ)")
        sets[role] = {"samples": integer(entry["samples"], ("data", role, "samples"), 1),
                      "seed": integer(entry["seed"], ("data", role, "seed"), 0),
                      "set": mapping(entry.get("set"), ("data", role, "set"))}
    if sets["train"]["seed"] == sets["test"]["seed"]:
        raise fail(("data", "test", "seed"), "the test set needs another generation seed than the training set")
    split = d.get("split")
    if split is not None:
        split = mapping(split, ("data", "split"))
        if "use" in split:
            raise fail(("data", "split", "use"), "is set by the study (train for training sets, test for test sets)")
    arms_raw = data["arms"]
    if not isinstance(arms_raw, list) or len(arms_raw) < 1:
        raise fail(("arms",), "must be a list of arms ({name, config, set, data})")
    arms = []
    for i, a in enumerate(arms_raw):
        a = mapping(a, ("arms", i), ARM_KEYS)
        for key in ("name", "config"):
            if key not in a:
                raise fail(("arms", i), f"missing '{key}'")
        arm_name = name_of(a["name"], ("arms", i, "name"))
        if arm_name in {x.name for x in arms} or arm_name in BASELINES:
            raise fail(("arms", i, "name"), f"{arm_name!r} is taken (arm names are unique, and not "
                                            f"{' or '.join(BASELINES)})")
        config = Path(str(a["config"]))
        config = config if config.is_absolute() else base / config
        if not config.is_file():
            raise fail(("arms", i, "config"), f"training config not found: {config}")
        arms.append(Arm(arm_name, config, mapping(a.get("set"), ("arms", i, "set")),
                        mapping(a.get("data"), ("arms", i, "data"))))
    seeds = data["seeds"]
    if not isinstance(seeds, list) or len(seeds) < MIN_SEEDS:
        raise fail(("seeds",), f"must be a list of at least {MIN_SEEDS} training seeds (an interval over seeds "
                               f"needs them), not {seeds!r}")
    seeds = [integer(s, ("seeds", i), 0) for i, s in enumerate(seeds)]
    if len(set(seeds)) != len(seeds):
        raise fail(("seeds",), "has a seed twice")
    train = mapping(data.get("train"), ("train",), {"set"})
    ev = mapping(data.get("evaluate"), ("evaluate",), EVALUATE_KEYS)
    metrics = ev.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise fail(("evaluate", "metrics"), "must be a list of metric names")
    compare = []
    names = [a.name for a in arms]
    for i, c in enumerate(ev.get("compare") or []):
        parts = c.split(":") if isinstance(c, str) else []
        if len(parts) != 2 or parts[0] not in names or parts[1] not in names or parts[0] == parts[1]:
            raise fail(("evaluate", "compare", i), f"must be 'A:B' with two different arms (arms: {', '.join(names)})")
        compare.append((parts[0], parts[1]))
    baselines = ev.get("baselines", list(BASELINES))
    if not isinstance(baselines, list) or any(b not in BASELINES for b in baselines):
        raise fail(("evaluate", "baselines"), f"must be a list of {', '.join(BASELINES)}")
    angles = ev.get("angles", "screen")
    if angles not in ("screen", "camera"):
        raise fail(("evaluate", "angles"), "must be screen or camera")
    n_deg = ev.get("n_deg", 6.0)
    if isinstance(n_deg, bool) or not isinstance(n_deg, (int, float)) or not (0 < n_deg < 180):
        raise fail(("evaluate", "n_deg"), "must be a number of degrees in (0, 180)")
    parallel = integer(data.get("parallel", 1), ("parallel",), 1)
    workers = integer(d.get("workers", 1), ("data", "workers"), 1)
    out_dir = Path(out) if out else Path(str(data["out"])) if data.get("out") else Path("out") / "studies" / name
    study = Study(name=name, source=path, raw=data, out=out_dir, spec=spec, data_set=mapping(d.get("set"), ("data", "set")),
                  split=split, sets=sets, workers=workers, arms=arms, seeds=seeds,
                  train_set=mapping(train.get("set"), ("train", "set")), metrics=metrics, compare=compare,
                  baselines=baselines, angles=angles, n_deg=float(n_deg), parallel=parallel, base_dir=base)
    _check_loads(study, lines, fail)
    return study


def _spec_path(value: Any, base: Path, fail) -> Path:
    from simulator.cli import resolve_spec_path

    if not isinstance(value, str):
        raise fail(f"must be a spec file or a bundled spec's name, not {value!r}")
    local = base / value
    if local.is_file():
        return local
    try:
        return resolve_spec_path(value)
    except SpecError as exc:
        raise fail(str(exc)) from None


def _overrides(values: dict[str, Any]) -> list[str]:
    """``{key.path: value}`` as ``key.path=VALUE`` strings (JSON is YAML)."""
    return [f"{k}={json.dumps(v)}" for k, v in values.items()]


def dataset_overrides(study: Study, variant_set: dict[str, Any], role: str) -> list[str]:
    """The ``--set`` overrides of one dataset: the study's, the role's, the variant's, then the
    samples, seed and held-out share."""
    values = {**study.data_set, **study.sets[role]["set"], **variant_set,
              "samples": study.sets[role]["samples"], "seed": study.sets[role]["seed"]}
    if study.split is not None:
        values["library.split"] = {**study.split, "use": role}
    return _overrides(values)


def training_overrides(study: Study, arm: Arm, seed: int, train_dir: Path) -> list[str]:
    return _overrides({**study.train_set, **arm.train_set, "seed": seed, "data.train": str(train_dir)})


def _check_loads(study: Study, lines: dict, fail) -> None:
    """Every dataset spec and training config of the study loads (before anything is written)."""
    from simulator.spec.loader import load_spec

    for variant, values in study.variants().items():
        arm = next(i for i, a in enumerate(study.arms) if a.variant == variant)
        for role in ("train", "test"):
            try:
                specs = load_spec(study.spec, dataset_overrides(study, values, role))
            except SpecError as exc:
                where = ("arms", arm, "data") if values else ("data",)
                raise fail(where, f"the {role} set's spec does not load: {exc}") from None
            if len(specs) != 1:
                raise fail(("data", "spec"), "a study's spec must make one dataset (no sweep: arms are the sweep)")
    for i, arm in enumerate(study.arms):
        try:
            load_config(arm.config, training_overrides(study, arm, study.seeds[0], Path("unused")))
        except ConfigError as exc:
            raise fail(("arms", i), f"the training config does not load: {exc}") from None


# -- running ----------------------------------------------------------------------------------------

def _run(cmd: list[str], log: Path) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env).returncode


def _dataset_complete(folder: Path) -> bool:
    info = folder / "dataset.json"
    if not info.is_file():
        return False
    try:
        data = json.loads(info.read_text())
    except ValueError:
        return False
    failed = len(data.get("failed") or [])
    return data.get("status") == "complete" or (
        failed <= MAX_FAILED_SHARE * max(1, int(data.get("samples", 0) or 0)) and (folder / "manifest.jsonl").is_file()
        and sum(1 for _ in (folder / "manifest.jsonl").open()) + failed >= int(data.get("samples", 0) or 0))


class Runner:
    """Runs a study's steps, skipping those already done; ``say`` prints progress."""

    def __init__(self, study: Study, quiet: bool = False):
        self.study = study
        self.quiet = quiet
        self.logs = study.out / "logs"

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def generate(self) -> None:
        s = self.study
        for variant, values in s.variants().items():
            for role in ("train", "test"):
                folder = s.dataset_dir(variant, role)
                if _dataset_complete(folder):
                    self.say(f"data {variant}/{role}: done")
                    continue
                self.say(f"data {variant}/{role}: generating {s.sets[role]['samples']} samples")
                cmd = [sys.executable, "-m", "simulator.cli", "--spec", str(s.spec), "--workers", str(s.workers),
                       "--quiet"]
                for o in dataset_overrides(s, values, role) + [f"output.dir={json.dumps(str(folder))}"]:
                    cmd += ["--set", o]
                code = _run(cmd, self.logs / f"data-{variant}-{role}.log")
                if code not in (0, 1) or not _dataset_complete(folder):
                    raise RuntimeError(f"generating {folder} failed (exit {code}): see {self.logs}")

    def train(self) -> None:
        s = self.study
        jobs = [(arm, seed) for arm in s.arms for seed in s.seeds]
        todo = []
        for arm, seed in jobs:
            run = s.run_dir(arm, seed)
            if (run / "summary.json").is_file():
                self.say(f"train {arm.name} seed {seed}: done")
            else:
                todo.append((arm, seed))

        def one(job) -> tuple[str, int, int]:
            arm, seed = job
            run = s.run_dir(arm, seed)
            cmd = [sys.executable, "-m", "training.train", "--config", str(arm.config), "--out", str(run), "--quiet"]
            for o in training_overrides(s, arm, seed, s.dataset_dir(arm.variant, "train")):
                cmd += ["--set", o]
            if (run / "checkpoints" / "latest.json").is_file():
                cmd.append("--resume")
            self.say(f"train {arm.name} seed {seed}: {'resuming' if '--resume' in cmd else 'starting'}")
            return arm.name, seed, _run(cmd, self.logs / f"train-{arm.name}-seed-{seed}.log")

        with ThreadPoolExecutor(max_workers=s.parallel) as pool:
            failed = [(a, sd) for a, sd, code in pool.map(one, todo) if code != 0]
        if failed:
            raise RuntimeError("training failed: " + ", ".join(f"{a} seed {sd}" for a, sd in failed)
                               + f" (see {self.logs})")

    def evaluate(self) -> None:
        s = self.study
        common = ["--angles", s.angles, "--n-deg", str(s.n_deg), "--no-plots", "--quiet"]
        jobs = [(s.eval_dir(arm, seed), ["--data", str(s.dataset_dir(arm.variant, "test")), "--model",
                                         str(s.run_dir(arm, seed)), "--names", arm.name, "--baselines"], arm.name)
                for arm in s.arms for seed in s.seeds]
        if s.baselines:
            jobs += [(s.out / "eval" / "baselines" / variant, ["--data", str(s.dataset_dir(variant, "test")),
                                                               "--baselines", *s.baselines], f"baselines {variant}")
                     for variant in s.variants()]
        for folder, args, what in jobs:
            if (folder / "done.json").is_file():
                continue
            self.say(f"evaluate {what} -> {folder.relative_to(s.out)}")
            code = _run([sys.executable, "-m", "training.evaluate", *args, *common, "--out", str(folder)],
                        self.logs / "evaluate.log")
            if code != 0:
                raise RuntimeError(f"evaluating into {folder} failed (exit {code}): see {self.logs / 'evaluate.log'}")
            (folder / "done.json").write_text(json.dumps({"finished": time.time()}) + "\n")


# -- the table ----------------------------------------------------------------------------------------

def read_metrics(metrics_csv: Path) -> dict[str, dict[str, float]]:
    """``{model: {key: value}}`` from an evaluation's metrics.csv. Keys: ``METRIC`` (all
    conditions, all size bins; ``h_prec`` / ``v_prec`` for the precisions whatever their radius),
    ``METRIC@SIZE_BIN``, ``METRIC@CONDITION`` and ``METRIC@KIND`` for a negative audio kind
    (``pia@silence``)."""
    out: dict[str, dict[str, float]] = {}
    with metrics_csv.open() as f:
        for row in csv.DictReader(f):
            try:
                value = float(row["value"])
            except (TypeError, ValueError):
                continue
            metric = row["metric"]
            for short in ("h_prec", "v_prec"):
                if metric.startswith(short + "_"):
                    metric = short
            cond, size = row["condition"], row["size_bin"]
            if cond == "all" and size == "all":
                key = metric
            elif cond == "all":
                key = f"{metric}@{size}"
            elif size == "all":
                key = f"{metric}@{cond.removeprefix('negative_')}"
            else:
                key = f"{metric}@{cond}/{size}"
            out.setdefault(row["model"], {})[key] = value
    return out


def interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample standard deviation and the 95 % Student-t interval of the mean."""
    n = len(values)
    mean = sum(values) / n if n else math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else math.nan
    t = T95.get(n - 1, 1.96) if n > 1 else math.nan
    half = t * sd / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "sd": sd, "low": mean - half, "high": mean + half, "values": list(values)}


def aggregate(study: Study) -> dict[str, Any]:
    """Per arm and metric the values over seeds and their interval; per comparison the paired
    differences; the baselines per test set."""
    arms: dict[str, dict[str, Any]] = {}
    for arm in study.arms:
        per_seed = [read_metrics(study.eval_dir(arm, seed) / "metrics.csv").get(arm.name, {}) for seed in study.seeds]
        arms[arm.name] = {m: interval([r[m] for r in per_seed if m in r]) for m in study.metrics
                          if any(m in r for r in per_seed)}
        arms[arm.name]["_seeds"] = study.seeds
        arms[arm.name]["_variant"] = arm.variant
    comparisons = []
    for a, b in study.compare:
        row: dict[str, Any] = {"a": a, "b": b, "paired_by": "seed", "metrics": {}}
        for m in study.metrics:
            va, vb = arms[a].get(m, {}).get("values"), arms[b].get(m, {}).get("values")
            if va and vb and len(va) == len(vb):
                row["metrics"][m] = interval([x - y for x, y in zip(va, vb)])
        comparisons.append(row)
    baselines = {}
    for variant in study.variants():
        path = study.out / "eval" / "baselines" / variant / "metrics.csv"
        if study.baselines and path.is_file():
            for model, values in read_metrics(path).items():
                baselines[f"{model} ({variant})" if len(study.variants()) > 1 else model] = {
                    m: values[m] for m in study.metrics if m in values}
    return {"study": study.name, "seeds": study.seeds, "metrics": study.metrics, "arms": arms,
            "comparisons": comparisons, "baselines": baselines, "interval": "95 % Student t over seeds"}


def _fmt(metric: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}" if metric.split("@")[0] in NOT_FRACTIONS else f"{100 * value:.1f}"


def write_table(study: Study, results: dict[str, Any]) -> None:
    """table.md, table.csv and results.json in the study's folder."""
    out = study.out
    metrics = study.metrics
    lines = [f"# Study {study.name}", "",
             f"Mean over {len(study.seeds)} training seeds ({', '.join(map(str, study.seeds))}) with its 95 % "
             "interval (Student t); fractions in %. Test sets: "
             + ", ".join(f"`{study.dataset_dir(v, 'test').relative_to(out)}`" for v in study.variants()) + ".", "",
             "| arm | " + " | ".join(metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for arm in study.arms:
        cells = []
        for m in metrics:
            r = results["arms"][arm.name].get(m)
            cells.append("-" if not r else f"{_fmt(m, r['mean'])} [{_fmt(m, r['low'])}, {_fmt(m, r['high'])}]")
        lines.append(f"| {arm.name} | " + " | ".join(cells) + " |")
    for name, values in results["baselines"].items():
        lines.append(f"| {name} | " + " | ".join(_fmt(m, values[m]) if m in values else "-" for m in metrics) + " |")
    if results["comparisons"]:
        lines += ["", "Paired differences (A - B, paired by training seed; mean [95 % interval]):", "",
                  "| A - B | " + " | ".join(metrics) + " |", "|---|" + "---:|" * len(metrics)]
        for c in results["comparisons"]:
            cells = []
            for m in metrics:
                r = c["metrics"].get(m)
                cells.append("-" if not r else f"{_fmt(m, r['mean'])} [{_fmt(m, r['low'])}, {_fmt(m, r['high'])}]")
            lines.append(f"| {c['a']} - {c['b']} | " + " | ".join(cells) + " |")
    (out / "table.md").write_text("\n".join(lines) + "\n")
    with (out / "table.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "metric", "n", "mean", "low", "high", "sd", "values"])
        for arm in study.arms:
            for m in metrics:
                r = results["arms"][arm.name].get(m)
                if r:
                    w.writerow([arm.name, m, r["n"], r["mean"], r["low"], r["high"], r["sd"],
                                " ".join(repr(v) for v in r["values"])])
        for c in results["comparisons"]:
            for m, r in c["metrics"].items():
                w.writerow([f"{c['a']}-{c['b']}", m, r["n"], r["mean"], r["low"], r["high"], r["sd"],
                            " ".join(repr(v) for v in r["values"])])
        for name, values in results["baselines"].items():
            for m, v in values.items():
                w.writerow([name, m, 1, v, "", "", "", repr(v)])
    (out / "results.json").write_text(json.dumps(results, indent=1, default=float) + "\n")


def write_plots(study: Study, results: dict[str, Any]) -> None:
    """plots/METRIC.png: each arm's mean with its interval and every seed's value; plots/
    differences.png: the paired differences with their intervals."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("warning: matplotlib is not installed: no plots", file=sys.stderr)
        return
    folder = study.out / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    names = [a.name for a in study.arms]
    for m in study.metrics:
        rows = [results["arms"][n].get(m) for n in names]
        if not any(rows):
            continue
        scale = 1.0 if m.split("@")[0] in NOT_FRACTIONS else 100.0
        fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(names), 3.2))
        for i, r in enumerate(rows):
            if not r:
                continue
            ax.bar(i, scale * r["mean"], color="#9ab", width=0.6)
            if r["n"] > 1:
                ax.errorbar(i, scale * r["mean"], yerr=[[scale * (r["mean"] - r["low"])], [scale * (r["high"] - r["mean"])]],
                            color="k", capsize=4)
            ax.plot([i] * r["n"], [scale * v for v in r["values"]], "o", color="#c33", ms=3)
        for name, values in results["baselines"].items():
            if m in values:
                ax.axhline(scale * values[m], ls="--", lw=0.8, color="#777")
                ax.text(len(names) - 0.5, scale * values[m], name, fontsize=7, va="bottom", ha="right")
        ax.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
        ax.set_ylabel(m + ("" if scale == 1 else " (%)"))
        ax.set_title(f"{study.name}: mean and 95 % interval over seeds", fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / f"{m.replace('@', '_at_').replace('/', '_')}.png", dpi=100)
        plt.close(fig)
    if results["comparisons"]:
        fig, ax = plt.subplots(figsize=(6, 0.6 + 0.4 * len(results["comparisons"]) * len(study.metrics)))
        labels, y = [], 0
        for c in results["comparisons"]:
            for m, r in c["metrics"].items():
                scale = 1.0 if m.split("@")[0] in NOT_FRACTIONS else 100.0
                ax.errorbar(scale * r["mean"], y, xerr=[[scale * (r["mean"] - r["low"])], [scale * (r["high"] - r["mean"])]],
                            fmt="o", color="k", capsize=3)
                labels.append(f"{c['a']} - {c['b']}: {m}")
                y += 1
        ax.axvline(0, color="#c33", lw=0.8)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_xlabel("paired difference (points; 95 % interval over seeds)")
        fig.tight_layout()
        fig.savefig(folder / "differences.png", dpi=100)
        plt.close(fig)


# -- command line ---------------------------------------------------------------------------------------

def _claim(study: Study) -> None:
    """Create the study folder holding ``study.json``, or check that it holds this study."""
    record = {"study": study.raw, "source": str(study.source)}
    marker = study.out / "study.json"
    if marker.is_file():
        try:
            old = json.loads(marker.read_text())
        except ValueError:
            old = None
        if not old or old.get("study") != study.raw:
            raise StudyError(f"{study.out} holds another study ({marker} differs from {study.source}): "
                             "use another output folder (--out) or remove it")
        return
    if study.out.exists() and any(study.out.iterdir()):
        raise StudyError(f"{study.out} exists and is not a study folder: use another output folder (--out)")
    study.out.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, default=str) + "\n")
    os.replace(tmp, marker)


def plan_lines(study: Study) -> list[str]:
    lines = [f"study {study.name} -> {study.out}"]
    for variant, values in study.variants().items():
        for role in ("train", "test"):
            lines.append(f"  data {variant}/{role}: {study.sets[role]['samples']} samples, seed "
                         f"{study.sets[role]['seed']}" + (f", library.split.use={role}" if study.split else "")
                         + (f", {values}" if values else ""))
    lines.append(f"  train {len(study.arms)} arm(s) x {len(study.seeds)} seed(s) = "
                 f"{len(study.arms) * len(study.seeds)} run(s), {study.parallel} at a time: "
                 + ", ".join(a.name for a in study.arms))
    lines.append(f"  evaluate each run on its test set; baselines: {', '.join(study.baselines) or 'none'}; "
                 f"compare: {', '.join(f'{a}:{b}' for a, b in study.compare) or 'none'}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """``train ablate STUDY.yaml``: 0 done, 1 a step failed (rerun to resume), 2 a bad study."""
    ap = ArgumentParser(prog="train ablate", description="Run an ablation study end to end: generate the train and "
                        "test sets, train every arm with every seed, evaluate, and tabulate mean and 95 % interval "
                        "over seeds with paired differences (docs/training.md, ablation studies). Resumable: "
                        "rerun the same command to finish an interrupted study.")
    ap.add_argument("study", help="study YAML (see configs/studies/)")
    ap.add_argument("--out", help="output folder (default: the study's out, else out/studies/<name>)")
    ap.add_argument("--dry-run", action="store_true", help="check the study and print what it would run")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        study = load_study(args.study, args.out)
        if args.dry_run:
            print("\n".join(plan_lines(study)))
            return 0
        _claim(study)
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runner = Runner(study, quiet=args.quiet)
    try:
        runner.generate()
        runner.train()
        runner.evaluate()
    except RuntimeError as exc:
        print(f"error: {exc}; rerun the same command to resume", file=sys.stderr)
        return 1
    results = aggregate(study)
    write_table(study, results)
    write_plots(study, results)
    if not args.quiet:
        print((study.out / "table.md").read_text())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
