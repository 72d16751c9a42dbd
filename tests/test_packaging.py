"""The package as a non-editable install sees it: a wheel built from the checkout holds every
module and data file, and installed alone into a fresh virtual environment it generates a dataset."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "renderers", "training", "scenes")


def checkout_files() -> list[str]:
    """The files of the working tree that git tracks or would track (not ignored)."""
    return subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout.split()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the checkout (so no build/ folder left by an earlier build leaks in)."""
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    source = tmp_path_factory.mktemp("source")
    for rel in checkout_files():
        if (REPO / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, source / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "--quiet", "--disable-pip-version-check", "-w", str(out)], check=True, cwd=build, timeout=600,
                   env=dict(os.environ, TMPDIR=str(build)))
    wheels = list(out.glob("avsim-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_holds_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = [p for p in checkout_files() if p.split("/")[0] in PACKAGES and (REPO / p).is_file()]
    missing = [p for p in wanted if p not in names]
    assert not missing, f"not in the wheel: {missing[:20]}"
    for package in PACKAGES:
        for init in (REPO / package).rglob("__init__.py"):
            assert str(init.relative_to(REPO)) in names
    for folder in (p for package in PACKAGES for p in (REPO / package).rglob("*")
                   if p.is_dir() and p.name != "__pycache__" and any(p.glob("*.py"))):
        assert (folder / "__init__.py").exists(), f"{folder.relative_to(REPO)} has modules but no __init__.py"


@pytest.mark.slow
def test_wheel_installed_alone_generates_a_dataset(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)  # dependencies from this Python
    py = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, timeout=600)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the environment installs
    where = subprocess.run([str(py), "-c", "import simulator, simulator.spec.loader as l; print(l.__file__)"],
                           cwd=work, capture_output=True, text=True, check=True, env=env).stdout.strip()
    assert Path(where).is_relative_to(env_dir), f"imported {where}, not the installed wheel"
    simulate = env_dir / "bin" / "simulate"
    proc = subprocess.run([str(simulate), "--spec", "congruent", "--set", "samples=2", "--set", "output.dir=out",
                           "--quiet"], cwd=work, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert len((work / "out" / "manifest.jsonl").read_text().splitlines()) == 2
    assert sorted(p.suffix for p in (work / "out" / "samples" / "0000").iterdir()) == [".flac", ".flac", ".json",
                                                                                      ".json", ".png", ".png"]
