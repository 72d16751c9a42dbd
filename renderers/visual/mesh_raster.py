"""Headless pyrender raster of a :class:`simulator.core.scene.Scene`: rgb, depth, instance ids, masks.

Frames and units (docs/conventions.md, :mod:`simulator.core.geometry`):

* World = listener head frame: +x ahead, +y left, +z up, metres.
* The camera sits at ``scene.camera.position_m`` and looks along +x (or turned by the camera's
  ``yaw_deg`` and tipped by its ``pitch_deg``); image u grows to the right (towards -y), v
  downwards (towards -z) in the camera's axes. Intrinsics are :class:`simulator.core.geometry.PinholeCamera`'s
  (square pixels, ``fx = fy = (W/2) / tan(hfov/2)``, principal point at the image centre), so a
  world point lands on the pixel that ``PinholeCamera.project`` predicts. Pixel (i, j) (column i,
  row j) covers [i, i+1) x [j, j+1) and images are indexed ``image[j, i]``.
* Depth is metres along the optical axis (+x unrotated) from the camera centre, 0.0 where no object.
* Objects are posed with :func:`simulator.core.geometry.pose_matrix` (scale, then yaw/pitch/roll, then
  translate to ``position_m``, the centre of the mesh's bounding box).

pyrender conventions that matter here (checked against pyrender 1.0.1, pyrender-maintained):

* ``IntrinsicsCamera`` takes cx, cy in the OpenCV sense (cy measured from the *top* row): its
  projection gives ``u = cx + fx X/Z`` and ``v = cy - fy Y/Z`` with Y up after pyrender flips the
  framebuffer, i.e. exactly geometry's convention. The camera node's pose is
  :data:`simulator.core.geometry.OPENGL_CAMERA_AXES` (columns = OpenGL x right, y up, z backwards).
* A ``DirectionalLight`` shines along its node's -z axis, so a light coming *from* direction d
  gets a node whose +z axis is d.
* The mesh shader writes ``pow(linear, 1/2.2)``; the background clear colour is written as is.
  ``Background.color`` is linear RGB, so it is encoded with the same power here to match.
* The colour pass is 4x multisampled (antialiased rgb) unless ``antialias=False``; the id pass
  is not (one coverage sample at the pixel centre). Depth is taken from the id pass so that
  depth > 0 exactly where instance_ids > 0 (the colour pass's resolved depth picks a sample off
  the pixel centre and disagrees on silhouette pixels).
* Instance ids, depth and unoccluded silhouettes come from flat passes
  (:mod:`renderers.visual.flat_passes`) drawn with pyrender's segmentation program: the pixels and
  depth of pyrender's SEG pass, bit for bit, without its unused read-backs; silhouettes of up to
  24 objects share one pass. Like the SEG pass they cull back faces (pyrender ignores
  ``doubleSided`` there): meshes need consistent outward winding or their ids have holes.
* Every pass is counted (:attr:`MeshRasterRenderer.passes`): per sample, one colour pass, one id
  pass (reused by :meth:`MeshRasterRenderer.render` when the layout check just made it) and the
  silhouette passes the sampler asks for while sizing objects.
* pyrender's ``OffscreenRenderer.delete()`` terminates the process-wide EGL display under every
  other renderer; :meth:`MeshRasterRenderer.close` uses
  :func:`renderers.visual.gl_platform.release_offscreen` instead.
* When a mesh leaves the pyrender scene, pyrender deletes its GL buffers at the next render, and
  re-uploads them when it comes back. This renderer keeps uploaded meshes resident (see
  :meth:`MeshRasterRenderer._keep_resident`) so the per-sample cost is only node bookkeeping.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import trimesh

from renderers.acoustic.room_kinds import room_kind
from renderers.visual.flat_passes import (BITS_PER_PASS, FlatTarget, draw_ids, draw_silhouette_bits,
                                          read_color_only, read_depth_m)
from renderers.visual.gl_platform import import_pyrender, release_offscreen
from renderers.visual.textures import KINDS, procedural_texture
from simulator.core.camera import pinhole
from simulator.core.geometry import OPENGL_CAMERA_AXES, PinholeCamera, direction, pose_matrix
from simulator.core.render import VisualRender
from simulator.core.scene import TEXTURE_SEEDS, Scene, SceneObject

#: Largest instance id the 24-bit segmentation encoding can hold.
MAX_INSTANCE_ID = 2 ** 24 - 1

#: Exponent of pyrender's output encoding (its mesh shader writes ``pow(linear, 1 / 2.2)``).
DISPLAY_GAMMA = 2.2


def id_to_rgb(object_id: int) -> np.ndarray:
    """24-bit id -> (3,) uint8 colour (R = bits 16-23, G = bits 8-15, B = bits 0-7)."""
    i = int(object_id)
    return np.array([(i >> 16) & 255, (i >> 8) & 255, i & 255], dtype=np.uint8)


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 segmentation colours -> (...) int32 ids; inverse of :func:`id_to_rgb`."""
    c = np.asarray(rgb)
    return ((c[..., 0].astype(np.int32) << 16) | (c[..., 1].astype(np.int32) << 8)
            | c[..., 2].astype(np.int32))


def light_pose_from(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """4x4 pose of a pyrender ``DirectionalLight`` whose light comes FROM (azimuth, elevation).

    pyrender lights shine along the node's -z axis, so the node's +z axis points towards the light
    (world frame, degrees as in :func:`simulator.core.geometry.direction`).
    """
    z = direction(azimuth_deg, elevation_deg)
    up = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.99 else np.array([1.0, 0.0, 0.0])
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, y, z
    return pose


@dataclass
class _CachedMesh:
    mesh: Any            # pyrender.Mesh
    radius_m: float      # bounding-sphere radius about the mesh origin, before scale


class MeshRasterRenderer:
    """Headless pyrender raster of a Scene's objects. One per worker process, reused across samples.

    Holds one OpenGL context (via pyrender's ``OffscreenRenderer``, resized in place when the image
    size changes), one pyrender scene whose camera, light and object nodes are updated per sample,
    and a cache of pyrender meshes keyed by ``SceneObject.mesh``. Not thread-safe.

    Objects whose bounding sphere lies entirely outside the view frustum are not drawn.

    Parameters
    ----------
    mesh_loader:
        Maps ``SceneObject.mesh`` (a string key) to a ``trimesh.Trimesh`` in metres, bounding box
        centred at the origin, +z up, front towards +x. Called once per key.
    znear_m, zfar_m:
        Near and far clipping distances along the optical axis, metres. Depth resolution of the
        24-bit z-buffer is about ``depth**2 / znear_m * 6e-8`` metres (0.1 mm at 10 m).
    antialias:
        4x multisampled colour pass (pyrender's default). ``False`` renders rgb with one sample
        per pixel at its centre: aliased edges that coincide with ``instance_ids``, and about half
        the colour-pass time on Mesa llvmpipe, which shades every sample.
    max_resident_meshes:
        How many uploaded meshes stay in GPU memory while unused (least recently used evicted).
    """

    def __init__(self, mesh_loader: Callable[[str], trimesh.Trimesh], znear_m: float = 0.05,
                 zfar_m: float = 1000.0, antialias: bool = True, max_resident_meshes: int = 256) -> None:
        self._pyrender = import_pyrender()
        pr = self._pyrender
        self._loader = mesh_loader
        self._znear = float(znear_m)
        self._zfar = float(zfar_m)
        self._antialias = bool(antialias)
        if not 0.0 < self._znear < self._zfar:
            raise ValueError(f"need 0 < znear_m < zfar_m, got {znear_m}, {zfar_m}")
        self._max_resident = int(max_resident_meshes)
        self._meshes: dict[str, _CachedMesh] = {}
        self._offscreen: Any = None
        self._size: tuple[int, int] | None = None

        self._scene = pr.Scene(bg_color=np.zeros(4), ambient_light=np.zeros(3))
        self._cam = pr.IntrinsicsCamera(fx=1.0, fy=1.0, cx=0.5, cy=0.5, znear=self._znear, zfar=self._zfar)
        self._cam_node = self._scene.add(self._cam, pose=np.eye(4))
        self._light = pr.DirectionalLight(color=np.ones(3), intensity=1.0)
        self._light_node = self._scene.add(self._light, pose=np.eye(4))
        # Object nodes currently in the pyrender scene, pooled by mesh key; node -> object id.
        self._nodes_by_key: dict[str, list[Any]] = {}
        self._node_ids: dict[Any, int] = {}
        self._seg_colors: dict[Any, np.ndarray] = {}
        self._color_flags = pr.RenderFlags.NONE
        self._resident: dict[Any, None] = {}  # pyrender.Mesh uploaded to the context, LRU order
        self._backdrop_nodes: list[Any] = []  # backdrop or room-wall nodes of the current scene
        self._quad_meshes: dict[tuple, Any] = {}  # (texture, seed) -> textured unit quad, LRU
        self._patterns: dict[tuple, np.ndarray] = {}  # (texture, seed) -> procedural_texture image, LRU
        self._backdrop_key: tuple | None = None  # the surfaces now in the scene (_sync_backdrop)
        # Own framebuffers of the flat passes (renderers/visual/flat_passes.py): the id pass's is
        # multisampled like pyrender's main one (its depth is then pyrender's, bit for bit).
        self._ids_target = FlatTarget(samples=4)
        self._silhouette_target = FlatTarget()
        # The last id pass: its camera and objects (_ids_key), ids, and depth once read back.
        self._ids_key: tuple | None = None
        self._ids: np.ndarray | None = None
        self._depth: np.ndarray | None = None
        #: Raster passes made, by kind (``colour``, ``ids``, ``silhouettes``); see :attr:`pass_count`.
        self.passes: dict[str, int] = {}
        #: Seconds spent in :meth:`render`, :meth:`render_ids` and :meth:`render_amodal` so far.
        self.raster_s = 0.0

    # ------------------------------------------------------------------ public API

    def render(self, scene: Scene) -> VisualRender:
        """Render ``scene``: rgb (uint8), depth (float32, metres along +x), instance ids (int32).

        Two passes at most: the shaded colour pass and the flat id pass (depth-tested); the id
        pass is skipped when :meth:`render_ids` just made it for the same camera and objects (the
        layout the sampler checked), its depth buffer read back then."""
        start = time.perf_counter()
        try:
            h, w = scene.camera.height, scene.camera.width
            self._sync(scene)
            bg = self._background_rgb(scene)
            if not self._node_ids:
                return VisualRender(rgb=np.broadcast_to(bg, (h, w, 3)).copy(),
                                    depth=np.zeros((h, w), np.float32),
                                    instance_ids=np.zeros((h, w), np.int32))
            ids, depth = self._ids_pass(scene, w, h, with_depth=True)
            r = self._renderer(w, h)
            self._keep_resident()
            inner = r._renderer
            inner._read_main_framebuffer = lambda _scene, _flags: (read_color_only(inner), None)
            try:
                self._count("colour")
                if self._antialias:
                    color, _ = r.render(self._scene, flags=self._color_flags)
                else:
                    with _multisampling_off():
                        color, _ = r.render(self._scene, flags=self._color_flags)
            finally:
                del inner._read_main_framebuffer  # back to pyrender's own method
            return VisualRender(rgb=np.ascontiguousarray(color), depth=depth.copy(), instance_ids=ids.copy())
        finally:
            self.raster_s += time.perf_counter() - start

    def render_ids(self, scene: Scene) -> np.ndarray:
        """The (H, W) int32 instance-id image of ``scene`` alone (one flat pass, no colour, no
        depth read): the ids :meth:`render` would give."""
        start = time.perf_counter()
        try:
            h, w = scene.camera.height, scene.camera.width
            self._sync(scene, backdrop=False)
            if not self._node_ids:
                return np.zeros((h, w), np.int32)
            return self._ids_pass(scene, w, h, with_depth=False)[0].copy()
        finally:
            self.raster_s += time.perf_counter() - start

    def render_amodal(self, scene: Scene, object_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Boolean (H, W) silhouette of each listed object rendered alone (unoccluded).

        Up to :data:`~renderers.visual.flat_passes.BITS_PER_PASS` objects share one flat pass
        (:func:`~renderers.visual.flat_passes.draw_silhouette_bits`, one colour bit each, no depth
        test); each mask is exactly the object's silhouette as if rendered alone. An object
        outside the view frustum gets an all-False mask; an id not in the scene raises ``KeyError``.
        """
        start = time.perf_counter()
        try:
            h, w = scene.camera.height, scene.camera.width
            self._sync(scene, backdrop=False)
            by_id = {oid: node for node, oid in self._node_ids.items()}
            out: dict[int, np.ndarray] = {}
            drawn: list[tuple[int, Any]] = []
            for oid in object_ids:
                oid = int(oid)
                scene.object_by_id(oid)  # KeyError for unknown ids
                node = by_id.get(oid)
                if node is None:
                    out[oid] = np.zeros((h, w), dtype=bool)
                else:
                    drawn.append((oid, node))
            if drawn:
                r = self._renderer(w, h)
                self._keep_resident()
                for first in range(0, len(drawn), BITS_PER_PASS):
                    group = drawn[first:first + BITS_PER_PASS]
                    with self._flat_context(r):
                        self._count("silhouettes")
                        bits = draw_silhouette_bits(r._renderer, self._silhouette_target, self._scene,
                                                    [node for _, node in group], w, h)
                    for k, (oid, _node) in enumerate(group):
                        out[oid] = (bits & (1 << k)) != 0
            return out
        finally:
            self.raster_s += time.perf_counter() - start

    @property
    def pass_count(self) -> int:
        """Raster passes made so far (every draw into a framebuffer that is read back)."""
        return sum(self.passes.values())

    def gl_info(self) -> dict[str, str]:
        """What this renderer runs on: ``platform`` (PyOpenGL's, ``PYOPENGL_PLATFORM``),
        ``device`` (``EGL_DEVICE_ID``, the EGL device index pyrender opens; 0 when unset) and the
        context's ``GL_VENDOR``, ``GL_RENDERER`` and ``GL_VERSION`` strings (creates the context if
        no render has yet)."""
        import os

        from OpenGL import GL

        r = self._offscreen if self._offscreen is not None else self._renderer(64, 64)
        r._platform.make_current()
        try:
            strings = {name: GL.glGetString(getattr(GL, f"GL_{name.upper()}")) for name in ("vendor", "renderer",
                                                                                         "version")}
        finally:
            r._platform.make_uncurrent()
        info = {"platform": os.environ.get("PYOPENGL_PLATFORM", ""),
                "device": os.environ.get("EGL_DEVICE_ID", "0")}
        info.update({k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in strings.items()})
        return info

    # ------------------------------------------------------------------ passes

    def _count(self, kind: str) -> None:
        self.passes[kind] = self.passes.get(kind, 0) + 1

    @contextmanager
    def _flat_context(self, offscreen: Any) -> Iterator[None]:
        """The offscreen context current for a flat pass; afterwards the default framebuffer is
        bound again (pyrender's own passes expect it on platforms without framebuffer objects)."""
        from OpenGL.GL import GL_FRAMEBUFFER, glBindFramebuffer

        offscreen._platform.make_current()
        try:
            yield
        finally:
            glBindFramebuffer(GL_FRAMEBUFFER, 0)
            offscreen._platform.make_uncurrent()

    def _ids_pass(self, scene: Scene, w: int, h: int, with_depth: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """(ids, depth or None) of the synced scene: the last id pass when it was of the same
        camera and objects (its depth read from the id framebuffer if not read yet), else a new one."""
        key = _ids_key(scene)
        if key != self._ids_key:
            r = self._renderer(w, h)
            self._keep_resident()
            with self._flat_context(r):
                self._count("ids")
                seg = draw_ids(r._renderer, self._ids_target, self._scene, self._seg_colors, w, h)
            self._ids_key, self._ids, self._depth = key, rgb_to_id(seg), None
        if with_depth and self._depth is None:
            r = self._renderer(w, h)
            with self._flat_context(r):
                self._depth = read_depth_m(self._ids_target, self._znear, self._zfar)
        return self._ids, self._depth

    def close(self) -> None:
        """Free the GL context and all uploaded meshes. The renderer is unusable afterwards."""
        if self._offscreen is not None:
            self._release_resident()
            if self._offscreen._platform is not None:
                self._offscreen._platform.make_current()
                self._ids_target.delete()
                self._silhouette_target.delete()
            self._ids_key = self._ids = self._depth = None
            self._backdrop_key = None
            release_offscreen(self._offscreen)
            self._offscreen = None
            self._size = None

    def __enter__(self) -> "MeshRasterRenderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Without this, pyrender's own finaliser would eglTerminate the shared display.
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown, context already gone
            pass

    # ------------------------------------------------------------------ internals

    def _renderer(self, width: int, height: int) -> Any:
        """The OffscreenRenderer at this size: created once; a size change resizes its framebuffer."""
        if self._offscreen is not None and self._size != (width, height):
            if self._offscreen._platform.supports_framebuffers():
                # EGL renders to framebuffer objects, which pyrender reallocates for the new
                # viewport: the context and the uploaded meshes survive.
                self._offscreen.viewport_width = width
                self._offscreen.viewport_height = height
            else:
                # e.g. OSMesa: the context itself has the image size; start a fresh one.
                self.close()
        if self._offscreen is None:
            self._offscreen = self._pyrender.OffscreenRenderer(width, height)
        self._size = (width, height)
        return self._offscreen

    @staticmethod
    def _background_rgb(scene: Scene) -> np.ndarray:
        lin = np.clip(np.asarray(scene.background.color, dtype=float), 0.0, 1.0)
        return np.round(255.0 * lin ** (1.0 / DISPLAY_GAMMA)).astype(np.uint8)

    def _mesh(self, key: str) -> _CachedMesh:
        cached = self._meshes.get(key)
        if cached is None:
            tm = self._loader(key)
            if not isinstance(tm, trimesh.Trimesh):
                raise TypeError(f"mesh_loader({key!r}) returned {type(tm).__name__}, expected trimesh.Trimesh")
            radius = float(np.max(np.linalg.norm(tm.vertices, axis=1))) if len(tm.vertices) else 0.0
            # pyrender refuses face colours on a smooth (vertex-normal) mesh: shade those flat.
            smooth = getattr(tm.visual, "kind", None) != "face"
            cached = _CachedMesh(self._pyrender.Mesh.from_trimesh(tm, smooth=smooth), radius)
            self._meshes[key] = cached
        return cached

    def _sync(self, scene: Scene, backdrop: bool = True) -> None:
        """Update the pyrender scene (camera, light, background, object nodes) to ``scene``."""
        cam = scene.camera
        pin = pinhole(cam)
        f = pin.focal_px
        cx, cy = pin.principal_point
        self._cam.fx = self._cam.fy = f
        self._cam.cx, self._cam.cy = cx, cy
        cam_pose = np.eye(4)
        cam_pose[:3, :3] = pin.rotation @ OPENGL_CAMERA_AXES if pin.rotated else OPENGL_CAMERA_AXES
        cam_pose[:3, 3] = cam.position_m
        self._scene.set_pose(self._cam_node, cam_pose)

        lt = scene.lighting
        self._light.intensity = float(lt.key_intensity)
        self._scene.set_pose(self._light_node, light_pose_from(lt.key_azimuth_deg, lt.key_elevation_deg))
        self._scene.ambient_light = np.full(3, float(lt.ambient))
        bg = self._background_rgb(scene) / 255.0
        self._scene.bg_color = np.array([bg[0], bg[1], bg[2], 1.0])
        self._sync_backdrop(scene, pin, backdrop)

        frustum = _Frustum(pin, self._znear, self._zfar)
        wanted: dict[str, list[SceneObject]] = {}
        seen: set[int] = set()
        for obj in scene.objects:
            oid = int(obj.id)
            if not 1 <= oid <= MAX_INSTANCE_ID:
                raise ValueError(f"object id {oid} outside [1, {MAX_INSTANCE_ID}] (0 is the background)")
            if oid in seen:
                raise ValueError(f"duplicate object id {oid} in scene")
            seen.add(oid)
            cached = self._mesh(obj.mesh)
            if frustum.may_see(np.asarray(obj.position_m, float), cached.radius_m * abs(float(obj.scale))):
                wanted.setdefault(obj.mesh, []).append(obj)

        # Reuse pooled nodes per mesh key; add or remove only the difference.
        self._node_ids.clear()
        self._seg_colors.clear()
        for key in list(self._nodes_by_key):
            if key not in wanted:
                for node in self._nodes_by_key.pop(key):
                    self._scene.remove_node(node)
        for key, objs in wanted.items():
            pool = self._nodes_by_key.setdefault(key, [])
            while len(pool) > len(objs):
                self._scene.remove_node(pool.pop())
            mesh = self._meshes[key].mesh
            for i, obj in enumerate(objs):
                pose = pose_matrix(obj.position_m, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale)
                if i < len(pool):
                    self._scene.set_pose(pool[i], pose)
                else:
                    pool.append(self._scene.add(mesh, pose=pose))
                self._node_ids[pool[i]] = int(obj.id)
                self._seg_colors[pool[i]] = id_to_rgb(obj.id)

    def _sync_backdrop(self, scene: Scene, pin: PinholeCamera, wanted: bool) -> None:
        """Show the Scene's backdrop plane or room walls (``Background.kind``), or nothing.

        A backdrop faces the camera at ``distance_m`` along +x and overfills the view by 5 %; room
        walls are the inward faces its room kind gives (``RoomKind.wall_quads``: a shoebox's six). Both are drawn in the colour pass only: they
        are background (id 0, depth 0) and, lying behind every object, never hide one. Each surface
        is a cached unit quad textured with a tint-free pattern (``procedural_texture``), placed by
        its pose and tinted through its material's base colour, so a sample costs no texture work
        once its (texture, seed) pairs have been seen. ``wanted`` False (flat passes, which never
        draw them) leaves the surfaces as they are; the same surfaces as now are not re-added.
        """
        if not wanted:
            return
        bg = scene.background
        if bg.kind not in ("backdrop", "room"):
            self._set_backdrop(None, [])
            return
        if bg.texture is None:
            raise ValueError(f"a {bg.kind} background needs a texture")
        tint = np.clip(np.asarray(bg.color, float), 0.0, 1.0)
        if bg.kind == "backdrop":
            if bg.distance_m is None:
                raise ValueError("a backdrop background needs distance_m")
            d = float(bg.distance_m)
            pose = np.diag([1.0, 1.05 * d * pin.width / (2 * pin.focal_px),
                            1.05 * d * pin.height / (2 * pin.focal_px), 1.0])
            if pin.rotated:  # it faces the camera wherever the camera looks
                pose[:3, :3] = pin.rotation @ pose[:3, :3]
            pose[:3, 3] = np.asarray(pin.position, float) + pin.to_world(np.array([d, 0.0, 0.0]))
            surfaces = [(int(bg.texture_seed), pose, tint)]
        else:
            room = scene.room
            quads = room_kind(room).wall_quads(room)
            if quads is None:
                raise ValueError(f"a room background needs a room whose walls the raster can draw (a shoebox with "
                                 f"size_m and listener_position_m), got room.type {room.type!r}")
            surfaces = [(int(bg.texture_seed) + k, _quad_pose(quad), tint * (0.6 if name == "floor" else 1.0))
                        for k, (name, quad) in enumerate(quads)]  # the floor a little darker
        key = (bg.texture, tuple((seed, pose.tobytes(), np.asarray(color, float).tobytes())
                                 for seed, pose, color in surfaces))
        self._set_backdrop(key, [(bg.texture, seed, pose, color) for seed, pose, color in surfaces])

    def _set_backdrop(self, key: tuple | None, surfaces: list[tuple[str, int, np.ndarray, np.ndarray]]) -> None:
        """Make the backdrop nodes show ``surfaces`` ((texture, seed, 4x4 pose, linear RGB tint)),
        identified by ``key``; nothing to do when they already do."""
        if key is not None and key == self._backdrop_key:
            return
        for node in self._backdrop_nodes:
            self._scene.remove_node(node)
        self._backdrop_nodes = []
        for texture, seed, pose, color in surfaces:
            mesh = self._textured_quad_mesh(texture, seed)
            mesh.primitives[0].material.baseColorFactor = np.append(color, 1.0)
            self._backdrop_nodes.append(self._scene.add(mesh, pose=pose))
        self._backdrop_key = key

    def _textured_quad_mesh(self, texture: str, seed: int) -> Any:
        """The unit quad showing pattern (texture, seed), cached (LRU of ``_MAX_TEXTURED_QUADS``).
        A room uses six at once, so each mesh appears at most once per scene."""
        key = (texture, seed)
        mesh = self._quad_meshes.pop(key, None)
        if mesh is None:
            mesh = self._pyrender.Mesh.from_trimesh(_textured_quad(self._pattern(texture, seed)), smooth=False)
            mesh.primitives[0].material.doubleSided = True
        self._quad_meshes[key] = mesh  # most recent last
        while len(self._quad_meshes) > _MAX_TEXTURED_QUADS:
            self._quad_meshes.pop(next(iter(self._quad_meshes)))
        return mesh

    def _pattern(self, texture: str, seed: int) -> np.ndarray:
        """``procedural_texture(texture, seed)``, kept (LRU of ``_MAX_PATTERNS``, 48 KiB each): the
        quads themselves (80 KiB each, and GL memory) are kept for fewer pairs than a spec draws."""
        key = (texture, seed)
        image = self._patterns.pop(key, None)
        if image is None:
            image = procedural_texture(texture, seed)
        self._patterns[key] = image
        while len(self._patterns) > _MAX_PATTERNS:
            self._patterns.pop(next(iter(self._patterns)))
        return image

    def _keep_resident(self) -> None:
        """Stop pyrender from deleting the GL buffers of cached meshes that left the scene.

        At each render pyrender's renderer deletes the buffers (and textures) of every mesh in its
        ``_meshes`` set (``_mesh_textures``) that is no longer in the scene, and uploads those in
        the scene but not in the set. Setting the sets to what the scene holds and is already
        uploaded makes both steps no-ops for resident meshes. Unused meshes beyond
        ``max_resident_meshes`` are freed, least recently used first. Relies on pyrender internals
        (``Renderer._meshes``, ``Renderer._mesh_textures``, ``Primitive._vaid``,
        ``Texture._texid``); if they change this degrades to re-uploading, not to wrong images.
        """
        inner = getattr(self._offscreen, "_renderer", None)
        if inner is None or not hasattr(inner, "_meshes") or not hasattr(inner, "_mesh_textures"):
            return
        in_scene = self._scene.meshes
        for m in inner._meshes:          # uploaded by earlier renders
            self._resident[m] = None
        for m in in_scene:               # most recently used last
            if m in self._resident:
                self._resident.pop(m)
                self._resident[m] = None
        evict = []
        while len(self._resident) > max(self._max_resident, len(in_scene)):
            old = next(iter(self._resident))
            if old in in_scene:
                break
            self._resident.pop(old)
            evict.append(old)
        if evict:
            self._offscreen._platform.make_current()
            for m in evict:
                _free_mesh(m)
        inner._meshes = {m for m in in_scene if all(_uploaded(p) for p in m.primitives)}
        inner._mesh_textures = {t for m in inner._meshes for p in m.primitives
                                for t in p.material.textures if _uploaded(t)}

    def _release_resident(self) -> None:
        """Free the GL buffers of every resident mesh (the context must still exist)."""
        inner = getattr(self._offscreen, "_renderer", None)
        if inner is None:
            return
        self._offscreen._platform.make_current()
        for m in set(self._resident) | set(getattr(inner, "_meshes", ())):
            _free_mesh(m)
        inner._meshes = set()
        inner._mesh_textures = set()
        self._resident.clear()


#: How many textured background quads stay cached (a few textures per sample, 4 kinds x 256 seeds).
_MAX_TEXTURED_QUADS = 256

#: How many procedural wall patterns stay cached (48 KiB each at 128 x 128, so 24 MiB): about half
#: of the (texture kind, seed) pairs rooms draw (4 kinds x (TEXTURE_SEEDS + 5 walls after the
#: first) = 1044), which keeps a worker's memory within budget.
_MAX_PATTERNS = (len(KINDS) * (TEXTURE_SEEDS + 5)) // 2


def _quad_pose(corners: np.ndarray) -> np.ndarray:
    """4x4 transform taking :func:`_textured_quad`'s unit quad (corners (0, 1, 1), (0, -1, 1),
    (0, -1, -1), (0, 1, -1)) onto a rectangle with corners (top-left, top-right, bottom-right,
    bottom-left as seen from its front)."""
    tl, tr, br, bl = np.asarray(corners, float)
    u = (tl - tr) / 2.0          # image of the unit quad's +y
    w = (tl - bl) / 2.0          # image of +z
    n = np.cross(u, w)
    n /= np.linalg.norm(n)       # the unit quad faces -x: x maps to the normal's opposite side
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = n, u, w
    pose[:3, 3] = (tl + br) / 2.0
    return pose


def _textured_quad(image: np.ndarray, corners: np.ndarray | None = None) -> trimesh.Trimesh:
    """A quad showing ``image``: by default the unit quad in the y-z plane (|y|, |z| <= 1) facing
    -x, upright as seen by a camera looking along +x (image left at +y, image top at +z); or the
    given ``corners`` (top-left, top-right, bottom-right, bottom-left as seen from its front)."""
    from PIL import Image

    vertices = np.array([[0.0, 1.0, 1.0], [0.0, -1.0, 1.0], [0.0, -1.0, -1.0], [0.0, 1.0, -1.0]]) \
        if corners is None else np.asarray(corners, float)
    faces = np.array([[0, 2, 1], [0, 3, 2]])  # normals along -x, towards the camera
    uv = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.fromarray(image))
    return trimesh.Trimesh(vertices=vertices, faces=faces, visual=visual, process=False)


def _uploaded(gl_object: Any) -> bool:
    """True if a pyrender Primitive or Texture currently has GL buffers."""
    return getattr(gl_object, "_vaid", getattr(gl_object, "_texid", None)) is not None


def _free_mesh(mesh: Any) -> None:
    """Delete a pyrender Mesh's GL buffers and textures (the context must be current)."""
    for p in mesh.primitives:
        if _uploaded(p):
            p.delete()
        for t in p.material.textures:
            if _uploaded(t):
                t.delete()


@contextmanager
def _multisampling_off() -> Iterator[None]:
    """Make pyrender's colour pass single-sampled (it enables GL_MULTISAMPLE unconditionally).

    Swaps the ``glEnable`` that ``pyrender.renderer`` calls for one that disables multisampling
    instead, for the duration of one render call in this (single-threaded) process.
    """
    import pyrender.renderer as prr
    from OpenGL.GL import GL_MULTISAMPLE, glDisable

    original = prr.glEnable

    def gl_enable(cap: int) -> None:
        if cap == GL_MULTISAMPLE:
            glDisable(GL_MULTISAMPLE)
        else:
            original(cap)

    prr.glEnable = gl_enable
    try:
        yield
    finally:
        prr.glEnable = original


class _Frustum:
    """Conservative bounding-sphere test against the camera's view frustum."""

    def __init__(self, pin: PinholeCamera, znear: float, zfar: float) -> None:
        f = pin.focal_px
        cx, cy = pin.principal_point
        self.pin = pin
        self.znear = znear
        self.zfar = zfar
        # Half-space tests in camera coords (X right = -y, Y up = +z, Z forward = +x):
        # a point is outside if n . (X, Y, Z) > 0 for some side-plane normal n (unit length).
        normals = np.array([[1.0, 0.0, -(pin.width - cx) / f],    # right edge  u = W
                            [-1.0, 0.0, -cx / f],                 # left edge   u = 0
                            [0.0, 1.0, -cy / f],                  # top edge    v = 0
                            [0.0, -1.0, -(pin.height - cy) / f]])  # bottom edge v = H
        self.normals = normals / np.linalg.norm(normals, axis=1, keepdims=True)

    def may_see(self, centre: np.ndarray, radius: float) -> bool:
        p = self.pin.to_camera(centre)  # (forward, left, up)
        cam = np.array([-p[1], p[2], p[0]])
        r = 1.001 * radius + 1e-6
        if cam[2] + r < self.znear or cam[2] - r > self.zfar:
            return False
        return bool(np.all(self.normals @ cam <= r))


def _ids_key(scene: Scene) -> tuple:
    """What an id pass of ``scene`` depends on: image size, field of view, camera pose and
    every object's id, mesh and pose."""
    cam = scene.camera
    return (cam.width, cam.height, float(cam.hfov_deg), tuple(cam.position_m), cam.yaw_deg, cam.pitch_deg,
            tuple((int(o.id), o.mesh, tuple(o.position_m), o.yaw_deg, o.pitch_deg, o.roll_deg, o.scale)
                  for o in scene.objects))
