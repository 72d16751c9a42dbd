"""Trajectories (simulator/core/trajectory.py): each kind against its closed form, Scene round trip,
the Scene's control arrays, spec validation through the CLI (exit 2 naming key and line), and the
sampler's drawing: inside the room over the clip, deterministic, stills unchanged."""
from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
import pytest

from simulator.core.plain import from_plain, to_plain
from simulator.core.record import Record
from simulator.core.scene import Scene
from simulator.core.scene_motion import check_motion, control_times_s, motion_record
from simulator.core.trajectory import (HEAD_TURNS, TRAJECTORIES, Arc, Leg, Linear, Static, Trajectory, Waypoints,
                                       YawLeg, YawRate, YawWaypoints)

T = np.linspace(0.0, 3.0, 301)


# -- closed forms ---------------------------------------------------------------------------------
def test_linear_distance_is_speed_times_time():
    traj = Linear((1.0, 2.0, 0.5), speed_m_s=1.7, azimuth_deg=30.0, elevation_deg=10.0)
    p = traj.position_m(T)
    assert np.allclose(p[0], traj.start_m)
    assert np.allclose(np.linalg.norm(p - p[0], axis=1), 1.7 * T)
    d = (p[-1] - p[0]) / np.linalg.norm(p[-1] - p[0])
    assert np.isclose(np.degrees(np.arctan2(d[1], d[0])), 30.0)
    assert np.isclose(np.degrees(np.arcsin(d[2])), 10.0)


def test_arc_keeps_radius_and_angular_speed():
    traj = Arc((2.0, 1.0, 0.3), centre_m=(0.0, 0.0, 0.0), angular_speed_deg_s=25.0)
    p = traj.position_m(T)
    assert np.allclose(np.linalg.norm(p, axis=1), np.linalg.norm(traj.start_m))
    assert np.allclose(p[:, 2], 0.3)
    az = np.unwrap(np.arctan2(p[:, 1], p[:, 0]))
    assert np.allclose(np.degrees(az - az[0]), 25.0 * T)  # positive: counterclockwise (to the left)


def test_waypoints_reached_at_the_right_times():
    traj = Waypoints((0.0, 0.0, 0.0), (Leg((2.0, 0.0, 0.0), 1.0), Leg((2.0, 3.0, 0.0), 2.0)))
    assert np.allclose(traj.arrival_s(), [2.0, 3.5])
    p = traj.position_m(np.array([0.0, 1.0, 2.0, 2.75, 3.5, 10.0]))
    assert np.allclose(p, [[0, 0, 0], [1, 0, 0], [2, 0, 0], [2, 1.5, 0], [2, 3, 0], [2, 3, 0]])


def test_head_turns():
    assert np.allclose(YawRate(10.0, 30.0).yaw_deg(T), 10.0 + 30.0 * T)
    turn = YawWaypoints(0.0, (YawLeg(90.0, 45.0), YawLeg(0.0, 90.0)))
    assert np.allclose(turn.arrival_s(), [2.0, 3.0])
    assert np.allclose(turn.yaw_deg(np.array([0.0, 1.0, 2.0, 2.5, 3.0, 5.0])), [0, 45, 90, 45, 0, 0])


def test_static_and_scaling():
    assert np.allclose(Static((1.0, 2.0, 3.0)).position_m(T), [1.0, 2.0, 3.0])
    lin = Linear((0.0, 0.0, 0.0), 2.0, 0.0, 0.0)
    assert lin.scaled(0.5).speed_m_s == 1.0 and lin.scaled(0.0).position_m(T).max() == 0.0


def test_registries_hold_every_kind():
    assert TRAJECTORIES.names() == ("static", "linear", "arc", "waypoints")
    assert HEAD_TURNS.names() == ("fixed", "rate", "waypoints")
    assert not TRAJECTORIES.get("arc").for_listener


# -- Scene data --------------------------------------------------------------------------------
@pytest.mark.parametrize("traj", [Linear((1.0, 0.5, 0.1), 0.1 + 1e-12, 33.3, -4.0),
                                  Arc((2.0, -1.0, 0.0), (0.0, 0.0, 0.0), -17.25),
                                  Waypoints((0.0, 1.0, 0.0), (Leg((1.0, 1.0, 0.0), 0.7), Leg((1.0, 2.5, 1.0), 1.3)))])
def test_round_trip_is_exact(traj):
    plain = json.loads(json.dumps(to_plain(traj)))
    assert plain["kind"] == traj.name
    assert from_plain(Trajectory, plain) == traj


def test_bad_scene_data_names_the_field():
    with pytest.raises(ValueError, match="speed_m_s"):
        from_plain(Trajectory, {"kind": "linear", "start_m": [0, 0, 0], "speed_m_s": float("nan")})
    with pytest.raises(ValueError, match="speed_m_s"):
        from_plain(Trajectory, {"kind": "linear", "start_m": [0, 0, 0], "speed_m_s": -1.0})
    with pytest.raises(ValueError, match="kind"):
        from_plain(Trajectory, {"kind": "teleport", "start_m": [0, 0, 0]})


# -- the sampler ------------------------------------------------------------------------------
MOVING = """samples: 40
seed: 11
image: {width: 48, height: 48}
room: {type: shoebox, size_m: {uniform: [[3, 3, 2.5], [5, 4, 3]]}}
condition: {choice: [congruent, audio_only, offscreen]}
objects: {count: {int: [1, 2]}, motion: {kind: {choice: [linear, arc, waypoints]}, speed_m_s: {uniform: [1, 4]}}}
source: {motion: {kind: {choice: [linear, arc, waypoints]}, speed_m_s: {uniform: [1, 4]},
                  angular_speed_deg_s: {uniform: [-120, 120]}}}
listener: {motion: {kind: {choice: [static, linear, waypoints]}}, turn: {kind: {choice: [rate, waypoints]}}}
"""


@pytest.fixture(scope="module")
def maker():
    from simulator.assets.user import open_library
    from simulator.pipeline import SampleMaker
    from simulator.spec.loader import load_spec_text

    m = SampleMaker(load_spec_text(MOVING, "moving.yaml", library=open_library)[0])
    yield m
    m.close()


@pytest.fixture(scope="module")
def scenes(maker):
    return [maker.layout(i)[0] for i in range(40)]


def test_trajectories_stay_inside_the_room(maker, scenes):
    model_of = maker.sampler.sampler.room_model
    moved = 0
    for scene in scenes:
        check_motion(scene)
        c = scene.motion_control(100.0)
        model, offset = model_of(scene.room), np.asarray(scene.room.listener_position_m)
        assert model.contains(c.listener_m + offset).all()
        assert model.contains(c.sources_m.reshape(-1, 3) + offset).all()
        assert model.contains(c.objects_m.reshape(-1, 3) + offset).all()
        for src in scene.sources:  # positions at t = 0 are the placed ones
            assert np.array_equal(scene.source_positions_m(src.id, [0.0])[0], src.position_m)
        moved += sum(np.ptp(c.sources_m[k], axis=0).max() > 0.05 for k in range(len(scene.sources)))
    assert moved >= 20  # most sources do move


def test_same_seed_same_trajectory(maker, scenes):
    again = maker.layout(7)[0]
    assert again.to_json() == scenes[7].to_json()
    assert Scene.from_json(again.to_json()) == again


def test_control_arrays_and_record(scenes):
    scene = scenes[0]
    t = control_times_s(3.0, 10.0)
    assert t.size == 31 and t[-1] == 3.0
    c = scene.motion_control(10.0)
    assert c.listener_m.shape == (31, 3) and c.head_yaw_deg.shape == (31,)
    assert c.sources_m.shape == (len(scene.sources), 31, 3)
    assert c.head_yaw_deg[0] == scene.listener.yaw_deg and np.allclose(c.listener_m[0], 0.0)
    rec = motion_record(scene)
    assert rec is not None and rec["rate_hz"] == 10.0 and len(rec["listener"]["yaw_deg"]) == 31
    from test_record_format import conforms

    assert conforms(rec, typing.get_type_hints(Record)["motion"]) == []


def test_a_source_on_an_object_moves_with_it(scenes):
    for scene in scenes:
        for src in scene.sources:
            if src.object_id is not None and scene.object_by_id(src.object_id).motion is not None:
                path = scene.source_positions_m(src.id, T)
                obj = scene.object_positions_m(src.object_id, T)
                assert np.allclose(path - obj, np.asarray(src.position_m) - scene.object_by_id(src.object_id).position_m)
                assert src.motion is None
                return
    pytest.fail("no moving sounding object drawn")


def test_a_still_spec_stores_no_motion():
    from simulator.assets.user import open_library
    from simulator.pipeline import SampleMaker
    from simulator.spec.loader import load_spec_text

    m = SampleMaker(load_spec_text("samples: 2\nimage: {width: 48, height: 48}\n", "still.yaml",
                                   library=open_library)[0])
    try:
        scene = m.layout(0)[0]
    finally:
        m.close()
    assert scene.is_static and motion_record(scene) is None
    text = scene.to_json()
    assert '"motion"' not in text and '"turn"' not in text


# -- spec validation through the CLI ---------------------------------------------------------------
@pytest.mark.parametrize("block, key, fragment", [
    ("source:\n  motion:\n    kind: teleport\n", "source.motion.kind", "teleport"),
    ("objects:\n  motion:\n    speed_m_s: -1\n", "objects.motion.speed_m_s", "out of range"),
    ("listener:\n  motion:\n    kind: arc\n", "listener.motion.kind", "arc"),
    ("source:\n  motion:\n    spede_m_s: 1\n", "source.motion.spede_m_s", "unknown key"),
    ("listener:\n  turn:\n    rate_deg_s: {uniform: [-1000, 10]}\n", "listener.turn.rate_deg_s", "range"),
])
def test_bad_motion_specs_exit_2_naming_key_and_line(tmp_path: Path, block: str, key: str, fragment: str):
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"samples: 1\noutput: {{dir: {tmp_path / 'out'}}}\n" + block)
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "--spec", str(spec)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert key in err and fragment in err and "bad.yaml:" in err, err
    line = int(err.split("bad.yaml:")[1].split(":")[0])
    assert line >= 3
    assert not (tmp_path / "out").exists()


def test_still_motion_blocks_leave_the_spec_hash_as_before_motion_existed():
    """A spec that moves nothing hashes as it did before the motion blocks existed (so older
    datasets resume and grow); any motion changes the hash."""
    import copy
    import hashlib
    import json as _json

    from conftest import CONGRUENT
    from simulator.spec.loader import load_spec
    from simulator.spec.spec import STILL_BLOCKS

    spec = load_spec(str(CONGRUENT))[0]
    before = copy.deepcopy(spec.resolved)
    before["output"].pop("dir", None)
    for section, key in STILL_BLOCKS:
        before[section].pop(key)
    before.pop("video")  # no clip: hashed as before clips existed
    assert spec.hash() == hashlib.sha256(_json.dumps(before, sort_keys=True).encode()).hexdigest()
    moving = load_spec(str(CONGRUENT), ["objects.motion.kind=linear"])[0]
    assert moving.hash() != spec.hash() and moving.plan_hash() != spec.plan_hash()
    clip = load_spec(str(CONGRUENT), ["video.fps=10"])[0]
    assert clip.hash() != spec.hash()
