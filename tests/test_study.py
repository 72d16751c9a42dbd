"""``simulate study``: the human localization study served on 127.0.0.1 and driven in headless
Chromium (consent, headphone screening, practice, trials with a break, resume after the browser is
closed); the results file holds the clicks; its refusals (exit status 2, nothing written); the
screening stimuli (Woods et al. 2017) measured from the served WAV files."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import wave
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

from conftest import CONGRUENT, simulate

#: 12 samples: 2 practice + 10 trials. Free field and spaced ears keep the dataset fast to make.
DATASET = ("--set", "samples=12", "--set", "image.width=96", "--set", "image.height=96", "--set",
           "audio.duration=0.5", "--set", "room.type=free_field", "--set", "listener.head=spaced",
           "--set", "background.kind=color", "--quiet")
BROWSER = shutil.which("chromium") and shutil.which("chromedriver")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("study")
    simulate("--spec", str(CONGRUENT), "--set", "output.dir=ds", *DATASET, cwd=cwd)
    return cwd / "ds"


# -- the server ---------------------------------------------------------------------------------

@contextmanager
def study_server(dataset: Path, results: Path, *args: str) -> Iterator[str]:
    """Run ``simulate study`` on a free port; yield its address (``http://127.0.0.1:P/``)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "study", str(dataset), "--out", str(results),
                             "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=results.parent)
    try:
        line = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert m, f"no address line: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield m.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        err = proc.stderr.read()
        assert rc == 0, err
        assert not err.strip(), err


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def state(base: str, participant: str) -> dict:
    return json.loads(get(f"{base}api/state?participant={participant}"))


def results_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- the screening stimuli --------------------------------------------------------------------

def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 2 and w.getsampwidth() == 2
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2).T / 32768.0
        return x, w.getframerate()


def tone_levels(x: np.ndarray, rate: int) -> list[dict]:
    """Per tone of a screening triplet (found from the signal: runs of sound between silences,
    from a 10 ms moving average of the magnitude):
    the RMS of each ear, of their sum (what two loudspeakers add up to in the middle) and the
    correlation of the ears."""
    envelope = np.convolve(np.abs(x).max(axis=0), np.ones(rate // 100) / (rate // 100), mode="same")
    loud = envelope > 1e-4
    edges = np.flatnonzero(np.diff(np.r_[0, loud.astype(int), 0]))
    merged = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a > rate // 10]
    out = []
    for a, b in merged:
        seg = x[:, a:b]
        out.append({"left": float(np.sqrt(np.mean(seg[0] ** 2))), "right": float(np.sqrt(np.mean(seg[1] ** 2))),
                    "sum": float(np.sqrt(np.mean((seg[0] + seg[1]) ** 2))),
                    "corr": float(np.corrcoef(seg[0], seg[1])[0, 1]), "seconds": (b - a) / rate})
    return out


def headphone_answer(wav: bytes) -> int:
    """The answer of a listener on headphones: the tone quietest in each ear (1-based)."""
    levels = tone_levels(*read_wav(wav))
    return int(np.argmin([t["left"] for t in levels])) + 1


def loudspeaker_answer(wav: bytes) -> int:
    """The answer of a listener on loudspeakers: the tone quietest once the ears' signals add."""
    levels = tone_levels(*read_wav(wav))
    return int(np.argmin([t["sum"] for t in levels])) + 1


# -- the browser --------------------------------------------------------------------------------

@contextmanager
def chromium() -> Iterator:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--disable-dev-shm-usage", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_screen(driver, *names: str, timeout: float = 60) -> str:
    """Wait until the page shows one of the screens ``names`` (``body[data-screen]``)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        screen = driver.execute_script("return document.body.dataset.screen")
        error = driver.execute_script("return document.body.dataset.error || ''")
        assert not error, f"the page reports: {error}"
        if screen in names:
            return screen
        time.sleep(0.05)
    raise AssertionError(f"the page shows {screen!r}, not {names}")


def click(driver, element_id: str) -> None:
    driver.find_element("id", element_id).click()


def click_image_pixel(driver, u: float, v: float) -> None:
    """Click the stimulus at image pixel (u, v) (continuous, docs/conventions.md)."""
    from selenium.webdriver.common.action_chains import ActionChains

    img = driver.find_element("id", "stimulus")
    rect = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", img)
    w, h = driver.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight];", img)
    dx, dy = u / w * rect[0] - rect[0] / 2, v / h * rect[1] - rect[1] / 2
    ActionChains(driver).move_to_element_with_offset(img, round(dx), round(dy)).click().perform()


def target_pixel(dataset: Path, sample_id: str) -> tuple[float, float]:
    """The centre of a pixel inside the audio target's mask, the nearest to the mask's centroid."""
    from pycocotools import mask as cocomask

    entry = next(json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines()
                 if json.loads(line)["id"] == sample_id)
    record = json.loads((dataset / entry["files"]["record"]).read_text())
    target = record["targets"]["audio"][0]
    obj = next(o for o in record["objects"] if o["id"] == target["object_id"])
    m = cocomask.decode({"size": obj["mask"]["size"], "counts": obj["mask"]["counts"].encode()}).astype(bool)
    rows, cols = np.nonzero(m)
    k = int(np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2))
    return cols[k] + 0.5, rows[k] + 0.5


def drive(driver, base: str, participant: str, where: Callable[[dict], tuple[float, float]],
          screening: bool = True, reopen_after: int | None = None, new_driver: Callable | None = None,
          screenshots: Path | None = None) -> tuple[list[tuple[str, tuple[float, float]]], object]:
    """Take ``participant`` through the study by clicking as a person would; ``where(trial state)``
    gives the image pixel to click. With ``reopen_after`` the browser is closed after that many
    main trials and a new one opens the page (resume). Returns the clicks made, the driver in use."""
    def shot(name: str) -> None:
        if screenshots is not None:
            driver.save_screenshot(str(screenshots / f"study-{name}.png"))

    made: list[tuple[str, tuple[float, float]]] = []
    driver.get(f"{base}?participant={participant}")
    wait_screen(driver, "setup")
    shot("consent")
    click(driver, "consent")
    click(driver, "setup-go")
    if screening:
        wait_screen(driver, "calibration")
        click(driver, "calibration-play")
        click(driver, "calibration-go")
        for k in range(6):
            wait_screen(driver, "screening")
            assert driver.execute_script("return document.body.dataset.screeningTrial") == str(k)
            wav = get(f"{base}screening/{participant}/{k}.wav")
            click(driver, "screening-play")
            wait_screen(driver, "screening-answer", timeout=30)
            if k == 0:
                shot("screening")
            click(driver, f"answer-{headphone_answer(wav)}")
    done_main = 0
    while True:
        screen = wait_screen(driver, "intro", "break", "resume", "stimulus", "done", "excluded")
        if screen in ("done", "excluded"):
            shot(screen)
            return made, driver
        if screen == "intro":
            click(driver, "intro-go")
            continue
        if screen == "break":
            shot("break")
            click(driver, "break-go")
            continue
        if screen == "resume":
            click(driver, "resume-go")
            continue
        s = state(base, participant)
        u, v = where(s["trial"])
        if s["phase"] == "trial" and s["trial"]["n"] == 1:
            shot("trial")
        click_image_pixel(driver, u, v)
        made.append((s["phase"], (u, v)))
        if s["phase"] == "practice":
            wait_screen(driver, "feedback")
            if s["trial"]["n"] == 0:
                shot("feedback")
        else:
            done_main += 1
            if reopen_after is not None and done_main == reopen_after:
                # closing the browser mid-study: the next one resumes at the next trial
                wait_screen(driver, "fixation", "stimulus", "break")
                driver.quit()
                driver = new_driver()
                driver.get(f"{base}?participant={participant}")
                assert wait_screen(driver, "resume", "break") == "resume"


# -- tests --------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not BROWSER, reason="chromium and chromedriver are not installed (./install.sh --dev installs them)")
def test_study_in_a_headless_browser_records_the_clicks(dataset, tmp_path):
    results = tmp_path / "clicks.jsonl"
    with contextmanager_stack() as stack:
        base = stack.enter_context(study_server(dataset, results, "--participant", "p01", "--practice", "2",
                                                "--trials", "10", "--seed", "3", "--break-every", "4"))
        driver = stack.enter_context(chromium())
        drivers = [driver]

        def reopen():
            d = stack.enter_context(chromium())
            drivers.append(d)
            return d

        made, last = drive(driver, base, "p01", lambda t: target_pixel(dataset, t["sample_id"]),
                           reopen_after=3, new_driver=reopen)
        assert not [e for e in last.get_log("browser") if e["level"] == "SEVERE"]
    lines = results_lines(results)
    assert lines[0]["kind"] == "header" and lines[0]["format"] == "avsim-study-results"
    trials = [o for o in lines if o["kind"] == "trial"]
    assert [o["practice"] for o in trials] == [True] * 2 + [False] * 10
    assert len(made) == 12
    for o, (phase, (u, v)) in zip(trials, made):
        assert o["participant"] == "p01" and not o["timed_out"]
        # the recorded click is the pixel clicked (1 CSS pixel is 1/7 of an image pixel here)
        assert abs(o["click_px"][0] - u) < 0.3 and abs(o["click_px"][1] - v) < 0.3, (o["click_px"], u, v)
        assert 0 < o["rt_ms"] < 20000
        assert o["screening"] == {"test": "antiphase", "passed": True, "correct": 6, "of": 6}
        g = o["geometry"]
        # the image is shown 640/90 inches wide at 96 CSS pixels an inch, 0.76 m away (seeds/000)
        assert g["viewing_distance_m"] == 0.76 and g["screen_ppi"] == 96
        assert abs(g["shown_css_width"] - 96 * 640 / 90) < 0.5 and abs(g["shown_hfov_deg"] - 13.5) < 0.1
    # every study sample once, in the participant's own order; the practice ones are not trials
    session = next(o for o in lines if o["kind"] == "session")
    assert [o["sample_id"] for o in trials] == session["practice"] + session["trials"]
    assert len(set(session["practice"] + session["trials"])) == 12
    screening = next(o for o in lines if o["kind"] == "screening")["outcome"]
    assert sorted(t["order"] for t in screening["trials"]) == sorted(["SIO", "SOI", "ISO", "OSI", "IOS", "OIS"])


class contextmanager_stack:
    """contextlib.ExitStack under a name that reads well here."""

    def __enter__(self):
        from contextlib import ExitStack

        self._stack = ExitStack().__enter__()
        return self._stack

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)


def test_screening_stimuli_separate_headphones_from_loudspeakers(dataset, tmp_path):
    """The served WAVs are the test of Woods et al. (2017): 200 Hz tones of 1 s, the target 6 dB
    below the others in both ears, one loud tone in antiphase; over headphones the target is the
    quietest, over loudspeakers (the ears' signals summed) the antiphase tone is."""
    results = tmp_path / "r.jsonl"
    with study_server(dataset, results) as base:
        req = urllib.request.Request(f"{base}api/start", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"participant": "s1", "consent": True, "screen_ppi": 96}).encode())
        assert json.loads(urllib.request.urlopen(req, timeout=30).read())["phase"] == "screening"
        wavs = [get(f"{base}screening/s1/{k}.wav") for k in range(6)]
        with pytest.raises(urllib.error.HTTPError):
            get(f"{base}screening/s1/6.wav")
    orders = []
    for wav in wavs:
        x, rate = read_wav(wav)
        assert rate == 44100
        levels = tone_levels(x, rate)
        assert len(levels) == 3 and all(0.95 < t["seconds"] < 1.02 for t in levels)
        spectrum = np.abs(np.fft.rfft(x[0]))
        assert abs(np.argmax(spectrum) * rate / x.shape[1] - 200) < 2
        loud = max(t["left"] for t in levels)
        quiet = min(levels, key=lambda t: t["left"])
        assert abs(20 * np.log10(quiet["left"] / loud) + 6) < 0.2
        anti = [i for i, t in enumerate(levels) if t["corr"] < -0.99]
        assert len(anti) == 1 and abs(levels[anti[0]]["left"] - loud) / loud < 0.01
        assert headphone_answer(wav) != loudspeaker_answer(wav) == anti[0] + 1
        orders.append("".join("S" if t is quiet else "O" if i in anti else "I" for i, t in enumerate(levels)))
    assert sorted(orders) == sorted(["SIO", "SOI", "ISO", "OSI", "IOS", "OIS"])
    session = next(o for o in results_lines(results) if o["kind"] == "session")
    assert session["participant"] == "s1" and session["setup"] == {"viewing_distance_m": None, "screen_ppi": 96.0}


# -- refusals -------------------------------------------------------------------------------------

def _refused(args: list[str], cwd: Path, must_name: str) -> None:
    before = {str(p): p.read_bytes() if p.is_file() else None for p in sorted(cwd.rglob("*"))}
    proc = simulate("study", *args, cwd=cwd, check=False, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and must_name in lines[0], proc.stderr
    after = {str(p): p.read_bytes() if p.is_file() else None for p in sorted(cwd.rglob("*"))}
    assert after == before, "a refused study wrote something"


def test_bad_input_exits_2_and_writes_nothing(dataset, tmp_path):
    ds = str(dataset)
    (tmp_path / "plain").mkdir()
    _refused(["plain", "--out", "r.jsonl"], tmp_path, "plain")
    _refused(["missing", "--out", "r.jsonl"], tmp_path, "missing")
    (tmp_path / "notes.jsonl").write_text('{"kind": "trial"}\nmy notes\n')
    _refused([ds, "--out", "notes.jsonl"], tmp_path, "notes.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    _refused([ds, "--out", "empty.jsonl"], tmp_path, "empty.jsonl")
    (tmp_path / "afolder").mkdir()
    _refused([ds, "--out", "afolder"], tmp_path, "afolder")
    _refused([ds, "--out", "nowhere/r.jsonl"], tmp_path, "nowhere")
    _refused([ds, "--out", str(dataset / "r.jsonl")], tmp_path, "r.jsonl")
    for port in ("abc", "70000", "-1"):
        _refused([ds, "--out", "r.jsonl", "--port", port], tmp_path, "--port")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        _refused([ds, "--out", "r.jsonl", "--port", port], tmp_path, f"--port {port}")
    _refused([ds, "--out", "r.jsonl", "--trials", "50"], tmp_path, "--trials")
    _refused([ds, "--out", "r.jsonl", "--participant", "a b"], tmp_path, "--participant")
    _refused([ds, "--out", "r.jsonl", "--screen-ppi", "0"], tmp_path, "--screen-ppi")
    _refused([ds, "--out", "r.jsonl", "--screening", "loud"], tmp_path, "--screening")


def test_existing_results_are_resumed_never_overwritten(dataset, tmp_path):
    results = tmp_path / "r.jsonl"
    with study_server(dataset, results, "--seed", "5", "--trials", "4", "--practice", "1") as base:
        req = urllib.request.Request(f"{base}api/start", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"participant": "a", "consent": True, "screen_ppi": 110,
                                                      "viewing_distance_m": 0.6}).encode())
        urllib.request.urlopen(req, timeout=30).read()
        first = state(base, "a")
    text = results.read_text()
    assert not list(tmp_path.glob(".r.jsonl*")), "a lock or temporary file was left"
    # a different seed for the same file is refused, naming the option; the file is untouched
    _refused([str(dataset), "--out", "r.jsonl", "--seed", "6"], tmp_path, "--seed")
    # the results of another dataset are refused
    other = tmp_path / "other"
    shutil.copytree(dataset, other)
    with open(other / "manifest.jsonl", "a") as fh:
        fh.write("\n")
    _refused([str(other), "--out", "r.jsonl"], tmp_path, "another dataset")
    # the same study resumes: the participant keeps their set-up and their place
    with study_server(dataset, results) as base:
        again = state(base, "a")
        assert again == first and again["phase"] == "screening"
        page = get(base).decode()
    assert results.read_text() == text
    assert "http://" not in page and "https://" not in page and not re.search(r"<link[\s>]|<script[^>]*\ssrc=", page)
    session = next(o for o in results_lines(results) if o["kind"] == "session")
    assert session["setup"] == {"viewing_distance_m": 0.6, "screen_ppi": 110.0}


@pytest.mark.slow
@pytest.mark.skipif(not BROWSER, reason="chromium and chromedriver are not installed (./install.sh --dev installs them)")
def test_a_trial_without_a_click_times_out(dataset, tmp_path):
    """No click within --time-limit-s: the page ends the trial itself and records a time-out."""
    results = tmp_path / "r.jsonl"
    with study_server(dataset, results, "--screening", "none", "--practice", "0", "--trials", "2",
                      "--time-limit-s", "1") as base, chromium() as driver:
        driver.get(f"{base}?participant=idle")
        wait_screen(driver, "setup")
        click(driver, "consent")
        click(driver, "setup-go")
        wait_screen(driver, "intro")
        click(driver, "intro-go")
        wait_screen(driver, "stimulus")
        assert driver.execute_script("return !document.getElementById('clip').paused")
        wait_screen(driver, "done", timeout=30)
    trials = [o for o in results_lines(results) if o["kind"] == "trial"]
    assert [(o["timed_out"], o["click_px"], o["rt_ms"]) for o in trials] == [(True, None, None)] * 2
