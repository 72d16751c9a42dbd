"""The one place that decides which PyOpenGL platform headless rendering uses.

PyOpenGL binds its platform (``egl``, ``osmesa``, ``glx``...) from the environment variable
``PYOPENGL_PLATFORM`` the first time ``OpenGL`` is imported, and pyrender imports ``OpenGL`` when
it is imported itself. So the choice must be made before anything imports pyrender: import
pyrender only through :func:`import_pyrender`.

Policy: an existing ``PYOPENGL_PLATFORM`` is respected (a user or a cluster job can force
``osmesa``); otherwise :data:`DEFAULT_PLATFORM` (``egl``: Mesa's llvmpipe on a CPU-only machine,
the GPU driver where there is one) is used when an EGL library is installed, and ``osmesa``
(Mesa's off-screen software renderer, Debian package ``libosmesa6``) when only that is.

Device: on EGL, pyrender opens the EGL device whose index (among ``eglQueryDevicesEXT``'s) is the
environment variable ``EGL_DEVICE_ID`` (0 when unset): a GPU with its EGL driver, or Mesa's
``llvmpipe`` on a CPU-only machine. ``MeshRasterRenderer.gl_info()`` says which renderer a
context got (docs/scale.md, "Rendering on a GPU").

Pitfall: pyrender's ``OffscreenRenderer.delete()`` calls ``eglTerminate`` on the process-wide EGL
display, which invalidates every *other* EGL context in the process. Free renderers with
:func:`release_offscreen` instead.
"""
from __future__ import annotations

import os
import sys
import warnings
from types import ModuleType
from typing import Any

#: Platform used when ``PYOPENGL_PLATFORM`` is not set.
DEFAULT_PLATFORM = "egl"

_ENV = "PYOPENGL_PLATFORM"


def choose_platform() -> str:
    """Set ``PYOPENGL_PLATFORM`` if it is unset and return the platform name in effect.

    Warns if PyOpenGL was already imported before the variable was set here, since the choice
    then comes too late to take effect.
    """
    if _ENV in os.environ and os.environ[_ENV]:
        return os.environ[_ENV]
    if "OpenGL.platform" in sys.modules:
        warnings.warn(
            f"PyOpenGL was imported before {_ENV} was set; setting it to {DEFAULT_PLATFORM!r} now has no "
            "effect and headless rendering may fail. Import pyrender through "
            "renderers.visual.gl_platform.import_pyrender() or set the variable before starting Python.",
            RuntimeWarning, stacklevel=2)
    platform = DEFAULT_PLATFORM if _has_library("EGL") or not _has_library("OSMesa") else "osmesa"
    os.environ[_ENV] = platform
    return platform


def _has_library(name: str) -> bool:
    import ctypes.util

    return ctypes.util.find_library(name) is not None


def import_pyrender() -> ModuleType:
    """Choose the platform (:func:`choose_platform`), then import and return ``pyrender``."""
    choose_platform()
    import pyrender  # noqa: PLC0415 - must follow the platform choice

    return pyrender


def release_offscreen(offscreen: Any) -> None:
    """Free a ``pyrender.OffscreenRenderer`` without breaking other renderers in the process.

    On EGL the context is destroyed but the shared display is left initialised (pyrender's own
    ``delete()`` would ``eglTerminate`` it under every other live context). Other platforms use
    pyrender's ``delete()``.
    """
    platform = getattr(offscreen, "_platform", None)
    if platform is None:
        return
    display = getattr(platform, "_egl_display", None)
    context = getattr(platform, "_egl_context", None)
    if type(platform).__name__ != "EGLPlatform" or display is None:
        offscreen.delete()
        return
    from OpenGL.EGL import EGL_NO_CONTEXT, EGL_NO_SURFACE, eglDestroyContext, eglMakeCurrent

    platform.make_current()
    offscreen._renderer.delete()
    eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)
    if context is not None:
        eglDestroyContext(display, context)
    platform._egl_context = None
    platform._egl_display = None
    offscreen._renderer = None
    offscreen._platform = None
