"""Distributed data parallel helpers (``torchrun``; NCCL on GPUs, gloo on the CPU).

``train`` calls :func:`setup` first. Under ``torchrun --nproc_per_node N -m training.train ...``
(environment variables ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``)
it initialises the default process group: backend ``nccl`` when the run uses CUDA, else ``gloo``,
so multi-process training also works on a CPU-only machine. Each process takes its slice of every
global batch (``train.batch_size`` is the global batch) and DDP averages the gradients, so N
processes follow the same trajectory as one process averaging the gradients of the N slices
(batch norm statistics and the in-batch contrastive negatives are per process, as usual with DDP).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device_pref: str = "auto") -> tuple[DistInfo, torch.device]:
    """Initialise the process group when launched by torchrun; pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_pref, local if world > 1 else None)
    info = DistInfo(world, rank, local)
    if world > 1 and not dist.is_initialized():
        info.backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=info.backend, rank=rank, world_size=world)
    elif world > 1:
        info.backend = dist.get_backend()
    return info, device


def pick_device(pref: str = "auto", local_rank: int | None = None) -> torch.device:
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank or 0)
        return torch.device("cpu")
    dev = torch.device(pref)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("train.device asks for CUDA but no GPU is available")
    if dev.type == "cuda" and dev.index is None and local_rank is not None:
        dev = torch.device("cuda", local_rank)
    return dev


def cleanup() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def wrap(model: torch.nn.Module, info: DistInfo, device: torch.device) -> torch.nn.Module:
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP

    ids = [device.index] if device.type == "cuda" else None
    return DDP(model, device_ids=ids)


def all_reduce_mean(values: dict[str, float], info: DistInfo, device: torch.device) -> dict[str, float]:
    """Average scalar logs over processes (for the CSV log)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    t /= info.world_size
    return {k: float(x) for k, x in zip(keys, t.tolist())}


def rank_slice(n: int, info: DistInfo) -> slice:
    """This process's slice of a global batch of n (n must divide by the world size)."""
    if n % info.world_size:
        raise ValueError(f"train.batch_size {n} must be divisible by the {info.world_size} processes")
    per = n // info.world_size
    return slice(info.rank * per, (info.rank + 1) * per)
