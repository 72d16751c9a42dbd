"""`train ablate`: a tiny study end to end through the real CLIs (simulate, train, evaluate), its
table against the per-seed evaluations, resuming, and bad studies refused before anything is written."""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from training.ablate import StudyError, interval, load_study, read_metrics   # noqa: E402

REPO = Path(__file__).resolve().parent.parent

TINY_MODEL = {"model.image_widths": [8, 8, 16, 16], "model.audio_widths": [8, 8, 16, 16], "model.embed_dim": 16,
              "model.projection_dim": 8, "audio.n_mels": 32, "train.batch_size": 8, "train.threads": 1,
              "optim.warmup_steps": 0, "train.max_steps": 2}

STUDY = {
    "name": "tiny",
    "data": {
        "spec": "congruent",
        "set": {"image.width": 64, "image.height": 64, "audio.duration": 0.5, "objects.max_distance_m": 100,
                "room.type": "free_field", "listener.head": "spaced", "background.kind": "color",
                "negatives.silence": True, "negatives.noise": True},
        "split": {"fractions": {"train": 0.6, "val": 0.0, "test": 0.4}, "salt": "tiny", "meshes": False},
        "train": {"samples": 16, "seed": 7},
        "test": {"samples": 12, "seed": 1007},
    },
    "arms": [{"name": "mono", "config": str(REPO / "configs" / "mono.yaml")},
             {"name": "stereo", "config": str(REPO / "configs" / "stereo_ipd.yaml")}],
    "seeds": [0, 1, 2],
    "train": {"set": TINY_MODEL},
    "evaluate": {"metrics": ["a_acc", "a_acc@size1", "h_prec", "ciou_uth_mean", "pia@silence"], "compare": ["stereo:mono"],
                 "baselines": ["center"]},
    "parallel": 2,
}


def write_study(path: Path, study: dict) -> Path:
    path.write_text(json.dumps(study))   # JSON is YAML
    return path


def ablate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "training.train", "ablate", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900, env=env)


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("ablate")
    path = write_study(cwd / "study.yaml", STUDY)
    proc = ablate(str(path), "--out", "st", cwd=cwd)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return cwd, path, cwd / "st", proc


@pytest.mark.slow
def test_a_study_runs_end_to_end_and_its_table_matches_the_evaluations(study_run):
    cwd, _, out, proc = study_run
    for name in ("study.json", "table.md", "table.csv", "results.json", "plots/a_acc.png", "plots/differences.png"):
        assert (out / name).is_file(), name
    # the test set holds out the training set's clips
    info = {role: json.loads((out / "data" / "common" / role / "dataset.json").read_text()) for role in ("train", "test")}
    assert info["train"]["library"]["split"]["use"] == "train" and info["test"]["library"]["split"]["use"] == "test"
    report = cwd / "overlap.json"   # the default library has one mesh of some categories: meshes unsplit
    subprocess.run([sys.executable, "-m", "simulator.cli", "audit", str(out / "data/common/train"), "--against",
                    str(out / "data/common/test"), "--json", str(report)], capture_output=True, text=True, cwd=cwd)
    shared = json.loads(report.read_text())["shared"]
    assert shared["clips"] == [] and shared["meshes"], shared
    # every arm x seed trained and evaluated with its own seed
    results = json.loads((out / "results.json").read_text())
    for arm in ("mono", "stereo"):
        values = []
        for seed in (0, 1, 2):
            config = json.loads((out / "runs" / arm / f"seed-{seed}" / "config.json").read_text())
            assert config["seed"] == seed
            values.append(read_metrics(out / "eval" / arm / f"seed-{seed}" / "metrics.csv")[arm]["a_acc"])
        got = results["arms"][arm]["a_acc"]
        assert got["values"] == pytest.approx(values)
        mean = sum(values) / 3
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 2)
        assert got["mean"] == pytest.approx(mean)
        assert got["high"] - got["mean"] == pytest.approx(4.303 * sd / math.sqrt(3))   # t(0.975, 2 dof)
    diff = results["comparisons"][0]
    assert (diff["a"], diff["b"]) == ("stereo", "mono")
    assert diff["metrics"]["a_acc"]["values"] == pytest.approx(
        [s - m for s, m in zip(results["arms"]["stereo"]["a_acc"]["values"], results["arms"]["mono"]["a_acc"]["values"])])
    assert "center" in results["baselines"]
    # a per-size-bin metric over all conditions is read from the evaluations (not left empty)
    per_bin = results["arms"]["mono"]["a_acc@size1"]["values"]
    assert len(per_bin) == 3 and all(math.isfinite(v) for v in per_bin), per_bin
    table = (out / "table.md").read_text()
    assert "| mono |" in table and "| stereo - mono |" in table and "pia@silence" in table
    rows = list(csv.DictReader((out / "table.csv").open()))
    assert {r["row"] for r in rows} >= {"mono", "stereo", "stereo-mono", "center"}


@pytest.mark.slow
def test_rerunning_a_study_redoes_nothing_and_finishes_an_interrupted_one(study_run):
    cwd, path, out, _ = study_run
    weights = (out / "runs/mono/seed-1/model.safetensors").read_bytes()
    stamp = (out / "runs/mono/seed-1/summary.json").stat().st_mtime_ns
    again = ablate(str(path), "--out", "st", cwd=cwd)
    assert again.returncode == 0, again.stderr
    assert "train mono seed 1: done" in again.stdout
    assert (out / "runs/mono/seed-1/summary.json").stat().st_mtime_ns == stamp
    # an interrupted run (its result and evaluation gone) is trained again, identically
    (out / "runs/mono/seed-1/summary.json").unlink()
    (out / "runs/mono/seed-1/model.safetensors").unlink()
    shutil.rmtree(out / "eval/mono/seed-1")
    resumed = ablate(str(path), "--out", "st", cwd=cwd)
    assert resumed.returncode == 0, resumed.stderr
    assert "train mono seed 1: resuming" in resumed.stdout and "train mono seed 0: done" in resumed.stdout
    assert (out / "runs/mono/seed-1/model.safetensors").read_bytes() == weights


@pytest.mark.slow
def test_another_study_in_the_same_folder_is_refused(study_run, tmp_path):
    cwd, _, out, _ = study_run
    other = write_study(tmp_path / "other.yaml", {**STUDY, "seeds": [0, 1, 5]})
    proc = ablate(str(other), "--out", str(out), cwd=cwd)
    assert proc.returncode == 2 and "holds another study" in proc.stderr


@pytest.mark.parametrize("change, key", [
    (lambda s: s.update(seeds=[0, 1]), "'seeds'"),
    (lambda s: s.update(colour="red"), "'colour'"),
    (lambda s: s["arms"][1].update(name="mono"), "'arms[1].name'"),
    (lambda s: s["arms"][0].update(config="configs/nope.yaml"), "'arms[0].config'"),
    (lambda s: s["arms"][0].update(set={"model.variant": "nonsense"}), "'arms[0]'"),
    (lambda s: s["data"]["test"].update(seed=7), "'data.test.seed'"),
    (lambda s: s["data"]["set"].update({"camera.hfov_deg": "wide"}), "'data'"),
    (lambda s: s["data"]["split"].update(use="test"), "'data.split.use'"),
    (lambda s: s["evaluate"].update(compare=["stereo:nobody"]), "'evaluate.compare[0]'"),
])
def test_bad_studies_name_the_key_and_write_nothing(tmp_path, change, key):
    study = json.loads(json.dumps(STUDY))
    change(study)
    path = write_study(tmp_path / "bad.yaml", study)
    with pytest.raises(StudyError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_study(path, str(tmp_path / "out"))
    proc = ablate(str(path), "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_interval_is_the_student_t_interval_over_seeds():
    r = interval([0.5, 0.6, 0.7])
    assert r["mean"] == pytest.approx(0.6) and r["sd"] == pytest.approx(0.1)
    assert (r["low"], r["high"]) == (pytest.approx(0.6 - 4.303 * 0.1 / math.sqrt(3)),
                                     pytest.approx(0.6 + 4.303 * 0.1 / math.sqrt(3)))
    assert math.isnan(interval([0.5])["low"])


def test_metrics_are_read_by_condition_size_bin_and_negative_kind(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("model,condition,size_bin,metric,value,n\n"
                    "m,all,all,a_acc,0.5,10\nm,all,size1,a_acc,0.25,4\nm,congruent,all,a_acc,0.5,10\n"
                    "m,negative_silence,all,pia,0.01,10\nm,all,all,h_prec_6deg_screen,0.7,10\nm,all,all,uth,nan,\n")
    got = read_metrics(path)["m"]
    assert got["a_acc"] == 0.5 and got["a_acc@size1"] == 0.25 and got["a_acc@congruent"] == 0.5
    assert got["pia@silence"] == 0.01 and got["h_prec"] == 0.7
