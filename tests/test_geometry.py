"""Property tests of the one frame (simulator.core.geometry): angles, pinhole camera, screen mode,
rotations. Conventions under test (docs/conventions.md): +x ahead, +y left, +z up; azimuth = atan2(y, x)
in (-180, 180]; elevation = atan2(z, hypot(x, y)); lateral = asin(y / r); image u grows to the
right (towards -y), v downwards (towards -z)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator.core.geometry import (
    METRES_PER_INCH,
    PinholeCamera,
    ScreenProjection,
    azimuth_deg,
    direction,
    distance_m,
    elevation_deg,
    lateral_deg,
    pose_matrix,
    rotation_zyx,
    spherical_to_cartesian,
)

FAST = settings(max_examples=200, deadline=None)


def finite(lo: float, hi: float, **kw) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, **kw)


def angle_diff_deg(a: float, b: float) -> float:
    """Smallest absolute difference between two angles, degrees."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


coord = finite(-1e3, 1e3)
points = st.tuples(coord, coord, coord).filter(lambda p: math.hypot(*p) > 1e-6)
azimuths = finite(-180.0, 180.0).filter(lambda a: a > -180.0)
elevations = finite(-89.0, 89.0)  # away from the poles, where azimuth is undefined
distances = finite(1e-3, 1e3)
sizes = st.integers(16, 4096)
hfovs = finite(1.0, 179.0)
positions = st.tuples(finite(-10, 10), finite(-10, 10), finite(-10, 10))


# ---------------------------------------------------------------------------------------------
# azimuth / elevation / distance
@FAST
@given(az=azimuths, el=elevations, d=distances)
def test_spherical_to_cartesian_round_trip(az, el, d):
    p = spherical_to_cartesian(az, el, d)
    assert angle_diff_deg(float(azimuth_deg(p)), az) < 1e-7
    assert float(elevation_deg(p)) == pytest.approx(el, abs=1e-9)
    assert float(distance_m(p)) == pytest.approx(d, rel=1e-12)
    assert float(np.linalg.norm(direction(az, el))) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(p=points)
def test_cartesian_to_spherical_round_trip(p):
    p = np.array(p)
    back = spherical_to_cartesian(azimuth_deg(p), elevation_deg(p), distance_m(p))
    np.testing.assert_allclose(back, p, rtol=0, atol=1e-9 * np.linalg.norm(p))


@FAST
@given(p=st.tuples(coord, coord, coord))
@example(p=(-1.0, 0.0, 0.0))
@example(p=(-1.0, -0.0, 0.0))
@example(p=(-3.0, -0.0, 2.0))
@example(p=(0.0, 0.0, 0.0))
def test_azimuth_range(p):
    az = float(azimuth_deg(np.array(p)))
    assert -180.0 < az <= 180.0


def test_azimuth_straight_behind_is_plus_180():
    pts = np.array([[-1.0, 0.0, 0.0], [-1.0, -0.0, 0.0], [-2.0, -0.0, -5.0]])
    np.testing.assert_array_equal(azimuth_deg(pts), [180.0, 180.0, 180.0])


@FAST
@given(x=coord, y=finite(1e-6, 1e3), z=coord)
def test_azimuth_positive_to_the_left(x, y, z):
    """+y is the listener's left: azimuth in (0, 180); -y gives the mirrored, negative value."""
    az = float(azimuth_deg(np.array([x, y, z])))
    assert 0.0 < az < 180.0
    assert float(azimuth_deg(np.array([x, -y, z]))) == pytest.approx(-az, abs=1e-12)


def test_cardinal_directions():
    np.testing.assert_allclose(direction(0.0, 0.0), [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(direction(90.0, 0.0), [0, 1, 0], atol=1e-15)
    np.testing.assert_allclose(direction(-90.0, 0.0), [0, -1, 0], atol=1e-15)
    np.testing.assert_allclose(direction(0.0, 90.0), [0, 0, 1], atol=1e-15)
    assert float(elevation_deg(np.array([1.0, 1.0, 0.0]))) == 0.0
    assert float(elevation_deg(np.array([0.0, 0.0, 2.0]))) == 90.0
    assert float(lateral_deg(np.array([0.0, 3.0, 0.0]))) == pytest.approx(90.0)


@FAST
@given(p=points)
def test_lateral_angle_relation(p):
    p = np.array(p)
    lat, az, el = (math.radians(float(f(p))) for f in (lateral_deg, azimuth_deg, elevation_deg))
    assert math.sin(lat) == pytest.approx(math.cos(el) * math.sin(az), abs=1e-9)
    assert math.sin(lat) == pytest.approx(p[1] / np.linalg.norm(p), abs=1e-9)
    assert -90.0 <= math.degrees(lat) <= 90.0


def test_angle_functions_work_on_stacks():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(4, 5, 3))
    for f in (azimuth_deg, elevation_deg, lateral_deg, distance_m):
        out = f(p)
        assert out.shape == (4, 5)
        np.testing.assert_allclose(out[2, 3], f(p[2, 3]))


# ---------------------------------------------------------------------------------------------
# pinhole camera
@st.composite
def cameras(draw):
    return PinholeCamera(draw(sizes), draw(sizes), draw(hfovs), draw(positions))


@st.composite
def camera_pixel_depth(draw):
    cam = draw(cameras())
    u = draw(finite(0.0, float(cam.width)))
    v = draw(finite(0.0, float(cam.height)))
    depth = draw(finite(0.01, 1000.0))
    return cam, u, v, depth


@FAST
@given(cpd=camera_pixel_depth())
def test_pinhole_project_unproject_round_trip(cpd):
    cam, u, v, depth = cpd
    p = cam.unproject(u, v, depth)
    assert p.shape == (3,)
    u2, v2, d2 = cam.project(p)
    assert float(u2) == pytest.approx(u, abs=1e-6)
    assert float(v2) == pytest.approx(v, abs=1e-6)
    assert float(d2) == pytest.approx(depth, rel=1e-9, abs=1e-9)
    assert bool(cam.in_view(p)) == (0.0 <= float(u2) <= cam.width and 0.0 <= float(v2) <= cam.height)


@FAST
@given(cam=cameras())
def test_ray_through_principal_point_is_plus_x(cam):
    cx, cy = cam.principal_point
    assert (cx, cy) == (cam.width / 2, cam.height / 2)
    np.testing.assert_allclose(cam.ray(cx, cy), [1.0, 0.0, 0.0], atol=1e-15)


@FAST
@given(cpd=camera_pixel_depth())
def test_ray_is_unit_and_points_forward(cpd):
    cam, u, v, _ = cpd
    r = cam.ray(u, v)
    assert float(np.linalg.norm(r)) == pytest.approx(1.0, abs=1e-12)
    assert r[0] > 0


@FAST
@given(cam=cameras(), frac=finite(0.0, 0.499), vfrac=finite(0.0, 1.0))
def test_pixel_left_of_centre_looks_left(cam, frac, vfrac):
    """u grows to the right (towards -y): a pixel left of centre has a ray with +y."""
    u = frac * cam.width
    v = vfrac * cam.height
    r = cam.ray(u, v)
    assert r[1] > 0
    assert float(azimuth_deg(r)) > 0
    assert cam.ray(cam.width - u, v)[1] < 0  # mirror pixel looks right


@FAST
@given(cam=cameras(), frac=finite(0.0, 0.499))
def test_pixel_above_centre_looks_up(cam, frac):
    """v grows downwards (towards -z)."""
    cx, _ = cam.principal_point
    assert cam.ray(cx, frac * cam.height)[2] > 0
    assert cam.ray(cx, cam.height * (1 - frac))[2] < 0


@FAST
@given(cpd=camera_pixel_depth(), u1=finite(0.0, 1.0), v1=finite(0.0, 1.0))
def test_visual_angle_zero_and_symmetric(cpd, u1, v1):
    cam, u, v, _ = cpd
    assert float(cam.visual_angle_deg(u, v, u, v)) == pytest.approx(0.0, abs=1e-5)
    u1, v1 = u1 * cam.width, v1 * cam.height
    a = float(cam.visual_angle_deg(u, v, u1, v1))
    b = float(cam.visual_angle_deg(u1, v1, u, v))
    assert a == b
    assert 0.0 <= a < 180.0


@FAST
@given(cam=cameras())
def test_visual_angle_across_the_width_is_hfov(cam):
    cy = cam.height / 2
    assert float(cam.visual_angle_deg(0.0, cy, float(cam.width), cy)) == pytest.approx(cam.hfov_deg, abs=1e-9)
    cx = cam.width / 2
    assert float(cam.visual_angle_deg(cx, 0.0, cx, float(cam.height))) == pytest.approx(cam.vfov_deg, abs=1e-9)


@FAST
@given(cam=cameras(), az=finite(-80.0, 80.0), el=finite(-80.0, 80.0), d=finite(0.1, 100.0))
def test_project_agrees_with_intrinsics(cam, az, el, d):
    p = np.asarray(cam.position) + spherical_to_cartesian(az, el, d)
    u, v, depth = cam.project(p)
    if depth <= 1e-6:
        return
    # K applied to camera coordinates (right = -y, down = -z, forward = +x).
    q = cam.to_camera(p)
    uvw = cam.intrinsics() @ np.array([-q[1], -q[2], q[0]])
    assert float(u) == pytest.approx(uvw[0] / uvw[2], rel=1e-9, abs=1e-6)
    assert float(v) == pytest.approx(uvw[1] / uvw[2], rel=1e-9, abs=1e-6)


def test_pinhole_works_on_stacks():
    cam = PinholeCamera(224, 160, 60.0, (0.1, -0.2, 0.05))
    u = np.linspace(0, 224, 7)[:, None] * np.ones((1, 5))
    v = np.linspace(0, 160, 5)[None, :] * np.ones((7, 1))
    p = cam.unproject(u, v, 2.0)
    assert p.shape == (7, 5, 3)
    u2, v2, d2 = cam.project(p)
    np.testing.assert_allclose(u2, u, atol=1e-9)
    np.testing.assert_allclose(v2, v, atol=1e-9)
    np.testing.assert_allclose(d2, 2.0)


# ---------------------------------------------------------------------------------------------
# screen mode (seeds/000)
@st.composite
def screens(draw):
    return ScreenProjection(draw(sizes), draw(sizes), draw(finite(0.05, 10.0)), draw(finite(1.0, 1000.0)),
                            draw(finite(0.01, 10.0)))


@FAST
@given(scr=screens(), uf=finite(0.0, 1.0), vf=finite(0.0, 1.0), d=finite(0.0, 1.0))
def test_screen_round_trip(scr, uf, vf, d):
    u, v = uf * scr.width, vf * scr.height
    p = scr.pixel_to_world(u, v, d)
    assert p.shape == (3,)
    u2, v2, d2 = scr.world_to_pixel(p)
    assert float(u2) == pytest.approx(u, abs=1e-6)
    assert float(v2) == pytest.approx(v, abs=1e-6)
    assert float(d2) == pytest.approx(d, abs=1e-9)


@FAST
@given(w=sizes, h=sizes, d=finite(0.0, 1.0))
def test_screen_centre_pixel(w, h, d):
    scr = ScreenProjection(w, h)
    np.testing.assert_allclose(scr.pixel_to_world(w / 2, h / 2, d), [0.76 + d * 0.5, 0.0, 0.0], atol=1e-15)


@FAST
@given(w=sizes, h=sizes, d=finite(0.0, 1.0))
def test_screen_one_inch_right_and_down(w, h, d):
    scr = ScreenProjection(w, h)  # 90 pixels per inch
    right = scr.pixel_to_world(w / 2 + 90, h / 2, d)
    np.testing.assert_allclose(right, [0.76 + d * 0.5, -0.0254, 0.0], atol=1e-15)
    down = scr.pixel_to_world(w / 2, h / 2 + 90, d)
    np.testing.assert_allclose(down, [0.76 + d * 0.5, 0.0, -0.0254], atol=1e-15)
    assert scr.pitch_m == pytest.approx(METRES_PER_INCH / 90)


@FAST
@given(scr=screens())
def test_screen_visual_angle_of_full_width_is_hfov(scr):
    cy = scr.height / 2
    angle = float(scr.visual_angle_deg(0.0, cy, float(scr.width), cy))
    assert angle == pytest.approx(scr.hfov_deg, abs=1e-9)
    assert float(scr.visual_angle_deg(3.0, 4.0, 3.0, 4.0)) == pytest.approx(0.0, abs=1e-5)


def test_screen_defaults_seeds000():
    scr = ScreenProjection(224, 224)
    assert scr.viewing_distance_m == 0.76 and scr.pixels_per_inch == 90.0 and scr.depth_scale == 0.5
    # 224 px at 90 ppi = 6.32 cm wide at 76 cm: about 4.77 degrees.
    assert scr.hfov_deg == pytest.approx(2 * math.degrees(math.atan(0.5 * 224 * 0.0254 / 90 / 0.76)))


# ---------------------------------------------------------------------------------------------
# rotations
angles = finite(-360.0, 360.0)


@FAST
@given(yaw=angles, pitch=angles, roll=angles)
def test_rotation_is_orthonormal(yaw, pitch, roll):
    r = rotation_zyx(yaw, pitch, roll)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert float(np.linalg.det(r)) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(yaw=angles, pitch=angles, roll=angles)
def test_rotation_order_is_z_then_y_then_x(yaw, pitch, roll):
    np.testing.assert_allclose(rotation_zyx(yaw, pitch, roll),
                               rotation_zyx(yaw) @ rotation_zyx(0, pitch) @ rotation_zyx(0, 0, roll), atol=1e-12)


def test_rotation_directions():
    np.testing.assert_allclose(rotation_zyx(90.0) @ [1, 0, 0], [0, 1, 0], atol=1e-15)  # yaw turns left
    np.testing.assert_allclose(rotation_zyx(0.0, 90.0) @ [1, 0, 0], [0, 0, -1], atol=1e-15)  # pitch tips x down
    np.testing.assert_allclose(rotation_zyx(0.0, 0.0, 90.0) @ [0, 1, 0], [0, 0, 1], atol=1e-15)  # roll
    np.testing.assert_allclose(rotation_zyx(), np.eye(3))


@FAST
@given(yaw=angles, az=azimuths)
def test_yaw_adds_to_azimuth(yaw, az):
    p = rotation_zyx(yaw) @ direction(az, 0.0)
    assert angle_diff_deg(float(azimuth_deg(p)), az + yaw) < 1e-7


def test_pose_matrix():
    m = pose_matrix((1.0, 2.0, 3.0), yaw_deg=90.0, scale=2.0)
    np.testing.assert_allclose(m @ [1, 0, 0, 1], [1, 4, 3, 1], atol=1e-12)
    np.testing.assert_allclose(m[3], [0, 0, 0, 1])
