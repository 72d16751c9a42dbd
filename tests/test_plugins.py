"""Variants as plug-ins: a toy image backend, room kind, sink, condition and executor are defined
and registered here, inside the test, and a small dataset is generated through each (the spec names
them like the built-in ones); nothing of the project is edited. Each is removed again afterwards."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from renderers.acoustic.ism import shoebox_completeness_distance, shoebox_image_sources
from renderers.acoustic.room_kinds import ROOM_KINDS, RoomKind
from renderers.acoustic.rooms import shoebox_walls
from renderers.visual.mesh_raster import MeshRasterRenderer
from simulator.assets.library import AssetLibrary
from simulator.conditions import RULES, Cast, CastContext, CastSlot, CastSource, ConditionRule
from simulator.core.image import ImageOptions
from simulator.core.render import VisualRender
from simulator.core.scene import Scene
from simulator.executors import EXECUTORS, Executor
from simulator.image_backends import ImageRenderer, register_backend, unregister_backend
from simulator.image_backends.amodal import AmodalMemo
from simulator.image_backends.mesh import LayoutBackend, LayoutSampler
from simulator.run import run_spec
from simulator.scene_renderer import SceneRenderer
from simulator.sinks import SINKS, Sink, sink_for
from simulator.sinks.base import OutputDirError
from simulator.spec.fields import Field, num
from simulator.spec.loader import load_spec_text

BASE = ("name: toy\nseed: 5\nsamples: {n}\ncondition: congruent\nimage: {{width: 64, height: 48}}\n"
        "audio: {{sample_rate: 8000, duration: 0.3}}\nobjects: {{count: {{int: [1, 3]}}}}\n")


def spec(tmp_path: Path, n: int = 3, *overrides: str, name: str = "out"):
    (one,) = load_spec_text(BASE.format(n=n), "toy.yaml", [*overrides, f"output.dir={tmp_path / name}"],
                            library=AssetLibrary.default())
    return one


def records(root: Path) -> list[dict]:
    return [json.loads((root / json.loads(line)["files"]["record"]).read_text())
            for line in (root / "manifest.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------------------------- image backend
@dataclass(frozen=True)
class FlatOptions(ImageOptions):
    """Objects painted in one flat colour on black."""

    name: ClassVar[str] = "flat"
    color: tuple[int, int, int] = (250, 10, 10)


class FlatRenderer(ImageRenderer):
    def __init__(self, options: FlatOptions, library) -> None:
        self.options = options
        self.raster = MeshRasterRenderer(library.load_mesh)
        self._amodal = AmodalMemo(self.raster.render_amodal)

    def amodal(self, scene, object_ids):
        return self._amodal(scene, object_ids)

    def render(self, scene: Scene, preview: VisualRender | None = None) -> VisualRender:
        vis = preview if preview is not None else self.raster.render(scene)
        rgb = np.zeros_like(vis.rgb)
        rgb[vis.instance_ids > 0] = self.options.color
        return VisualRender(rgb=rgb, depth=vis.depth, instance_ids=vis.instance_ids,
                            extras={"flat": {"color": list(self.options.color)}})

    def close(self) -> None:
        self.raster.close()


class FlatBackend(LayoutBackend):
    name = "flat"
    options_type = FlatOptions

    def options(self, resolved: dict[str, Any]) -> FlatOptions:
        return FlatOptions()

    def open(self, options, library) -> FlatRenderer:
        return FlatRenderer(options, library)

    def sampler(self, spec, library, renderer) -> LayoutSampler:
        return LayoutSampler(spec, library, renderer, self.options(spec.resolved))


@pytest.fixture
def flat_backend():
    register_backend(FlatBackend())
    yield
    unregister_backend("flat")


def test_a_toy_image_backend(flat_backend, tmp_path):
    s = spec(tmp_path, 3, "image.renderer=flat")
    summary = run_spec(s, "new", progress=False)
    assert summary.made == 3 and not summary.failed
    from PIL import Image

    for rec in records(tmp_path / "out"):
        assert rec["scene"]["image"] == {"backend": "flat", "color": [250, 10, 10]}
        assert rec["flat"] == {"color": [250, 10, 10]}
        rgb = np.asarray(Image.open(tmp_path / "out" / rec["files"]["image"]))
        colours = {tuple(c) for c in rgb.reshape(-1, 3)}
        assert colours <= {(0, 0, 0), (250, 10, 10)} and (250, 10, 10) in colours
        assert any(o["visible"] for o in rec["objects"])
    # the Scene alone renders the same sample again (the backend is looked up by the Scene's name)
    rec = records(tmp_path / "out")[0]
    renderer = SceneRenderer()
    try:
        again = renderer.render(Scene.from_dict(rec["scene"]))
    finally:
        renderer.close()
    assert np.array_equal(again.rgb, np.asarray(Image.open(tmp_path / "out" / rec["files"]["image"])))


def test_unregistered_backend_is_a_spec_error(tmp_path):
    from simulator.spec.errors import SpecError

    with pytest.raises(SpecError, match="image.renderer"):
        spec(tmp_path, 1, "image.renderer=flat")


# -------------------------------------------------------------------------------------- room kind
class Hall(RoomKind):
    """A 10 x 8 x 5 m box whose size the kind fixes (no spec keys of its own)."""

    name = "hall"
    SIZE = np.array([10.0, 8.0, 5.0])

    def walls(self, room):
        return shoebox_walls(self.SIZE), self.SIZE, float(np.prod(self.SIZE))

    def bounds(self, room):
        return np.zeros(3), self.SIZE.copy()

    def image_sources(self, model, source, receivers, order, sample_rate, max_images):
        return shoebox_image_sources(model, source, order)

    def complete_until_s(self, model, source, images, order):
        return shoebox_completeness_distance(model, source, model.listener, order) / model.speed_of_sound

    def reach_ahead_m(self, block, ranges):
        return float(self.SIZE[0]) * (1.0 - ranges("listener_fraction", 0)[1])


@pytest.fixture
def hall():
    ROOM_KINDS.register("hall", Hall())
    yield
    ROOM_KINDS.unregister("hall")


def test_a_toy_room_kind(hall, tmp_path):
    s = spec(tmp_path, 3, "room.type=hall", "room.rt60_s=0.6", "listener.head=spaced", "room.max_order=3")
    assert run_spec(s, "new", progress=False).made == 3
    import soundfile as sf

    for rec in records(tmp_path / "out"):
        room = rec["scene"]["room"]
        assert room["type"] == "hall" and room["size_m"] is None
        head = np.asarray(room["listener_position_m"])
        assert np.all(head > 0) and np.all(head < Hall.SIZE)
        for src in rec["sources"]:
            assert np.all(head + np.asarray(src["position_m"]) < Hall.SIZE)
        audio, rate = sf.read(tmp_path / "out" / rec["files"]["audio"], always_2d=True)
        assert rate == 8000 and audio.shape[1] == 2 and np.abs(audio).max() > 0
    # the kind's model is a reverberant 10 x 8 x 5 m room with the RT60 asked for
    from renderers.acoustic.room_kinds import build_room
    from simulator.core.scene import Room

    model = build_room(Room(type="hall", rt60_s=0.6, listener_position_m=(2.0, 4.0, 1.5)), 8000)
    assert model.volume == pytest.approx(400.0) and np.allclose(model.rt60, 0.6)


# ------------------------------------------------------------------------------------------- sink
class JsonLinesSink(Sink):
    """Every sample as one JSON line of base64 blobs in ``<output.dir>.jsonl``."""

    name = "jsonl"

    @property
    def path(self) -> Path:
        return Path(str(self.spec.output_dir) + ".jsonl")

    def check(self, overwrite: bool) -> str:
        if self.path.exists() and not overwrite:
            raise OutputDirError("exists", key="output.dir", source=str(self.path))
        return "new"

    def open(self, mode, counts, library) -> set[int]:
        self.path.write_text("")
        return set()

    def write(self, encoded) -> dict:
        return {"index": encoded.index, "blobs": {k: base64.b64encode(v).decode() for k, v in encoded.blobs.items()}}

    def commit(self, entry) -> None:
        with open(self.path, "a") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")

    def finish(self, status, counts, library, failed, categories) -> None:
        with open(self.path, "a") as fh:
            fh.write(json.dumps({"status": status, "categories": categories}) + "\n")


@pytest.fixture
def jsonl_sink():
    SINKS.register("jsonl", JsonLinesSink)
    yield
    SINKS.unregister("jsonl")


def test_a_toy_sink_holds_the_bytes_the_folder_sink_writes(jsonl_sink, tmp_path):
    toy = spec(tmp_path, 3, "output.format=jsonl", name="toy")
    sink = sink_for(toy)
    assert isinstance(sink, JsonLinesSink)
    run_spec(toy, sink.check(False), progress=False, sink=sink)
    lines = [json.loads(x) for x in (tmp_path / "toy.jsonl").read_text().splitlines()]
    assert lines[-1]["status"] == "complete" and "dog" in lines[-1]["categories"]
    folder = spec(tmp_path, 3, name="folder")
    run_spec(folder, "new", progress=False)
    assert [e["index"] for e in lines[:-1]] == [0, 1, 2]
    for entry in lines[:-1]:
        for rel, data in entry["blobs"].items():
            assert base64.b64decode(data) == (tmp_path / "folder" / rel).read_bytes(), rel
    with pytest.raises(OutputDirError):
        sink_for(toy).check(False)


# -------------------------------------------------------------------------------------- condition
class Solo(ConditionRule):
    """The sounding object alone in the image, at ``conditions.solo.gain_db``."""

    name = "solo"
    description = "solo: one sounding object, nothing else."
    options = {"gain_db": Field(num(-20.0, 20.0), 0.0, "Extra source gain, dB.")}

    def cast(self, ctx: CastContext) -> Cast:
        return Cast(slots=[CastSlot(ctx.category, role="target", sounding=True, size_bin=ctx.size_bin)],
                    sources=[CastSource(ctx.category, attach_to=0)], audio_targets=[0], semantic_targets=[0])

    def check(self, a) -> None:
        if len(a.r["objects"]) != 1:
            a.fail("solo.objects", f"{len(a.r['objects'])} objects")
        a.sized("solo", a.objects.get(1), "the object")


@pytest.fixture
def solo():
    RULES.register("solo", Solo)
    yield
    RULES.unregister("solo")


def test_a_toy_condition_with_options_and_invariants(solo, tmp_path):
    from simulator.audit import audit_dataset

    s = spec(tmp_path, 3, "condition=solo", "conditions.solo.gain_db=3")
    assert s.resolved["conditions"]["solo"] == {"gain_db": 3.0}
    run_spec(s, "new", progress=False)
    report = audit_dataset(tmp_path / "out")
    assert report.ok, report.summary()
    assert all(len(r["objects"]) == 1 for r in records(tmp_path / "out"))
    # the rule's check runs: break the invariant in a record and audit finds it
    rec_path = tmp_path / "out" / records(tmp_path / "out")[0]["files"]["record"]
    rec = json.loads(rec_path.read_text())
    rec["objects"].append(dict(rec["objects"][0], id=9))
    rec_path.write_text(json.dumps(rec))
    report = audit_dataset(tmp_path / "out", checksums=False)
    assert any(v.check == "solo.objects" for f in report.failures for v in f.violations)


def test_a_condition_without_invariants_is_refused():
    class Loose(Solo):
        name = "loose"
        check = ConditionRule.check

    with pytest.raises(TypeError, match="check"):
        RULES.register("loose", Loose)
    assert "loose" not in RULES


# --------------------------------------------------------------------------------------- executor
class Backwards(Executor):
    """Makes the samples last first, yields them in index order."""

    name = "backwards"

    def map(self, job, indices):
        done = {i: job(i) for i in reversed(indices)}
        job.stop()
        yield from (done[i] for i in indices)


@pytest.fixture
def backwards():
    EXECUTORS.register("backwards", Backwards)
    yield
    EXECUTORS.unregister("backwards")


def test_a_toy_executor_gives_the_same_bytes(backwards, tmp_path):
    run_spec(spec(tmp_path, 3, name="a"), "new", progress=False, executor="backwards")
    run_spec(spec(tmp_path, 3, name="b"), "new", progress=False)
    for rel in sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()):
        if rel.name != "dataset.json":
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
