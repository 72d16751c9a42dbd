"""Image backends as a registry: ``IMAGE_BACKENDS.get(name)`` for the spec's ``image.renderer``
and the Scene's ``image.backend`` (mesh, diffusion, photos); see :mod:`.base` for the interface
and how to add one."""
from __future__ import annotations

from ..core.image import IMAGE_OPTIONS
from ..core.registry import Registry
from .base import ImageBackend, ImageRenderer, NoSample, SceneSampler
from .diffusion import DiffusionBackend
from .mesh import MeshBackend
from .photos import PhotoBackend


def _check(name: str, entry: ImageBackend) -> None:
    if not isinstance(entry, ImageBackend) or entry.name != name:
        raise TypeError(f"image backend {name!r} must be an ImageBackend instance named {name!r}")
    if getattr(entry.options_type, "name", None) != name:
        raise TypeError(f"image backend {name!r}: its options_type must be an ImageOptions dataclass named {name!r}")


IMAGE_BACKENDS: Registry[ImageBackend] = Registry("image backend", _check)


def register_backend(backend: ImageBackend) -> ImageBackend:
    """Register ``backend`` and its Scene options type under ``backend.name``."""
    IMAGE_BACKENDS.register(backend.name, backend)
    if backend.name not in IMAGE_OPTIONS:
        IMAGE_OPTIONS.register(backend.name, backend.options_type)
    return backend


def unregister_backend(name: str) -> None:
    """Remove a backend (and its options type unless it is a built-in one)."""
    IMAGE_BACKENDS.unregister(name)
    if name not in BUILT_IN:
        IMAGE_OPTIONS.unregister(name)


BUILT_IN = ("mesh", "diffusion", "photos")
for _backend in (MeshBackend(), DiffusionBackend(), PhotoBackend()):
    register_backend(_backend)

__all__ = ["IMAGE_BACKENDS", "ImageBackend", "ImageRenderer", "NoSample", "SceneSampler", "register_backend",
           "unregister_backend"]
