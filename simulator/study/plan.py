"""The study's stimuli (a folder dataset's samples with an image and an audio file) and each
participant's trial list.

The study draws its samples once, with ``--seed``: a permutation of the dataset's samples whose
first ``--practice K`` are the practice trials and next ``--trials N`` the main trials (every
participant sees the same samples). Each participant sees them in their own order, a permutation
drawn from (seed, participant id) (:func:`simulator.study.screening.participant_rng`), so the
order is random per participant and the same after a restart.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audit import DatasetNotFound, find_datasets, read_dataset_info
from ..preview.site import PreviewError, stream_manifest
from ..record_files import BadFile, inside, read_record
from .screening import participant_rng

AUDIO_SUFFIXES = (".flac", ".wav", ".ogg", ".mp3")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class PlanError(Exception):
    """Bad input (not a dataset, too few samples, bad counts): exit status 2."""


@dataclass(frozen=True)
class Stimulus:
    """One sample as the study shows it: dataset-relative files and what the results record."""

    id: str
    index: int
    condition: str | None
    size_bin: str | None
    category: str | None
    image: str
    audio: str
    record: str


def load_stimuli(root: Path) -> tuple[dict[str, Any], list[Stimulus]]:
    """(dataset.json, stimuli in manifest order) of a folder dataset; PlanError naming the path."""
    try:
        roots = find_datasets(root)
        if roots != [root]:
            raise PlanError(f"{root}: is a sweep's output folder; run the study on one of its datasets (e.g. {roots[0]})")
        info = read_dataset_info(root)
    except DatasetNotFound as exc:
        raise PlanError(str(exc)) from None
    out = []
    try:
        for entry in stream_manifest(root):
            files = entry["files"]
            image, audio, record = files.get("image"), files.get("audio"), files.get("record")
            if not (inside(root, image) and inside(root, audio) and inside(root, record)
                    and str(image).lower().endswith(IMAGE_SUFFIXES) and str(audio).lower().endswith(AUDIO_SUFFIXES)):
                continue
            index = entry.get("index")
            out.append(Stimulus(str(entry["id"]), int(index) if isinstance(index, int) else len(out),
                                entry.get("condition"), entry.get("size_bin"), entry.get("category"),
                                image, audio, record))
    except PreviewError as exc:
        raise PlanError(str(exc)) from None
    if not out:
        raise PlanError(f"{root}: has no sample with an image and an audio file")
    return info, out


def study_samples(stimuli: list[Stimulus], seed: int, practice: int, trials: int | None) -> tuple[list[Stimulus], list[Stimulus]]:
    """(practice, main) samples of the study: a permutation drawn with ``seed``, the first
    ``practice`` and the next ``trials`` (None: all the rest); PlanError if there are too few."""
    if practice < 0 or (trials is not None and trials < 1):
        raise PlanError("--practice must be at least 0 and --trials at least 1")
    n = len(stimuli) - practice if trials is None else trials
    if n < 1 or practice + n > len(stimuli):
        raise PlanError(f"--practice {practice} and --trials {n} need {practice + n} samples; the dataset has "
                        f"{len(stimuli)}")
    order = np.random.default_rng([int(seed), 16]).permutation(len(stimuli))
    picked = [stimuli[i] for i in order[: practice + n]]
    return picked[:practice], picked[practice:]


def participant_order(samples: list[Stimulus], seed: int, participant: str, salt: int) -> list[Stimulus]:
    """``samples`` in the participant's own seeded random order."""
    rng = participant_rng(seed, participant, salt)
    return [samples[i] for i in rng.permutation(len(samples))]


def read_camera(root: Path, stim: Stimulus) -> dict[str, Any]:
    """The ``camera`` block of a stimulus's record; PlanError naming the record."""
    try:
        rec = read_record(root / stim.record)
    except BadFile as exc:
        raise PlanError(f"{root / stim.record}: not a sample record ({exc})") from None
    cam = rec.get("camera")
    if not (isinstance(cam, dict) and isinstance(cam.get("width"), int) and isinstance(cam.get("height"), int)
            and cam["width"] > 0 and cam["height"] > 0):
        raise PlanError(f"{root / stim.record}: camera: no image width and height")
    return cam


def record_screen(camera: dict[str, Any]) -> tuple[float, float]:
    """(viewing distance in metres, image pixels per inch) of the screen ``evaluate --angles
    screen`` views a record's image on (``training.evaluate.screen_geometry``, so the study and the
    models' scores share one definition: a screen-mode record's own screen, else seeds/000's
    display, the image 7.1 inches wide at 0.76 m)."""
    from training.evaluate import screen_geometry

    s = screen_geometry(camera)
    return float(s.viewing_distance_m), float(s.pixels_per_inch)
