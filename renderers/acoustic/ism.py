"""Image sources: positions, reflection orders and per-band wall gains.

* Shoebox: our Numba lattice (:func:`renderers.acoustic.kernels.shoebox_images`), every image with
  ``|i| + |j| + |k| <= max_order`` (all visible in a shoebox), gains = product of the pressure
  reflection coefficients ``sqrt(1 - alpha)`` of the walls hit, per band.
* Polyhedron: pyroomacoustics' image-source engine (C++, with visibility checks per receiver),
  on walls given with our per-band absorption; the order is limited so that the number of
  candidate images ``W (W - 1)^(order - 1)`` stays below ``max_images`` (W walls).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rooms import RoomModel

__all__ = ["ImageSources", "shoebox_image_sources", "polyhedron_image_sources", "polyhedron_order",
           "shoebox_completeness_distance"]


@dataclass
class ImageSources:
    """``positions`` (K, 3) room coordinates; ``gains`` (K, B) per-band wall gains (pressure);
    ``orders`` (K,); ``visible`` (R, K) bool per receiver (all True for a shoebox), R = 1 when
    visibility does not depend on the receiver."""

    positions: np.ndarray
    gains: np.ndarray
    orders: np.ndarray
    visible: np.ndarray
    order: int


def shoebox_image_sources(model: RoomModel, source: np.ndarray, max_order: int) -> ImageSources:
    from .kernels import shoebox_images  # Numba loads when sound is rendered, not when a spec is read

    beta = np.ascontiguousarray(np.sqrt(1.0 - model.absorption))  # (6, B)
    pos, gains, orders = shoebox_images(np.asarray(source, float), np.asarray(model.size, float), int(max_order), beta)
    return ImageSources(pos, gains, orders, np.ones((1, pos.shape[0]), dtype=bool), int(max_order))


def shoebox_completeness_distance(model: RoomModel, source: np.ndarray, receiver: np.ndarray, max_order: int) -> float:
    """Distance from the receiver to the nearest image of order ``max_order + 1``: up to there the
    images of order <= max_order are all the reflections there are."""
    from .kernels import shoebox_images

    beta = np.ones((6, 1))
    pos, _, orders = shoebox_images(np.asarray(source, float), np.asarray(model.size, float), int(max_order) + 1, beta)
    sel = orders == max_order + 1
    return float(np.min(np.linalg.norm(pos[sel] - np.asarray(receiver, float), axis=1)))


def polyhedron_order(n_walls: int, max_order: int, max_images: int) -> int:
    """Largest order <= max_order whose candidate count W (W - 1)^(order - 1) is <= max_images."""
    order = 0
    count = 1
    while order < max_order:
        nxt = n_walls * (n_walls - 1) ** order
        if count + nxt > max_images:
            break
        count += nxt
        order += 1
    return order


def polyhedron_image_sources(model: RoomModel, source: np.ndarray, receivers: np.ndarray, max_order: int,
                             sample_rate: int, max_images: int = 20000) -> ImageSources:
    """Image sources of a polyhedral room from pyroomacoustics (visibility per receiver (R, 3))."""
    import pyroomacoustics as pra

    order = polyhedron_order(len(model.walls), int(max_order), max_images)
    walls = []
    for i, w in enumerate(model.walls):
        absorption = model.absorption[i]
        walls.append(pra.wall_factory(np.ascontiguousarray(w.vertices.T), absorption.tolist(),
                                      [float(model.scattering[i])] * absorption.shape[0], w.name))
    room = pra.Room(walls, fs=int(sample_rate), max_order=order, air_absorption=False, ray_tracing=False,
                    use_rand_ism=False)
    room.add_source(np.asarray(source, float))
    room.add_microphone_array(np.asarray(receivers, float).T.copy())
    room.image_source_model()
    src = room.sources[0]
    vis = np.asarray(room.visibility[0], dtype=bool)
    if src.images is None or vis.shape[1] == 0 or np.asarray(src.images).size == 0:
        return ImageSources(np.zeros((0, 3)), np.zeros((0, model.absorption.shape[1])), np.zeros(0, np.int64),
                            np.zeros((receivers.shape[0], 0), dtype=bool), order)
    pos = np.ascontiguousarray(np.asarray(src.images, float).T)
    damping = np.asarray(src.damping, float)
    if damping.ndim == 1:
        damping = damping[None, :]
    gains = np.ascontiguousarray(damping.T)
    if gains.shape[1] != model.absorption.shape[1]:  # pyroomacoustics used one band
        gains = np.repeat(gains[:, :1], model.absorption.shape[1], axis=1)
    return ImageSources(pos, gains, np.asarray(src.orders, np.int64), vis, order)
