"""The Scene is a lossless JSON contract: Scene.from_json(scene.to_json()) == scene, exactly."""
from __future__ import annotations

import dataclasses
import json
import math
import types
import typing

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.image import DiffusionOptions, DiffusionPrompt, MeshOptions, PhotoOptions, PhotoPick
from simulator.core.plain import PlainError, Variant
from simulator.core.trajectory import Linear, YawRate
from simulator.core.scene import (
    SCENE_FORMAT,
    ClipEvent,
    AssetSplit,
    AudioSettings,
    Background,
    Camera,
    ImageManipulation,
    LibraryRef,
    Lighting,
    Listener,
    Manipulations,
    Negatives,
    OffscreenNegative,
    Outputs,
    Room,
    Scene,
    SceneObject,
    Source,
    SplitFractions,
    TargetDisk,
    Targets,
    Video,
)

# Scenes are big to generate: 100 examples keep this file near 2-3 s.
FAST = settings(max_examples=100, deadline=None)

# Any finite float, including subnormals (5e-324), huge values (1.7e308) and -0.0.
floats = st.floats(allow_nan=False, allow_infinity=False)
tiny_or_huge = st.sampled_from([5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1.7976931348623157e308,
                                -1.7976931348623157e308, 1e300, 0.1, 1 / 3, -0.0, 0.0])
any_float = st.one_of(floats, tiny_or_huge)
ints = st.integers(-(2**63), 2**63 - 1)
text = st.text(max_size=8)

json_leaf = st.none() | st.booleans() | ints | any_float | text
json_values = st.recursive(json_leaf, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(text, children, max_size=3), max_leaves=6)


# Strategies are derived from the dataclasses' type hints, so a field added to the Scene is
# generated (and round-tripped) without touching this file. A few fields get realistic values.
SPECIAL: dict[tuple[str, str], st.SearchStrategy] = {
    ("Listener", "head"): st.sampled_from(["spaced", "hrtf", "mono"]),
    ("Scene", "format"): st.just(SCENE_FORMAT),
}


def strategy_for(tp, meta=None) -> st.SearchStrategy:
    """Values of type ``tp``; numbers within a field's declared range, names among its choices."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    meta = meta or {}
    if "choices" in meta:
        choices = st.sampled_from(list(meta["choices"]))
        return st.none() | choices if type(None) in args else choices
    if isinstance(tp, type) and issubclass(tp, Variant) and "members" in vars(tp):  # any registered member
        return st.one_of(*(dataclass_strategy(cls) for _, cls in tp.members.items()))
    if dataclasses.is_dataclass(tp):
        return dataclass_strategy(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(st.none() if a is type(None) else strategy_for(a, meta) for a in args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0], meta), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a, meta) for a in args))
    if origin is list:
        return st.lists(strategy_for(args[0], meta), max_size=3)
    if origin is dict:
        return st.dictionaries(text, strategy_for(args[1]), max_size=3)
    if tp is typing.Any:
        return json_values
    if "range" in meta:
        lo, hi = meta["range"]
        if tp is int:
            return st.integers(int(lo), int(hi))
        if tp is float:
            edges = st.sampled_from([float(lo), float(hi), float(lo) + (float(hi) - float(lo)) / 3])
            return st.floats(float(lo), float(hi), allow_nan=False) | edges
    return {float: any_float, int: ints, str: text, bool: st.booleans()}[tp]


def dataclass_strategy(cls) -> st.SearchStrategy:
    hints = typing.get_type_hints(cls)
    fields = {}
    for f in dataclasses.fields(cls):
        special = SPECIAL.get((cls.__name__, f.name))
        fields[f.name] = special if special is not None else strategy_for(hints[f.name], f.metadata)
    return st.builds(cls, **fields)


scenes = dataclass_strategy(Scene)


def plain_types_only(value, path="scene"):
    """Assert ``value`` holds only JSON's own Python types (no numpy scalars, no tuples)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str, f"{path}: key {k!r} is {type(k)}"
            plain_types_only(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            plain_types_only(v, f"{path}[{i}]")
    else:
        assert type(value) in (str, int, float, bool, type(None)), f"{path}: {type(value)}"


def assert_same_floats(a, b):
    """Equality that also tells -0.0 from 0.0 (dataclass == does not)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same_floats(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_floats(x, y)
    else:
        assert type(a) is type(b) and a == b, (a, b)
        if isinstance(a, float):
            assert math.copysign(1.0, a) == math.copysign(1.0, b)


@FAST
@given(scene=scenes)
def test_json_round_trip_is_exact_and_plain(scene: Scene):
    text_ = scene.to_json()
    back = Scene.from_json(text_)
    assert back == scene
    assert type(back.seed) is tuple and type(back.camera.position_m) is tuple
    for a, b in zip(back.objects, scene.objects):
        assert type(a.position_m) is tuple and a.position_m == b.position_m
    assert_same_floats(back.to_dict(), scene.to_dict())
    assert back.to_json() == text_  # and it is a fixed point
    # to_dict holds JSON's own types only, and strict JSON (no NaN) takes it as is
    d = scene.to_dict()
    plain_types_only(d)
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["format"] == SCENE_FORMAT


def test_numpy_values_become_plain_python():
    scene = Scene(index=np.int64(3), seed=(np.int64(7), np.int64(3), np.int32(0)), condition="congruent",
                  camera=Camera(np.int64(224), np.int64(224), np.float64(60.0), position_m=(np.float32(0.1), 0.0, 0.0)),
                  listener=Listener(ear_spacing_m=np.float64(0.17)), room=Room(), audio=AudioSettings(),
                  objects=[SceneObject(np.int64(1), "dog", "dog/dog_01", (np.float64(1.5), np.float64(-0.25),
                                                                         np.float64(1e-310)), sounding=np.bool_(True))],
                  sources=[Source(1, "dog", "dog/dog_01.flac", (1.5, -0.25, 0.0), gain_db=np.float32(-3.5),
                                  object_id=np.int64(1))],
                  manipulations=Manipulations(image=ImageManipulation("noise", np.int64(100), np.float64(2.0))))
    d = scene.to_dict()
    plain_types_only(d)
    back = Scene.from_json(scene.to_json())
    assert back == scene
    assert back.objects[0].sounding is True
    assert back.objects[0].position_m[2] == 1e-310


def test_none_object_id_and_optional_fields_survive():
    scene = Scene(0, (1, 0, 0), "audio_only", Camera(64, 48, 60.0), Listener(sofa=None), Room(), AudioSettings(),
                  sources=[Source(1, "dog", "c", (1.0, 0.0, 0.0), object_id=None)], size_bin=None,
                  targets=Targets(audio=[1], semantic=[], negative=None))
    back = Scene.from_json(scene.to_json())
    assert back == scene and back.sources[0].object_id is None and back.size_bin is None


def test_integer_valued_floats_come_back_as_floats():
    d = Scene(0, (1, 0, 0), "congruent", Camera(64, 48, 60.0), Listener(), Room(), AudioSettings()).to_dict()
    d["camera"]["hfov_deg"] = 60  # e.g. a hand-written scene
    d["camera"]["position_m"] = [0, 0, 1]
    back = Scene.from_dict(d)
    assert type(back.camera.hfov_deg) is float and back.camera.position_m == (0.0, 0.0, 1.0)
    assert all(type(x) is float for x in back.camera.position_m)


def _minimal() -> dict:
    return Scene(0, (1, 0, 0), "congruent", Camera(64, 48, 60.0), Listener(), Room(), AudioSettings(),
                 objects=[SceneObject(1, "dog", "m", (1.0, 0.0, 0.0))],
                 sources=[Source(1, "dog", "c", (1.0, 0.0, 0.0))]).to_dict()


@pytest.mark.parametrize("where", ["top", "camera", "listener", "objects[0]", "sources[0]", "targets", "lighting"])
def test_unknown_fields_raise_value_error(where):
    d = _minimal()
    node = d
    if where != "top":
        name, _, idx = where.partition("[")
        node = d[name] if not idx else d[name][int(idx.rstrip("]"))]
    node["not_a_field"] = 1
    with pytest.raises(ValueError, match="not_a_field"):
        Scene.from_dict(d)


@pytest.mark.parametrize("where", ["camera", "objects[0].position_m", "sources[0].clip"])
def test_missing_fields_raise_value_error(where):
    d = _minimal()
    if where == "camera":
        del d["camera"]
    else:
        name, _, rest = where.partition("[")
        idx, _, key = rest.partition("].")
        del d[name][int(idx)][key]
    with pytest.raises(ValueError):
        Scene.from_dict(d)


def test_unsupported_format_raises_value_error():
    d = _minimal()
    d["format"] = SCENE_FORMAT + 1
    with pytest.raises(ValueError, match="format"):
        Scene.from_dict(d)


def test_dataclass_fields_are_all_serialised():
    """Every field of every Scene dataclass appears in to_dict (nothing silently dropped)."""
    scene = Scene.from_dict(_minimal())
    scene.targets.disks = [TargetDisk(1, 2.0, 3.0, 4.0)]
    scene.manipulations = Manipulations(ImageManipulation("gray"), "silence",
                                        Negatives(True, False, OffscreenNegative("left", scene.sources[0])))
    scene.library.split = AssetSplit(use="test")  # written only when set (records without a split keep their bytes)
    # trajectories are written only when set (still Scenes keep their bytes)
    scene.listener.motion, scene.listener.turn = Linear((0.0, 0.0, 0.0), 1.0), YawRate(0.0, 10.0)
    scene.objects[0].motion = Linear(scene.objects[0].position_m, 1.0)
    scene.objects[0].support = "floor"  # resting on the floor (absent for a free object)
    scene.sources[0].motion = Linear(scene.sources[0].position_m, 1.0)
    scene.camera.yaw_deg, scene.camera.pitch_deg = 5.0, 10.0  # a turned, tipped camera (absent when None)
    scene.sources[0].onset_s, scene.sources[0].offset_s = 0.1, 0.5  # gated (absent when it always emits)
    scene.video = Video(fps=10.0, duration_s=1.0, event=ClipEvent("cross_event", 1, 0.1))  # absent for a still
    d = scene.to_dict()
    for cls, node in ((Scene, d), (Camera, d["camera"]), (Listener, d["listener"]), (Room, d["room"]),
                      (AudioSettings, d["audio"]), (SceneObject, d["objects"][0]), (Source, d["sources"][0]),
                      (Targets, d["targets"]), (Background, d["background"]), (Lighting, d["lighting"]),
                      (TargetDisk, d["targets"]["disks"][0]), (Manipulations, d["manipulations"]),
                      (ImageManipulation, d["manipulations"]["image"]), (Negatives, d["manipulations"]["negatives"]),
                      (OffscreenNegative, d["manipulations"]["negatives"]["offscreen"]), (LibraryRef, d["library"]),
                      (AssetSplit, d["library"]["split"]), (SplitFractions, d["library"]["split"]["fractions"]),
                      (Outputs, d["outputs"]), (Video, d["video"]), (ClipEvent, d["video"]["event"])):
        assert set(node) == {f.name for f in dataclasses.fields(cls)}
    assert set(d["image"]) == {"backend"} | {f.name for f in dataclasses.fields(MeshOptions)}


@pytest.mark.parametrize("options", [MeshOptions(antialias=False), DiffusionOptions(model="m", steps=3),
                                     PhotoOptions(annotations="a.json", images="img", category_map={"x": None},
                                                  cache=False)])
def test_image_options_round_trip_by_backend_name(options):
    scene = Scene.from_dict(_minimal())
    scene.image = options
    d = json.loads(scene.to_json())
    assert d["image"]["backend"] == options.name
    back = Scene.from_dict(d)
    assert back.image == options and type(back.image) is type(options)


def test_image_sources_round_trip_by_type():
    for source in (PhotoPick(file="a.png", image_id=3, width=10, height=8, crowd=["dog"]),
                   DiffusionPrompt(prompt="p", phrases={"1": "a dog"})):
        scene = Scene.from_dict(_minimal())
        scene.image_source = source
        back = Scene.from_json(scene.to_json())
        assert back.image_source == source and type(back.image_source) is type(source)


@pytest.mark.parametrize("path, value, field", [
    (("objects", 0, "position_m"), "abc", "objects[0].position_m"),
    (("objects", 0, "position_m"), [1.0, 2.0], "objects[0].position_m"),
    (("objects", 0, "id"), True, "objects[0].id"),
    (("objects", 0, "id"), 1.5, "objects[0].id"),
    (("camera", "hfov_deg"), float("nan"), "camera.hfov_deg"),
    (("camera", "hfov_deg"), "60", "camera.hfov_deg"),
    (("audio", "sample_rate"), None, "audio.sample_rate"),
    (("sources", 0, "clip"), 3, "sources[0].clip"),
    (("image", "backend"), "nope", "image.backend"),
    (("targets", "audio"), {"a": 1}, "targets.audio"),
    (("listener", "sofa"), 1, "listener.sofa"),
    (("manipulations",), [], "manipulations"),
    (("audio", "sample_rate"), 10**12, "audio.sample_rate"),
    (("audio", "duration_s"), 1e9, "audio.duration_s"),
    (("camera", "width"), 10**9, "camera.width"),
    (("camera", "projection"), "fisheye", "camera.projection"),
    (("objects", 0, "id"), 0, "objects[0].id"),
    (("objects", 0, "position_m"), [1e300, 0.0, 0.0], "objects[0].position_m"),
    (("room", "max_order"), 10**6, "room.max_order"),
    (("background", "texture_seed"), -1, "background.texture_seed"),
    (("audio", "format"), "mp3", "audio.format"),
])
def test_wrong_types_name_the_field(path, value, field):
    d = _minimal()
    node = d
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(PlainError) as info:
        Scene.from_dict(d)
    assert str(info.value).startswith(field + ":") or str(info.value).startswith(field + "."), str(info.value)


def test_a_scene_must_be_a_mapping():
    for bad in ([], "scene", 3, None):
        with pytest.raises(ValueError):
            Scene.from_dict(bad)
