"""Occlusion of the direct sound by object meshes: geometry of the detour, barrier loss per band,
delay, and the pipeline switch (``room.occlusion``)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from scipy.signal import correlate, correlation_lags

from renderers.acoustic.occlusion import (barrier_attenuation_db, blocked_length, detour, occluded_direct_path,
                                          occluder_from_points)
from renderers.acoustic.room_renderer import RoomRenderer
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

FS = 16000
C = 343.0


def plate(centre, extents, object_id=5):
    box = trimesh.creation.box(extents=extents)
    box.apply_translation(centre)
    return occluder_from_points(box.vertices, object_id)


def scene(position, head="spaced", room=None, object_id=None, duration=1.0) -> Scene:
    return Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                 listener=Listener(head=head), room=room or Room(speed_of_sound_m_s=C),
                 audio=AudioSettings(FS, duration),
                 sources=[Source(id=0, category="noise", clip="noise", position_m=tuple(map(float, position)),
                                 object_id=object_id)], render_seed=3)


def clip(n=FS, seed=0):
    return np.random.default_rng(seed).standard_normal(n)


def band_level_db(x, fc):
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.shape[-1], 1.0 / FS)
    m = (f > fc / np.sqrt(2)) & (f < fc * np.sqrt(2))
    return 10 * np.log10(np.sum(spec[..., m]))


def test_detour_over_the_nearest_edge_matches_the_geometry():
    # a 2 cm plate, 6 m wide, top edge 0.4 m above the path, bottom 0.5 m below: over the top
    src, head = np.array([4.0, 0.0, 0.0]), np.zeros(3)
    occ = plate((2.0, 0.0, -0.05), (0.02, 6.0, 0.9))
    assert blocked_length(src, head, occ) == pytest.approx(0.02, abs=1e-9)
    delta, edge = detour(src, head, occ.points)
    expected = 2 * np.hypot(1.99, 0.4) + 0.02 - 4.0
    assert delta == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(edge, (1.99, 0.0, 0.4), atol=1e-9)
    # taller than wide: round the nearer side (y = -0.3) instead
    occ = plate((2.0, 0.2, 0.0), (0.02, 1.0, 6.0))
    delta, edge = detour(src, head, occ.points)
    assert delta == pytest.approx(2 * np.hypot(1.99, 0.3) + 0.02 - 4.0, rel=1e-6)
    assert edge[1] == pytest.approx(-0.3)


def test_paths_beside_an_object_or_from_its_own_object_are_not_occluded():
    centres = np.array([500.0, 1000.0])
    beside = plate((2.0, 1.0, 0.0), (0.3, 0.5, 0.5))
    assert blocked_length((4.0, 0.0, 0.0), np.zeros(3), beside) == 0.0
    assert occluded_direct_path((4.0, 0.0, 0.0), [beside], centres) is None
    own = plate((4.0, 0.0, 0.0), (0.6, 0.6, 0.6), object_id=2)
    assert occluded_direct_path((4.0, 0.0, 0.0), [own], centres, exclude=2) is None
    assert occluded_direct_path((4.0, 0.0, 0.0), [own], centres) is None  # the hull holds the source
    between = plate((2.0, 0.0, 0.0), (0.3, 0.5, 0.5), object_id=3)
    path = occluded_direct_path((4.0, 0.0, 0.0), [own, between], centres, exclude=2)
    assert path is not None and path.object_ids == (3,)


def test_kurze_anderson_barrier_loss():
    # 5 dB at grazing, Maekawa's ~13 dB at N = 1 (Kurze-Anderson: 13.1), monotonic, capped
    assert barrier_attenuation_db(0.0, np.array([1000.0]))[0] == pytest.approx(5.0)
    n1 = barrier_attenuation_db(C / 2000.0, np.array([1000.0]))[0]  # N = 2 delta f / c = 1
    assert n1 == pytest.approx(13.1, abs=0.1)
    att = barrier_attenuation_db(0.1, np.geomspace(50, 20000, 40), max_db=20.0)
    assert np.all(np.diff(att) >= 0) and att.max() == pytest.approx(20.0)


def test_rendered_direct_sound_loses_the_barrier_attenuation_per_band_and_arrives_later():
    src = (4.0, 0.0, 0.0)
    occ = plate((2.0, 0.0, -0.05), (0.02, 6.0, 0.9))
    r = RoomRenderer(FS)
    x = clip()
    clear = r.render(scene(src), [x]).mixture.astype(np.float64)
    blocked = r.render(scene(src), [x], [occ])
    out = blocked.mixture.astype(np.float64)
    (note,) = blocked.occlusion
    assert note["source_id"] == 0 and note["object_ids"] == [5]
    delta = 2 * np.hypot(1.99, 0.4) + 0.02 - 4.0
    assert note["detour_m"] == pytest.approx(delta, rel=1e-4)
    for fc, att in zip(note["band_centres_hz"], note["attenuation_db"]):
        if 250 <= fc <= 4000:
            assert att == pytest.approx(barrier_attenuation_db(delta, np.array([fc]))[0], abs=1e-3)
            measured = band_level_db(clear[0], fc) - band_level_db(out[0], fc)
            assert measured == pytest.approx(att, abs=1.0), fc
    # the diffracted sound comes delta / c later (zero-phase band filters keep the delay)
    xc = correlate(out[0], clear[0], mode="full", method="fft")
    lags = correlation_lags(out.shape[1], clear.shape[1], mode="full")
    i = int(np.argmax(xc))
    lag = lags[i] + 0.5 * (xc[i - 1] - xc[i + 1]) / (xc[i - 1] - 2 * xc[i] + xc[i + 1])
    assert lag == pytest.approx(delta / C * FS, abs=0.3)
    # the response keeps the band filters' ringing: it ends at silence
    ir = r.impulse_responses(scene(src), n=0, occluders=[occ])[0][0]
    assert np.max(np.abs(ir[:, -8:])) < 1e-4 * np.max(np.abs(ir))
    # an object off the path changes nothing
    beside = plate((2.0, 1.5, 0.0), (0.3, 0.5, 0.5))
    assert np.array_equal(r.render(scene(src), [x], [beside]).mixture, clear.astype(np.float32))


def test_occlusion_in_a_reverberant_room_with_the_hrtf_head():
    room = Room(type="shoebox", size_m=(8.0, 6.0, 3.0), listener_position_m=(1.5, 3.0, 1.5), rt60_s=0.4,
                max_order=4, late="stochastic", speed_of_sound_m_s=C)
    src = (2.0, -0.25, 0.0)  # the first reflection (floor, ceiling) comes 1.6 m = 74 samples later
    occ = plate((1.0, -0.125, 0.0), (0.2, 0.5, 0.6))
    r = RoomRenderer(FS)
    irs_clear, lead = r.impulse_responses(scene(src, head="hrtf", room=room))
    irs_blocked, _ = r.impulse_responses(scene(src, head="hrtf", room=room), occluders=[occ])
    a, b = irs_clear[0], irs_blocked[0]
    t = lead + int(np.hypot(2.0, 0.25) / C * FS)
    direct = slice(t - 20, t + 50)  # the direct sound, before the first reflection
    late = slice(t + 400, None)
    assert np.sum(b[:, direct] ** 2) < 10 ** (-5 / 10) * np.sum(a[:, direct] ** 2)
    np.testing.assert_allclose(np.sum(b[:, late] ** 2), np.sum(a[:, late] ** 2), rtol=1e-6)  # reflections and tail unchanged


def test_pipeline_occludes_a_source_hidden_behind_another_object(tmp_path):
    # a generated sample with room.occlusion on; a distractor moved onto the line from the head
    # to the sounding object must be listed as occluding it, and lower the direct sound
    import dataclasses

    from conftest import CONGRUENT, FREE_FIELD, read_records, simulate
    from simulator.pipeline import SampleMaker
    from simulator.core.scene import Scene
    from simulator.spec.loader import spec_from_resolved

    simulate("--spec", str(CONGRUENT), *FREE_FIELD, "--set", "samples=2", "--set", "image.width=64",
             "--set", "image.height=64", "--set", "audio.duration=0.5", "--set", "objects.count=2",
             "--set", "room.occlusion=true", "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    records = read_records(tmp_path / "out")
    assert all(rec["audio"]["occlusion"] == [] for rec in records)  # the sampler keeps targets visible
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    maker = SampleMaker(spec_from_resolved(info["spec"], source="dataset.json"))
    try:
        scene = Scene.from_dict(records[0]["scene"])
        src = scene.sources[0]
        other = next(o for o in scene.objects if o.id != src.object_id)
        moved = dataclasses.replace(other, position_m=tuple(0.5 * np.asarray(src.position_m)))
        hidden = dataclasses.replace(scene, objects=[o if o.id != other.id else moved for o in scene.objects])
        clear = maker.render_scene(scene)
        blocked = maker.render_scene(hidden)
    finally:
        maker.close()
    assert clear.record["audio"]["occlusion"] == []
    (entry,) = blocked.record["audio"]["occlusion"]
    assert entry["source_id"] == src.id and entry["object_ids"] == [other.id] and entry["detour_m"] > 0
    assert np.all(np.diff(entry["attenuation_db"]) >= 0) and entry["attenuation_db"][0] >= 5.0
    assert np.sum(blocked.audio.astype(float) ** 2) < np.sum(clear.audio.astype(float) ** 2)
