"""Executors as a registry: ``EXECUTORS.get(name)`` for ``simulate --executor`` (``local``, ``ray``);
see :mod:`.base` for the interface and how to add one."""
from __future__ import annotations

from ..core.registry import Registry
from ..errors import SampleError
from .base import Executor
from .local import LocalExecutor
from .ray_executor import RayExecutor


def _check(name: str, entry: type) -> None:
    if not (isinstance(entry, type) and issubclass(entry, Executor)) or entry.name != name:
        raise TypeError(f"executor {name!r} must be an Executor subclass named {name!r}")


EXECUTORS: Registry[type[Executor]] = Registry("executor", _check)
EXECUTORS.register(LocalExecutor.name, LocalExecutor)
EXECUTORS.register(RayExecutor.name, RayExecutor)

__all__ = ["EXECUTORS", "Executor", "SampleError"]
