"""``objects.unplaceable``: what happens to an object that cannot be placed.

A crowded free-field scene (four objects in a 64 x 64 image) loses objects under ``leave_out`` (the
default), while under ``redraw`` every layout that is kept holds all four: the same objects are
placed again at fresh pixels (``Sampler.layout``) and only then is the sample redrawn. Both are
deterministic, and the retries keep each object's category and size bin.
"""
from __future__ import annotations

import pytest

from simulator.assets.library import AssetLibrary
from simulator.pipeline import SampleFailed, SampleMaker
from simulator.spec.loader import load_spec

from conftest import CONGRUENT

CROWDED = ["room.type=free_field", "listener.head=spaced", "background.kind=color", "image.width=64",
           "image.height=64", "objects.count=4", "objects.max_distance_m=100", "samples=24", "seed=3"]


@pytest.fixture(scope="module")
def library() -> AssetLibrary:
    return AssetLibrary.default()


def layouts(library: AssetLibrary, mode: str, n: int = 24) -> list:
    spec = load_spec(CONGRUENT, [*CROWDED, f"objects.unplaceable={mode}"], library=library)[0]
    maker = SampleMaker(spec, library)
    out = []
    try:
        for i in range(n):
            try:
                out.append(maker.layout(i)[0])
            except SampleFailed:
                out.append(None)
    finally:
        maker.close()
    return out


def test_leave_out_drops_objects_in_a_crowded_scene(library):
    scenes = [s for s in layouts(library, "leave_out") if s is not None]
    assert scenes and any(len(s.objects) < 4 for s in scenes), [len(s.objects) for s in scenes]


def test_redraw_keeps_every_object_of_the_count(library):
    scenes = layouts(library, "redraw")
    kept = [s for s in scenes if s is not None]
    assert len(kept) >= 0.9 * len(scenes)            # the retries find a layout for nearly every sample
    assert all(len(s.objects) == 4 for s in kept), [len(s.objects) for s in kept]
    for s in kept:                                    # one target, the others distractors, all placed
        assert sorted(o.role for o in s.objects).count("target") == 1
    again = layouts(library, "redraw", n=6)
    assert [s and [o.position_m for o in s.objects] for s in again] == \
        [s and [o.position_m for o in s.objects] for s in scenes[:6]]
