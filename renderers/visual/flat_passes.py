"""Flat (unshaded) raster passes into this module's own single-sample framebuffer, drawn with
pyrender's own segmentation program, so that they cover exactly the pixels pyrender's SEG pass
covers, at a fraction of its cost.

pyrender's SEG pass (``RenderFlags.SEG``) draws into its 4x multisampled main framebuffer with
multisampling disabled (one coverage sample at the pixel centre), then resolves colour and depth
into a second framebuffer and always reads back both, converting the whole depth image to metres.
The passes here draw the same primitives with the same program, the same matrices (pyrender's
``_get_camera_matrices``, node poses) and the same state (back faces culled, ``GL_LESS`` depth
test, draw order of pyrender's ``_sorted_mesh_nodes``) into one single-sample RGBA8 + 24-bit depth
framebuffer, and read back only what the caller uses:

* :func:`draw_ids` - instance ids with the depth test (pyrender's SEG pass without its copies);
  the depth buffer stays in the framebuffer and :func:`read_depth_m` reads it only when asked.
* :func:`draw_silhouette_bits` - several objects' *unoccluded* silhouettes in one pass: depth
  test off, each object drawn with one bit of the 24-bit colour and the colour buffer combined
  with ``glLogicOp(GL_OR)``; an object's silhouette is where its bit is set, exactly the pixels
  its own SEG pass would cover (the union of its front-facing fragments inside the clip volume).

Relies on pyrender internals (``Renderer._update_context``, ``_get_camera_matrices``,
``_sorted_mesh_nodes``, ``_get_primitive_program``, ``_bind_and_draw_primitive``); the tests
compare every output with pyrender's own SEG pass on many scenes.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

#: How many objects one silhouette pass holds (one bit each of the R, G and B bytes).
BITS_PER_PASS = 24


class FlatTarget:
    """A framebuffer (RGBA8 colour, 24-bit depth) of a given size in the current GL context of a
    ``pyrender.OffscreenRenderer``; reallocated when the size changes.

    ``samples`` > 1 makes it like pyrender's main framebuffer: drawn multisampled (with
    multisampling disabled, so coverage is still taken at the pixel centre, but the depth buffer
    holds the depth at each sample's position) and read back through a single-sample copy, so that
    its depth is the depth pyrender's SEG pass returns, bit for bit."""

    def __init__(self, samples: int = 1) -> None:
        self.samples = int(samples)
        self._fbs: list[int] = []            # [draw] or [draw (multisampled), resolve]
        self._rbs: list[int] = []
        self.size: tuple[int, int] | None = None  # (width, height), pixels

    def _allocate(self, width: int, height: int, samples: int) -> int:
        from OpenGL import GL

        color, depth = (int(x) for x in GL.glGenRenderbuffers(2))
        for rb, fmt in ((color, GL.GL_RGBA8), (depth, GL.GL_DEPTH_COMPONENT24)):
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
            if samples > 1:
                GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, samples, fmt, width, height)
            else:
                GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, fmt, width, height)
        fb = int(GL.glGenFramebuffers(1))
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fb)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, color)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, depth)
        status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        self._fbs.append(fb)
        self._rbs += [color, depth]
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"flat-pass framebuffer incomplete (status {status:#x})")
        return fb

    def bind(self, width: int, height: int) -> None:
        """Bind it for drawing at this size (allocating it if needed)."""
        from OpenGL import GL

        if self.size != (width, height):
            self.delete()
            self._allocate(width, height, self.samples)
            if self.samples > 1:
                self._allocate(width, height, 1)
            self.size = (width, height)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbs[0])

    def bind_for_reading(self, buffer_bit: int) -> None:
        """Bind the single-sample framebuffer for ``glReadPixels`` of colour (``GL_COLOR_BUFFER_BIT``)
        or depth (``GL_DEPTH_BUFFER_BIT``), copying that buffer out of the multisampled one first
        (colour resolved linearly, depth from one sample: pyrender's copies)."""
        from OpenGL import GL

        width, height = self.size
        if self.samples > 1:
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fbs[0])
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._fbs[1])
            GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, buffer_bit,
                                 GL.GL_LINEAR if buffer_bit == GL.GL_COLOR_BUFFER_BIT else GL.GL_NEAREST)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fbs[-1])

    def delete(self) -> None:
        """Free the framebuffers (the context must be current)."""
        from OpenGL import GL

        if self._fbs:
            GL.glDeleteFramebuffers(len(self._fbs), self._fbs)
        if self._rbs:
            GL.glDeleteRenderbuffers(len(self._rbs), self._rbs)
        self._fbs, self._rbs, self.size = [], [], None


def _draw(renderer: Any, scene: Any, colors: dict[Any, np.ndarray], width: int, height: int, *,
          depth_test: bool) -> None:
    """Draw the nodes of ``colors`` (node -> (3,) uint8 colour) with pyrender's segmentation
    program into the bound framebuffer, after clearing it (colour 0, depth 1)."""
    from OpenGL import GL
    from pyrender.constants import ProgramFlags, RenderFlags

    flags = RenderFlags.SEG
    renderer.viewport_width, renderer.viewport_height = width, height
    renderer._update_context(scene, flags)
    GL.glViewport(0, 0, width, height)
    GL.glDisable(GL.GL_MULTISAMPLE)
    GL.glDepthMask(GL.GL_TRUE)
    GL.glDepthFunc(GL.GL_LESS)
    GL.glDepthRange(0.0, 1.0)
    GL.glClearColor(0.0, 0.0, 0.0, 1.0)
    GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
    if depth_test:
        GL.glEnable(GL.GL_DEPTH_TEST)
    else:
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glEnable(GL.GL_COLOR_LOGIC_OP)
        GL.glLogicOp(GL.GL_OR)
    V, P = renderer._get_camera_matrices(scene)
    cam_pos = scene.get_pose(scene.main_camera_node)[:3, 3]
    program = None
    try:
        for node in renderer._sorted_mesh_nodes(scene):  # pyrender's order: ties in depth resolve alike
            color = colors.get(node)
            if color is None or not node.mesh.is_visible:
                continue
            for primitive in node.mesh.primitives:
                program = renderer._get_primitive_program(primitive, flags, ProgramFlags.USE_MATERIAL)
                program._bind()
                program.set_uniform("V", V)
                program.set_uniform("P", P)
                program.set_uniform("cam_pos", cam_pos)
                program.set_uniform("color", np.asarray(color) / 255.0)
                renderer._bind_and_draw_primitive(primitive=primitive, pose=scene.get_pose(node), program=program,
                                                  flags=flags)
                renderer._reset_active_textures()
    finally:
        if program is not None:
            program._unbind()
        if not depth_test:
            GL.glDisable(GL.GL_COLOR_LOGIC_OP)
    GL.glFlush()


def _read_rgb(target: FlatTarget, width: int, height: int) -> np.ndarray:
    """``target``'s (H, W, 3) uint8 colour, top row first."""
    from OpenGL import GL

    target.bind_for_reading(GL.GL_COLOR_BUFFER_BIT)
    buf = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    return np.flip(np.frombuffer(buf, dtype=np.uint8).reshape(height, width, 3), axis=0)


def rgb_bits(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 -> (...) int32 with R as bits 16-23, G 8-15, B 0-7."""
    return ((rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8)
            | rgb[..., 2].astype(np.int32))


def bit_color(bit: int) -> np.ndarray:
    """(3,) uint8 colour whose 24-bit value (:func:`rgb_bits`) is ``1 << bit``."""
    v = 1 << int(bit)
    return np.array([(v >> 16) & 255, (v >> 8) & 255, v & 255], dtype=np.uint8)


def draw_ids(renderer: Any, target: FlatTarget, scene: Any, seg_colors: dict[Any, np.ndarray],
             width: int, height: int) -> np.ndarray:
    """Depth-tested flat pass of the nodes of ``seg_colors`` (node -> (3,) uint8 id colour) into
    ``target``; returns the (H, W, 3) uint8 colours (what pyrender's SEG pass returns). The depth
    buffer stays in ``target`` until its next pass (:func:`read_depth_m`)."""
    target.bind(width, height)
    _draw(renderer, scene, seg_colors, width, height, depth_test=True)
    return _read_rgb(target, width, height)


def draw_silhouette_bits(renderer: Any, target: FlatTarget, scene: Any, nodes: Iterable[Any],
                         width: int, height: int) -> np.ndarray:
    """Unoccluded silhouettes of up to :data:`BITS_PER_PASS` nodes in one pass: returns (H, W)
    int32 where bit k is set on the pixels the k-th node covers (alone, unoccluded)."""
    nodes = list(nodes)
    if len(nodes) > BITS_PER_PASS:
        raise ValueError(f"at most {BITS_PER_PASS} silhouettes per pass, got {len(nodes)}")
    target.bind(width, height)
    _draw(renderer, scene, {node: bit_color(k) for k, node in enumerate(nodes)}, width, height, depth_test=False)
    return rgb_bits(_read_rgb(target, width, height))


def read_depth_m(target: FlatTarget, znear_m: float, zfar_m: float) -> np.ndarray:
    """The (H, W) float32 depth of ``target``'s last depth-tested pass in metres along the optical
    axis, 0.0 where nothing was drawn: pyrender's conversion of its depth buffer, step for step
    (so the values are the ones pyrender's SEG pass returns)."""
    from OpenGL import GL

    width, height = target.size
    target.bind_for_reading(GL.GL_DEPTH_BUFFER_BIT)
    buf = GL.glReadPixels(0, 0, width, height, GL.GL_DEPTH_COMPONENT, GL.GL_FLOAT)
    depth_im = np.flip(np.frombuffer(buf, dtype=np.float32).reshape((height, width)), axis=0)
    inf_inds = depth_im == 1.0
    depth_im = 2.0 * depth_im - 1.0
    noninf = np.logical_not(inf_inds)
    z_near, z_far = znear_m, zfar_m
    depth_im[noninf] = ((2.0 * z_near * z_far) / (z_far + z_near - depth_im[noninf] * (z_far - z_near)))
    depth_im[inf_inds] = 0.0
    return depth_im


def read_color_only(renderer: Any) -> np.ndarray:
    """pyrender's read-back of its main framebuffer after a colour pass, without the depth copy,
    depth read and depth conversion it always makes: resolve the multisampled colour, read RGB.
    Returns the (H, W, 3) uint8 image pyrender's ``_read_main_framebuffer`` returns."""
    from OpenGL import GL

    width, height = renderer._main_fb_dims
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb_ms)
    GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._main_fb)
    GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb)
    buf = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    return np.flip(np.frombuffer(buf, dtype=np.uint8).reshape((height, width, 3)), axis=0)
