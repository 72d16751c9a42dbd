"""``simulate preview``: the static site of a dataset (index pages, sample pages, map, overlays,
audio players), its refusals (exit status 2, nothing written) and, with chromium, the pages in a
headless browser from file://."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import CONGRUENT, simulate
from simulator.preview.templates import RLE_JS
from simulator.preview.topdown import room_outline, topdown_svg

SMALL = ("--set", "samples=5", "--set", "image.width=64", "--set", "image.height=64", "--set",
         "audio.duration=0.5", "--set", "negatives.silence=true", "--set", "output.stems=true",
         "--set", "room.type=shoebox", "--quiet")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """(dataset, site): a 5-sample dataset made by the CLI and its preview (page size 2)."""
    cwd = tmp_path_factory.mktemp("preview")
    simulate("--spec", str(CONGRUENT), "--set", "output.dir=ds", *SMALL, cwd=cwd)
    simulate("preview", "ds", "--out", "site", "--page-size", "2", cwd=cwd)
    return cwd / "ds", cwd / "site"


def manifest(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines() if line.strip()]


def embedded(page: Path, element_id: str):
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page.read_text(), re.S)
    assert m, f"{page}: no {element_id}"
    return json.loads(m.group(1).replace("<\\/", "</"))


def resolve(page: Path, url: str) -> Path:
    return (page.parent / unquote(html.unescape(url))).resolve()


@pytest.mark.slow
def test_index_pages_embed_the_manifest(site):
    ds, out = site
    entries = manifest(ds)
    pages = sorted(out.glob("index*.html"), key=lambda p: (len(p.name), p.name))
    assert [p.name for p in pages] == ["index.html", "index-2.html", "index-3.html"]
    items = [it for p in pages for it in embedded(p, "page-data")["items"]]
    assert [(it["id"], it["index"], it["condition"], it["size_bin"], it["category"]) for it in items] == \
        [(e["id"], e["index"], e["condition"], e["size_bin"], e["category"]) for e in entries]
    for page in pages:
        for it in embedded(page, "page-data")["items"]:
            assert resolve(page, it["image"]) == (ds / next(e for e in entries if e["id"] == it["id"])
                                                  ["files"]["image"]).resolve()
            assert (out / it["page"]).is_file()
        text = page.read_text()
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in text and not re.search(r"<link[\s>]|<script[^>]*\ssrc=", text)
    assert not any(p.name.endswith(".html") for p in ds.rglob("*")), "the preview wrote into the dataset"


@pytest.mark.slow
def test_sample_pages_have_audio_map_overlays_and_record(site):
    ds, out = site
    for entry in manifest(ds):
        page = out / "samples" / f"{entry['id']}.html"
        text = page.read_text()
        record = json.loads((ds / entry["files"]["record"]).read_text())
        # every audio file the manifest lists has a player, and each player's file exists
        audio = [k for k, rel in entry["files"].items() if rel.endswith((".flac", ".wav"))]
        assert {"audio", "negative_silence"} <= set(audio)
        srcs = re.findall(r'<audio controls[^>]* src="([^"]+)"', text)
        assert len(srcs) == len(audio)
        assert sorted(resolve(page, s) for s in srcs) == sorted((ds / entry["files"][k]).resolve() for k in audio)
        assert all(resolve(page, s).is_file() for s in srcs)
        img = re.search(r'<img id="image"[^>]* src="([^"]+)"', text).group(1)
        assert resolve(page, img) == (ds / entry["files"]["image"]).resolve()
        # overlays reference every object, with its mask and box
        data = embedded(page, "overlay-data")
        assert [o["id"] for o in data["objects"]] == [o["id"] for o in record["objects"]]
        for drawn, obj in zip(data["objects"], record["objects"]):
            assert drawn["mask"] == obj["mask"] and drawn["bbox"] == obj["bbox"]
            assert f'id="obj-{obj["id"]}"' in text
        assert [t["pixel"] for t in data["targets"]] == [t["pixel"] for t in record["targets"]["audio"]]
        # the map: the listener, one mark per object and per source, the room
        svg = re.search(r"<svg.*?</svg>", text, re.S).group(0)
        assert svg.count('class="listener"') == 1
        assert sorted(re.findall(r'class="object" data-id="(\d+)"', svg)) == sorted(str(o["id"]) for o in record["objects"])
        assert len(re.findall(r'class="source"', svg)) == len(record["sources"])
        assert 'class="room"' in svg and 'class="frustum"' in svg
        # the record, pretty-printed
        pre = re.search(r"<pre>(.*?)</pre>", text, re.S).group(1)
        assert json.loads(html.unescape(pre)) == record


def _fake_dataset(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "dataset.json").write_text(json.dumps({"format": "avsim-dataset", "name": "fake", "spec": {}}))
    (root / "manifest.jsonl").write_text("")
    return root


def _run_refused(args: list[str], cwd: Path, must_name: str) -> None:
    before = sorted(str(p) for p in cwd.rglob("*"))
    proc = simulate("preview", *args, cwd=cwd, check=False, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and must_name in lines[0], proc.stderr
    assert sorted(str(p) for p in cwd.rglob("*")) == before, "a refused preview wrote something"


def test_not_a_dataset_is_refused(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "x.txt").write_text("x")
    _run_refused(["plain", "--out", "site"], tmp_path, "plain")
    _run_refused(["missing", "--out", "site"], tmp_path, "missing")
    bad = _fake_dataset(tmp_path / "bad")
    (bad / "dataset.json").write_text('{"format": "something-else"}')
    _run_refused(["bad", "--out", "site"], tmp_path, "bad")


def test_output_inside_the_dataset_or_foreign_is_refused(tmp_path):
    _fake_dataset(tmp_path / "ds")
    _run_refused(["ds", "--out", "ds/site"], tmp_path, "ds/site")
    _run_refused(["ds", "--out", "ds"], tmp_path, "ds")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    _run_refused(["ds", "--out", "busy"], tmp_path, "busy")
    (tmp_path / "afile").write_text("x")
    _run_refused(["ds", "--out", "afile"], tmp_path, "afile")


def test_broken_manifest_line_leaves_nothing(tmp_path):
    ds = _fake_dataset(tmp_path / "ds")
    (ds / "manifest.jsonl").write_text('{"id": "0000000", "files": {}}\nnot json\n')
    _run_refused(["ds", "--out", "site"], tmp_path, "manifest.jsonl")
    assert not list(tmp_path.glob("site*"))


def test_empty_dataset_site_and_rerun_replaces_its_own_site(tmp_path):
    _fake_dataset(tmp_path / "ds")
    simulate("preview", "ds", "--out", "site", cwd=tmp_path, timeout=60)
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / ".avsim-preview").is_file()
    (tmp_path / "site" / "stale.html").write_text("old")
    simulate("preview", "ds", "--out", "site", cwd=tmp_path, timeout=60)  # a site of preview may be replaced
    assert not (tmp_path / "site" / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "site"], "a temporary folder was left"
    simulate("preview", "ds", cwd=tmp_path, timeout=60)  # default: DIR.preview beside the dataset
    assert (tmp_path / "ds.preview" / "index.html").is_file()


@pytest.mark.slow
def test_samples_cap_writes_only_the_first_pages(site, tmp_path):
    ds, _ = site
    simulate("preview", str(ds), "--out", str(tmp_path / "capped"), "--samples", "2", cwd=tmp_path)
    ids = [e["id"] for e in manifest(ds)]
    assert sorted(p.stem for p in (tmp_path / "capped" / "samples").glob("*.html")) == ids[:2]
    items = embedded(tmp_path / "capped" / "index.html", "page-data")["items"]
    assert [it["page"] is not None for it in items] == [i < 2 for i in range(len(ids))]


def test_topdown_marks_listener_objects_sources_and_room():
    record = {"camera": {"hfov_deg": 60.0, "position_m": [0, 0, 0]},
              "objects": [{"id": 1, "category": "dog", "role": "target", "sounding": True, "position_m": [2, 0.5, 0]},
                          {"id": 2, "category": "cat<", "role": "distractor", "position_m": [3, -1, 0.2]}],
              "sources": [{"id": 1, "category": "dog", "placement": "object", "position_m": [2, 0.5, 0]}],
              "scene": {"listener": {"yaw_deg": 0.0},
                        "room": {"type": "shoebox", "size_m": [6, 5, 3], "listener_position_m": [1, 2, 1.5]}}}
    svg = topdown_svg(record)
    assert svg.count('class="listener"') == 1 and svg.count('class="object"') == 2 and svg.count('class="source"') == 1
    assert "cat&lt;" in svg and "cat<" not in svg
    assert room_outline(record) == [(-1, -2), (5, -2), (5, 3), (-1, 3)]
    # +x ahead is up the page (negative SVG y), +y left is left (negative SVG x)
    m = re.search(r'data-id="1".*?<rect x="([-\d.]+)" y="([-\d.]+)"', svg)
    assert float(m.group(2)) < -1.5 and float(m.group(1)) < 0
    assert 'class="room"' not in topdown_svg({"objects": [], "scene": {"room": {"type": "free_field"}}})


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the JS RLE decoder runs in node)")
def test_js_rle_decoder_matches_pycocotools(tmp_path):
    import numpy as np
    from pycocotools import mask as cocomask

    rng = np.random.default_rng(0)
    cases = []
    for h, w in ((7, 5), (40, 64), (300, 200)):
        m = np.zeros((h, w), np.uint8, order="F")
        m[rng.integers(0, h, 3).min():rng.integers(0, h, 3).max() + 1, 1:w - 1] = 1
        m[rng.random((h, w)) < 0.05] ^= 1
        rle = cocomask.encode(np.asfortranarray(m))
        cases.append({"rle": {"counts": rle["counts"].decode(), "size": [h, w]}, "flat": m.reshape(-1).tolist()})
    script = tmp_path / "rle.js"
    script.write_text(RLE_JS + "\nconst cases=" + json.dumps(cases) + ";\nconsole.log(JSON.stringify(cases.map("
                      "c=>Array.from(rleDecode(c.rle)).every((v,i)=>v===c.flat[i]))));\n")
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [True, True, True]


BROWSER = shutil.which("chromium") and shutil.which("chromedriver")


@pytest.mark.slow
@pytest.mark.skipif(not BROWSER, reason="chromium and chromedriver are not installed (./install.sh --dev installs them)")
def test_pages_in_a_headless_browser(site):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    ds, out = site
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get((out / "index.html").as_uri())
        assert len(driver.find_elements(By.CSS_SELECTOR, ".thumb")) == 2
        assert driver.execute_script("return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]

        entry = manifest(ds)[0]
        driver.get((out / "samples" / f"{entry['id']}.html").as_uri())
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        states = driver.execute_async_script("""
            const done = arguments[0], players = Array.from(document.querySelectorAll('audio'));
            Promise.all(players.map(a => new Promise(ok => {
              a.addEventListener('canplaythrough', () => ok([a.readyState, a.duration]), {once: true});
              a.addEventListener('error', () => ok(['error', a.error && a.error.code]), {once: true});
              a.load();
            }))).then(done);""")
        assert len(states) >= 3 and all(s[0] == 4 and s[1] > 0 for s in states), states
        canvas = driver.find_element(By.ID, "overlay")
        before = canvas.screenshot_as_png
        driver.find_element(By.ID, "show-masks").click()
        after = canvas.screenshot_as_png
        assert before != after, "toggling the masks did not change the overlay"
        driver.find_element(By.ID, "show-masks").click()
        assert canvas.screenshot_as_png == before
        # the browser's decoding of each mask has the area the record gives
        areas = driver.execute_script("""
            const d = JSON.parse(document.getElementById('overlay-data').textContent);
            return d.objects.map(o => rleDecode(o.mask).reduce((a, b) => a + b, 0));""")
        record = json.loads((ds / entry["files"]["record"]).read_text())
        assert areas == [o["visible_pixels"] for o in record["objects"]]
    finally:
        driver.quit()


# -- evaluation overlays (simulate preview DIR --eval OUT) -------------------------------------

@pytest.fixture(scope="module")
def eval_site(site) -> tuple[Path, Path, Path]:
    """(dataset, evaluate output with saved maps of the random and centre baselines, site)."""
    ds, _ = site
    cwd = ds.parent
    proc = subprocess.run(["evaluate", "--data", str(ds), "--baselines", "random", "center", "--save-maps",
                           "--out", str(cwd / "ev"), "--no-plots", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    simulate("preview", "ds", "--out", "site_eval", "--eval", "ev", cwd=cwd)
    return ds, cwd / "ev", cwd / "site_eval"


def test_sample_pages_show_each_models_outcomes_peak_and_map(eval_site):
    import csv

    import numpy as np

    ds, ev, out = eval_site
    rows = list(csv.DictReader((ev / "per_sample.csv").open()))
    by = {(r["model"], r["id"]): r for r in rows}
    for entry in manifest(ds):
        page = out / "samples" / f"{entry['id']}.html"
        data = embedded(page, "overlay-data")["eval"]
        text = page.read_text()
        assert [m for m in ("random", "center") if (m, entry["id"]) in by] == \
            re.findall(r'<tr><td>(random|center)</td>', text)
        for e, model in zip(data, ("random", "center")):
            r = by[(model, entry["id"])]
            assert e["peak"] == [float(r["peak_u"]), float(r["peak_v"])]
            saved = np.load(ev / "maps" / f"{model}.npz")
            k = list(saved["id"]).index(entry["id"])
            m = saved["maps"][k].astype(np.float32)
            vals = np.array(e["map"]["values"]).reshape(e["map"]["h"], e["map"]["w"])
            assert vals.shape == m.shape
            # the page's map peaks where the saved map peaks (0-255 after min-max scaling)
            assert vals.flat[np.argmax(m)] == 255 and vals.min() == 0
        cells = re.findall(r'<td class="(hit|miss|na)">', text)
        expected = []
        for model in ("random", "center"):
            r = by[(model, entry["id"])]
            for k in ("a_acc", "v_acc", "h_prec", "v_prec"):
                x = float(r[k]) if r[k] not in ("", "nan") else None
                expected.append("na" if x is None or x != x else ("hit" if x >= 0.5 else "miss"))
        assert cells == expected
        centre = data[1]["peak"]
        record = json.loads((ds / entry["files"]["record"]).read_text())
        # the centre baseline peaks at a pixel touching the image centre (peaks are pixel centres)
        assert abs(centre[0] - record["camera"]["width"] / 2) <= 0.5
        assert abs(centre[1] - record["camera"]["height"] / 2) <= 0.5


def test_eval_folder_that_is_missing_bad_or_of_another_dataset_is_refused(eval_site, tmp_path):
    ds, ev, _ = eval_site
    other = tmp_path / "other_ev"
    shutil.copytree(ev, other)
    lines = (other / "per_sample.csv").read_text().splitlines()
    (other / "per_sample.csv").write_text("\n".join([lines[0]] + [re.sub(r",0000\d+,", ",9999999,", x)
                                                                   for x in lines[1:]]) + "\n")
    broken = tmp_path / "broken_ev"
    shutil.copytree(ev, broken)
    (broken / "per_sample.csv").write_text("name,value\nx,1\n")
    for folder, needle in ((tmp_path / "nope", "per_sample.csv: missing"), (other, "evaluates no sample"),
                           (broken, "needs the columns")):
        proc = simulate("preview", str(ds), "--out", str(tmp_path / "site"), "--eval", str(folder),
                        cwd=tmp_path, check=False)
        assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
        assert not (tmp_path / "site").exists()


def _driver():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@pytest.mark.slow
@pytest.mark.skipif(not BROWSER, reason="chromium and chromedriver are not installed (./install.sh --dev installs them)")
def test_heatmap_overlay_in_a_headless_browser(eval_site):
    from selenium.webdriver.common.by import By

    ds, _, out = eval_site
    driver = _driver()
    try:
        entry = manifest(ds)[0]
        driver.get((out / "samples" / f"{entry['id']}.html").as_uri())
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        canvas = driver.find_element(By.ID, "overlay")
        plain = canvas.screenshot_as_png
        radios = driver.find_elements(By.CSS_SELECTOR, 'input[name="heat"]')
        assert len(radios) == 3
        radios[2].click()                      # the centre baseline's map
        centre = canvas.screenshot_as_png
        radios[1].click()                      # the random baseline's map
        random_map = canvas.screenshot_as_png
        assert len({plain, centre, random_map}) == 3, "choosing a model's map did not change the overlay"
        radios[0].click()
        assert canvas.screenshot_as_png == plain
        # with every other overlay off, the centre baseline's map alone covers the canvas: blue
        # (its minimum) at the corners, red (its maximum) at the image centre
        for key in ("masks", "boxes", "targets", "sources", "labels"):
            driver.find_element(By.ID, f"show-{key}").click()
        probe = """const c = document.getElementById('overlay'), g = c.getContext('2d');
            const at = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data);
            return [at(1, 1), at(c.width - 2, c.height - 2), at(Math.floor(c.width / 2) - 3, Math.floor(c.height / 2) - 3)];"""
        assert all(px[3] == 0 for px in driver.execute_script(probe))
        radios[2].click()
        corner, other_corner, middle = driver.execute_script(probe)
        assert corner[3] > 0 and other_corner[3] > 0 and middle[3] > 0
        assert corner[2] > corner[0] and middle[0] > middle[2], (corner, middle)
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
