"""What ``simulate --dry-run`` measures without writing: whether every stratum of the plan can be
realised, and how large the dataset will be.

For each (condition, size bin) of the plan, the first samples of that stratum are laid out (a
stratum none of whose first ``tries`` samples can be laid out is reported); the first that work
(at least :data:`MADE` samples over all strata, :data:`MADE_CLIPS` for clips, at least one per
stratum) are rendered and
encoded in memory, exactly as the run would write them, and their files are counted and weighed
(the files, the manifest line and the sample's share of the COCO export). The dataset's size is
the plan's count per stratum times the mean bytes of that stratum's samples, so the estimate
follows what the spec really makes (image content, audio format, stems, negatives, depth), not a
formula.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .encode import encode_sample
from .pipeline import SampleFailed, SampleMaker
from .sinks.coco import coco_text
from .spec.spec import Spec

#: Indices scanned for each stratum's first samples (the plan interleaves the strata).
SCAN = 20_000
#: Samples made in memory for the size estimate, over all strata.
MADE = 16
#: The same for clips (``video.fps``), which take about a second each: one per stratum at least.
MADE_CLIPS = 3


@dataclass
class Trial:
    """Per stratum ``condition/size_bin``: ``failures`` (None if a layout worked, else the last
    reason), and for the strata that worked the mean bytes and files of the samples made in memory."""

    failures: dict[str, str | None] = field(default_factory=dict)
    bytes: dict[str, float] = field(default_factory=dict)
    files: dict[str, float] = field(default_factory=dict)
    made: int = 0

    def estimate(self, counts: dict[str, int], samples: int) -> tuple[float, float, float]:
        """(total bytes, bytes per sample, files per sample) for ``samples`` samples whose plan
        counts per stratum are ``counts`` (strata whose sample failed weigh as the mean of the
        others; dataset-level files besides the COCO export are a few kB and left out)."""
        if not self.bytes:
            return 0.0, 0.0, 0.0
        mean_b = sum(self.bytes.values()) / len(self.bytes)
        mean_f = sum(self.files.values()) / len(self.files)
        total = sum(counts.values()) or 1
        per_b = sum(c * self.bytes.get(s, mean_b) for s, c in counts.items()) / total
        per_f = sum(c * self.files.get(s, mean_f) for s, c in counts.items()) / total
        return per_b * samples, per_b, per_f


def trial_samples(spec: Spec, categories: list[str], tries: int = 3) -> Trial:
    """Lay out and make the first samples of each stratum (module docstring)."""
    from .run import spec_library

    maker = SampleMaker(spec, spec_library(spec))
    trial = Trial()
    try:
        firsts: dict[str, list[int]] = {}
        for index in range(min(spec.samples, SCAN)):
            entry = maker.plan.entry(index)
            firsts.setdefault(f"{entry.condition}/{entry.size_bin}", []).append(index)
        made = MADE_CLIPS if (spec.resolved.get("video") or {}).get("fps") is not None else MADE
        want = max(1, -(-made // max(1, len(firsts))))  # samples to make per stratum
        empty = len(coco_text([], categories, spec.name))
        for stratum, indices in sorted(firsts.items()):
            sizes, files, problem = [], [], None
            for tried, index in enumerate(indices):
                if len(sizes) >= want or (not sizes and tried >= tries):
                    break
                try:
                    scene, preview = maker.layout(index)
                except SampleFailed as exc:
                    problem = str(exc)
                    continue
                encoded = encode_sample(maker.renderer.render(scene, preview))
                manifest_line = len(json.dumps(encoded.manifest_entry(), sort_keys=True)) + 1
                coco = len(coco_text([encoded.record], categories, spec.name)) - empty
                sizes.append(sum(len(b) for b in encoded.blobs.values()) + manifest_line + coco)
                files.append(len(encoded.blobs))
                trial.made += 1
            trial.failures[stratum] = None if sizes else problem
            if sizes:
                trial.bytes[stratum] = sum(sizes) / len(sizes)
                trial.files[stratum] = sum(files) / len(files)
        return trial
    finally:
        maker.close()
