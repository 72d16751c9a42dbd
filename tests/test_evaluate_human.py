"""``evaluate --human RESULTS``: the clicks that ``simulate study`` recorded, scored as a Human row
with the models' metrics. Participants are scripted in headless Chromium (clicking each target;
clicking the image's centre pixel) and over the study's HTTP interface (several participants, a
time-out) against the real server; refusals exit 2."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest

from conftest import CONGRUENT, simulate
from test_study import BROWSER, DATASET, chromium, drive, state, study_server, target_pixel

pytest.importorskip("torch")

METRICS = ("a_acc", "v_acc", "h_prec", "v_prec")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """12 samples (1 practice + 10 trials + 1 the study does not show)."""
    cwd = tmp_path_factory.mktemp("human")
    simulate("--spec", str(CONGRUENT), "--set", "output.dir=ds", *DATASET, cwd=cwd)
    return cwd / "ds"


def evaluate(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run([sys.executable, "-m", "training.evaluate", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def metrics(out: Path) -> dict:
    text = (out / "metrics.json").read_text()
    return json.loads(text)["models"]


def post(base: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(f"{base}{path}", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


STUDY = ("--screening", "none", "--practice", "1", "--trials", "10", "--seed", "11")


@pytest.mark.slow
@pytest.mark.skipif(not BROWSER, reason="chromium and chromedriver are not installed (./install.sh --dev installs them)")
def test_browser_clicks_score_as_the_human_row(dataset, tmp_path):
    centre = (96 // 2 + 0.5, 96 // 2 + 0.5)   # the centre pixel, where the centre baseline's map peaks
    for who, where in (("target", lambda t: target_pixel(dataset, t["sample_id"])), ("centre", lambda t: centre)):
        with ExitStack() as stack:
            base = stack.enter_context(study_server(dataset, tmp_path / f"{who}.jsonl", *STUDY))
            driver = stack.enter_context(chromium())
            made, _ = drive(driver, base, who, where, screening=False)
            assert len(made) == 11
        evaluate("--data", str(dataset), "--human", f"{who}.jsonl", "--baselines", "center", "random",
                 "--out", f"eval-{who}", "--no-plots", "--quiet", cwd=tmp_path)
    target = metrics(tmp_path / "eval-target")
    # every model is scored on the 10 samples the participant saw (not the practice one, not the 12th)
    assert target["center"]["groups"]["all/all"]["n"] == 10 == target["Human"]["groups"]["all/all"]["n"]
    for group in target["Human"]["groups"].values():
        assert group["a_acc"] == 1.0 and group["v_acc"] == 1.0
    centre_eval = metrics(tmp_path / "eval-centre")
    human, baseline = centre_eval["Human"]["groups"], centre_eval["center"]["groups"]
    assert set(human) == set(baseline)
    for key, group in baseline.items():
        for m in METRICS:
            assert human[key][m] == group[m], (key, m, human[key][m], group[m])
    # per trial too: the clicked pixel is the centre baseline's peak
    with open(tmp_path / "eval-centre" / "human_trials.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10 and {(r["peak_u"], r["peak_v"]) for r in rows} == {("48.5", "48.5")}
    tables = (tmp_path / "eval-centre" / "tables.md").read_text()
    assert "| Human |" in tables and "confidence intervals over participants" in tables


def test_participants_pool_and_interval_over_participants(dataset, tmp_path):
    """Three participants over the real server's HTTP interface: one clicks every target, one the
    centre pixel, one the targets but lets two trials time out (misses). The Human row pools the
    30 trials; its interval is over the participants."""
    results = tmp_path / "r.jsonl"
    plan = {"a": "target", "b": "centre", "c": "target"}
    with study_server(dataset, results, *STUDY) as base:
        for pid, how in plan.items():
            s = post(base, "api/start", {"participant": pid, "consent": True, "screen_ppi": 96})
            while s["phase"] in ("practice", "trial"):
                t = s["trial"]
                click = list(target_pixel(dataset, t["sample_id"]) if how == "target" else (48.5, 48.5))
                if pid == "c" and s["phase"] == "trial" and t["n"] in (2, 7):
                    click = None
                s = post(base, "api/response", {
                    "participant": pid, "phase": s["phase"], "n": t["n"], "sample_id": t["sample_id"],
                    "click_px": click, "rt_ms": 900.0,
                    "shown": {"css_width": t["display"]["css_width"], "css_height": t["display"]["css_height"]}})
            assert state(base, pid)["phase"] == "done"
    evaluate("--data", str(dataset), "--human", "r.jsonl", "--baselines", "center", "--out", "ev", "--no-plots",
             "--quiet", cwd=tmp_path)
    m = metrics(tmp_path / "ev")
    centre_hits = m["center"]["groups"]["all/all"]["a_acc"] * 10
    g = m["Human"]["groups"]["all/all"]
    assert g["n"] == 30 and g["participants"] == 3
    assert g["a_acc"] == pytest.approx((10 + centre_hits + 8) / 30)
    lo, hi = g["a_acc_ci"]
    per_participant = [1.0, centre_hits / 10, 0.8]
    assert min(per_participant) <= lo <= g["a_acc"] <= hi <= max(per_participant)
    assert hi - lo > 0
    meta = json.loads((tmp_path / "ev" / "metrics.json").read_text())["meta"]["human"]
    assert meta["participants"] == 3 and meta["trials"] == 30 and meta["timeouts"] == 2
    with open(tmp_path / "ev" / "human_trials.csv") as fh:
        rows = list(csv.DictReader(fh))
    timed_out = [r for r in rows if r["timed_out"] == "True"]
    assert len(timed_out) == 2 and all(r["participant"] == "c" and r["a_acc"] == "0.0" for r in timed_out)
    # the practice trials are not scored
    lines = [json.loads(x) for x in results.read_text().splitlines()]
    practice_ids = {o["sample_id"] for o in lines if o["kind"] == "trial" and o["practice"]}
    assert practice_ids and not practice_ids & {r["id"] for r in rows}
    assert np.isfinite(g["h_prec"]) and g["h_prec_ci"][0] <= g["h_prec"] <= g["h_prec_ci"][1]


def test_bad_human_input_exits_2(dataset, tmp_path):
    (tmp_path / "notes.jsonl").write_text('{"kind": "trial"}\n')
    for args, name in ((["--human", "notes.jsonl"], "notes.jsonl"), (["--human", "missing.jsonl"], "missing.jsonl")):
        proc = evaluate("--data", str(dataset), *args, "--baselines", "center", "--out", "ev", "--no-plots", "--quiet",
                        cwd=tmp_path, check=False)
        assert proc.returncode == 2 and name in proc.stderr, proc.stderr
        assert not (tmp_path / "ev").exists()
    # clicks on samples the evaluated data does not have (another dataset)
    header = {"kind": "header", "format": "avsim-study-results", "version": 1}
    trial = {"kind": "trial", "participant": "x", "practice": False, "sample_id": "9999999", "click_px": [1, 1],
             "rt_ms": 1.0, "geometry": {"shown_css_width": 600, "screen_ppi": 96, "viewing_distance_m": 0.76,
                                        "width_px": 96}}
    (tmp_path / "other.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(trial) + "\n")
    proc = evaluate("--data", str(dataset), "--human", "other.jsonl", "--baselines", "center", "--out", "ev",
                    "--no-plots", "--quiet", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "9999999" in proc.stderr, proc.stderr
