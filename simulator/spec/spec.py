"""A validated spec: the resolved data (every default filled in) and its distributions."""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .distributions import Distribution


@dataclass
class Spec:
    """A validated spec with every default filled in.

    ``resolved`` is plain JSON data (distributions in canonical form) written to dataset.json;
    ``dists`` maps dotted keys of random fields to their :class:`Distribution`.
    """

    resolved: dict[str, Any]
    dists: dict[str, Distribution]
    source: str
    sweep_point: dict[str, Any] = field(default_factory=dict)
    library: Any = None  # the AssetLibrary the spec was validated against (not part of the spec's data)

    def get(self, key: str) -> Any:
        """The resolved value at a dotted key (a constant, or a distribution's YAML form)."""
        node: Any = self.resolved
        for part in key.split("."):
            node = node[part]
        return node

    def dist(self, key: str) -> Distribution:
        return self.dists[key]

    def sample(self, key: str, rng: np.random.Generator) -> Any:
        return self.dists[key].sample(rng)

    @property
    def name(self) -> str:
        return self.resolved["name"]

    @property
    def seed(self) -> int:
        return self.resolved["seed"]

    @property
    def samples(self) -> int:
        return self.resolved["samples"]

    @property
    def output_dir(self) -> Path:
        return Path(self.resolved["output"]["dir"])

    def hash(self) -> str:
        """SHA-256 of the canonical resolved spec (the output dir excluded: moving a dataset
        does not change what it contains)."""
        return spec_hash(self.resolved)

    def plan_hash(self) -> str:
        """SHA-256 of the spec without ``samples`` and the output dir: two specs with the same
        plan hash make the same sample at every index (:mod:`simulator.plan`), so a dataset of one
        grows into a dataset of the other."""
        return spec_hash(self.resolved, samples=False)


#: Blocks of a resolved spec that change nothing while their ``kind`` is the still one (no
#: motion, no head turn, no gating): left out of the hashes, so a dataset made before these blocks existed
#: is resumed and grown by the same spec as before.
STILL_BLOCKS: dict[tuple[str, str], str] = {("source", "motion"): "static", ("objects", "motion"): "static",
                                            ("listener", "motion"): "static", ("listener", "turn"): "fixed",
                                            ("source", "activity"): "always"}


def spec_hash(resolved: dict[str, Any], samples: bool = True) -> str:
    """SHA-256 of a resolved spec's canonical JSON, without the output dir (and without
    ``samples`` when ``samples`` is False), without :data:`STILL_BLOCKS` that are still and
    without the ``video`` block when it asks for no clip."""
    data = copy.deepcopy(resolved)
    for (section, key), still in STILL_BLOCKS.items():
        block = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if isinstance(block, dict) and block.get("kind") == still:
            del data[section][key]
    if isinstance(data.get("video"), dict) and data["video"].get("fps") is None:
        del data["video"]  # stills: the hash of a spec written before clips existed
    if isinstance(data.get("output"), dict):
        data["output"].pop("dir", None)
    if not samples:
        data.pop("samples", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
