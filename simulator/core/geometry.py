"""The one frame of the project: listener head frame, pixel <-> ray, projections, angles.

Conventions (docs/conventions.md):

* World frame = listener head frame (SOFA convention): origin at the centre of the head,
  +x straight ahead, +y to the listener's left, +z up. Right-handed. Units: metres.
* Azimuth = atan2(y, x), counterclockwise from straight ahead, positive to the left, in
  (-180, 180] degrees. Elevation = atan2(z, hypot(x, y)), positive up. Lateral angle =
  asin(y / r).
* Camera at ``position`` (default the origin) looking along +x. Image u grows to the right
  (towards -y), v grows downwards (towards -z). A turned or tipped camera (``yaw_deg``,
  ``pitch_deg``) has these axes rotated by ``rotation_zyx(yaw, pitch, 0)``.
* Pixel coordinates are continuous: the image covers [0, width] x [0, height]; the pixel in
  column i and row j covers [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5). A mask is
  indexed ``mask[floor(v), floor(u)]``.
* Depth is measured along the optical axis (+x), in metres, as a z-buffer gives it.

Every function takes and returns numpy arrays (or floats) and works on stacks of points of
shape (..., 3); angles are in degrees at the interface, radians inside.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Pixels per inch to metres per pixel.
METRES_PER_INCH = 0.0254


def azimuth_deg(points: np.ndarray) -> np.ndarray:
    """Azimuth in degrees, (-180, 180], counterclockwise from +x (positive to the left)."""
    p = np.asarray(points, dtype=float)
    az = np.degrees(np.arctan2(p[..., 1], p[..., 0]))
    return np.where(az == -180.0, 180.0, az)


def elevation_deg(points: np.ndarray) -> np.ndarray:
    """Elevation in degrees, [-90, 90], positive up."""
    p = np.asarray(points, dtype=float)
    return np.degrees(np.arctan2(p[..., 2], np.hypot(p[..., 0], p[..., 1])))


def lateral_deg(points: np.ndarray) -> np.ndarray:
    """Lateral angle asin(y / r) in degrees, [-90, 90], positive to the left."""
    p = np.asarray(points, dtype=float)
    r = np.linalg.norm(p, axis=-1)
    return np.degrees(np.arcsin(np.clip(p[..., 1] / np.where(r > 0, r, 1.0), -1.0, 1.0)))


def distance_m(points: np.ndarray) -> np.ndarray:
    """Euclidean distance from the origin (the listener's head centre), metres."""
    return np.linalg.norm(np.asarray(points, dtype=float), axis=-1)


def direction(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """Unit vector(s) for azimuth and elevation in degrees; shape (..., 3)."""
    az = np.radians(np.asarray(azimuth, dtype=float))
    el = np.radians(np.asarray(elevation, dtype=float))
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def spherical_to_cartesian(azimuth: np.ndarray, elevation: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Point(s) at azimuth/elevation (degrees) and distance (metres) from the origin."""
    return direction(azimuth, elevation) * np.asarray(distance, dtype=float)[..., None]


def rotation_zyx(yaw_deg: float = 0.0, pitch_deg: float = 0.0, roll_deg: float = 0.0) -> np.ndarray:
    """Rotation matrix R = Rz(yaw) @ Ry(pitch) @ Rx(roll), angles in degrees.

    Yaw turns counterclockwise about +z (towards the left), pitch about +y (positive pitch tips
    +x downwards, the right-hand rule), roll about +x.
    """
    y, p, r = np.radians([yaw_deg, pitch_deg, roll_deg])
    cz, sz, cy, sy, cx, sx = np.cos(y), np.sin(y), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    rz = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]])
    return rz @ ry @ rx


def pose_matrix(position: np.ndarray, yaw_deg: float = 0.0, pitch_deg: float = 0.0, roll_deg: float = 0.0,
                scale: float = 1.0) -> np.ndarray:
    """4x4 world-from-object transform: scale, then rotate (:func:`rotation_zyx`), then translate."""
    m = np.eye(4)
    m[:3, :3] = rotation_zyx(yaw_deg, pitch_deg, roll_deg) * float(scale)
    m[:3, 3] = np.asarray(position, dtype=float)
    return m


#: Rotation whose columns are the OpenGL camera axes (x right, y up, z backwards) in the world
#: frame, for a camera looking along +x with image right = -y and image up = +z.
OPENGL_CAMERA_AXES = np.array([[0.0, 0.0, -1.0],
                               [-1.0, 0.0, 0.0],
                               [0.0, 1.0, 0.0]])


@dataclass(frozen=True)
class PinholeCamera:
    """Pinhole camera at ``position``, square pixels, principal point centred.

    Unrotated (``yaw_deg = pitch_deg = 0``) it looks along +x with image u towards -y and v
    towards -z. ``yaw_deg`` turns it about +z (positive: to the left) and ``pitch_deg`` tips it
    about its own left axis (positive: looking down), :func:`rotation_zyx` (yaw, pitch, 0): its
    axes (forward, left, up) are the columns of :attr:`rotation` in the world frame. "Camera
    axes" below are (forward, left, up); depth is the coordinate along forward.

    ``hfov_deg`` is the horizontal field of view; the focal length in pixels is
    ``fx = (width / 2) / tan(hfov / 2)`` and ``fy = fx``.
    """

    width: int
    height: int
    hfov_deg: float
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0

    @property
    def focal_px(self) -> float:
        return 0.5 * self.width / np.tan(np.radians(self.hfov_deg) / 2.0)

    @property
    def vfov_deg(self) -> float:
        return float(2.0 * np.degrees(np.arctan(0.5 * self.height / self.focal_px)))

    @property
    def principal_point(self) -> tuple[float, float]:
        return 0.5 * self.width, 0.5 * self.height

    @property
    def rotated(self) -> bool:
        """True when the camera is turned or tipped (its axes are not the world's)."""
        return float(self.yaw_deg) != 0.0 or float(self.pitch_deg) != 0.0

    @property
    def rotation(self) -> np.ndarray:
        """3x3 world-from-camera rotation; columns: forward, left, up in the world frame."""
        return rotation_zyx(float(self.yaw_deg), float(self.pitch_deg), 0.0)

    def intrinsics(self) -> np.ndarray:
        """3x3 intrinsic matrix K in this module's pixel convention."""
        f = self.focal_px
        cx, cy = self.principal_point
        return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points relative to the camera centre, in camera axes (forward, left, up)."""
        p = np.asarray(points, dtype=float) - np.asarray(self.position, dtype=float)
        return p @ self.rotation if self.rotated else p

    def to_world(self, vectors: np.ndarray) -> np.ndarray:
        """Camera-axes vectors (forward, left, up) as world vectors (no translation)."""
        d = np.asarray(vectors, dtype=float)
        return d @ self.rotation.T if self.rotated else d

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World points (..., 3) -> (u, v, depth). Depth <= 0 means behind the camera."""
        p = self.to_camera(points)
        depth = p[..., 0]
        safe = np.where(np.abs(depth) > 1e-12, depth, 1e-12)
        f = self.focal_px
        cx, cy = self.principal_point
        return cx - f * p[..., 1] / safe, cy - f * p[..., 2] / safe, depth

    def camera_ray(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Unit direction(s), in camera axes, of the ray through continuous pixel (u, v)."""
        f = self.focal_px
        cx, cy = self.principal_point
        d = np.stack(np.broadcast_arrays(np.ones_like(np.asarray(u, dtype=float)),
                                         -(np.asarray(u, dtype=float) - cx) / f,
                                         -(np.asarray(v, dtype=float) - cy) / f), axis=-1)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def ray(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Unit direction(s) (world axes) of the ray through continuous pixel coordinate (u, v)."""
        return self.to_world(self.camera_ray(u, v))

    def unproject(self, u: np.ndarray, v: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """The world point on the ray through (u, v) at ``depth`` metres along the optical axis."""
        r = self.camera_ray(u, v)
        return np.asarray(self.position, dtype=float) + self.to_world(
            r * (np.asarray(depth, dtype=float) / r[..., 0])[..., None])

    def in_view(self, points: np.ndarray, margin_px: float = 0.0) -> np.ndarray:
        """True where the point is in front of the camera and projects inside the image."""
        u, v, depth = self.project(points)
        return ((depth > 0) & (u >= margin_px) & (u <= self.width - margin_px)
                & (v >= margin_px) & (v <= self.height - margin_px))

    def visual_angle_deg(self, u0: np.ndarray, v0: np.ndarray, u1: np.ndarray, v1: np.ndarray) -> np.ndarray:
        """Angle in degrees between the rays through two pixels, seen from the camera centre."""
        cosang = np.sum(self.ray(u0, v0) * self.ray(u1, v1), axis=-1)
        return np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))


@dataclass(frozen=True)
class ScreenProjection:
    """Screen mode of seeds/000: the image is shown on a screen in front of the listener.

    The screen is the plane x = ``viewing_distance_m``, centred on the +x axis, with
    ``pixels_per_inch`` pixels per inch. A source behind pixel (u, v) with normalised depth ``d``
    sits at ``x = viewing_distance_m + d * depth_scale``, with y and z those of the pixel on the
    screen: lateral coordinates are mapped orthographically, not along a ray.
    """

    width: int
    height: int
    viewing_distance_m: float = 0.76
    pixels_per_inch: float = 90.0
    depth_scale: float = 0.5

    @property
    def pitch_m(self) -> float:
        """Size of one pixel on the screen, metres."""
        return METRES_PER_INCH / self.pixels_per_inch

    def pixel_to_world(self, u: np.ndarray, v: np.ndarray, depth_norm: np.ndarray) -> np.ndarray:
        """Source position (..., 3) behind pixel (u, v) at normalised depth ``depth_norm``."""
        u, v, d = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float), np.asarray(depth_norm, float))
        x = self.viewing_distance_m + d * self.depth_scale
        y = -(u - 0.5 * self.width) * self.pitch_m
        z = -(v - 0.5 * self.height) * self.pitch_m
        return np.stack([x, y, z], axis=-1)

    def world_to_pixel(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inverse of :meth:`pixel_to_world`: (u, v, normalised depth)."""
        p = np.asarray(points, dtype=float)
        u = 0.5 * self.width - p[..., 1] / self.pitch_m
        v = 0.5 * self.height - p[..., 2] / self.pitch_m
        d = (p[..., 0] - self.viewing_distance_m) / self.depth_scale
        return u, v, d

    def screen_point(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The point on the screen surface showing pixel (u, v)."""
        return self.pixel_to_world(u, v, 0.0)

    def visual_angle_deg(self, u0: np.ndarray, v0: np.ndarray, u1: np.ndarray, v1: np.ndarray) -> np.ndarray:
        """Angle in degrees between two screen pixels seen from the listener at the origin."""
        a = self.screen_point(u0, v0)
        b = self.screen_point(u1, v1)
        cosang = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        return np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))

    @property
    def hfov_deg(self) -> float:
        """Horizontal angle the image subtends at the viewing distance."""
        return float(2.0 * np.degrees(np.arctan(0.5 * self.width * self.pitch_m / self.viewing_distance_m)))


def boxes_intersect(centre_a: np.ndarray, rotation_a: np.ndarray, half_a: np.ndarray,
                    centre_b: np.ndarray, rotation_b: np.ndarray, half_b: np.ndarray, gap: float = 0.0) -> bool:
    """Do two oriented boxes, each grown by ``gap`` metres on every side, overlap?

    A box is its centre (3,), the rotation (3, 3) whose columns are its axes in the common frame,
    and its half extents (3,) in metres. Separating-axis test over the 15 candidate axes (the
    boxes' 3 + 3 face normals and their 9 cross products): the boxes are apart if and only if
    their projections on one of them do not overlap."""
    ra, rb = np.asarray(rotation_a, float), np.asarray(rotation_b, float)
    ha, hb = np.asarray(half_a, float) + gap, np.asarray(half_b, float) + gap
    t = np.asarray(centre_b, float) - np.asarray(centre_a, float)
    axes = [ra[:, i] for i in range(3)] + [rb[:, j] for j in range(3)]
    axes += [np.cross(ra[:, i], rb[:, j]) for i in range(3) for j in range(3)]
    for axis in axes:
        norm = float(np.linalg.norm(axis))
        if norm < 1e-9:  # parallel edges: covered by the face normals
            continue
        axis = axis / norm
        reach = float(np.abs(ra.T @ axis) @ ha + np.abs(rb.T @ axis) @ hb)
        if abs(float(t @ axis)) > reach:
            return False
    return True
