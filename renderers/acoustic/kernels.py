"""Numba kernels of the room renderer (all ``@njit(cache=True)``, compiled once per machine).

* :func:`accumulate_omni`: arrivals at omnidirectional ears, per band, into impulse responses.
* :func:`accumulate_hrir`: arrivals through interpolated HRIRs, per band, into binaural responses.
* :func:`hrtf_lookup`: barycentric HRTF interpolation weights (convex-hull triangles).
* :func:`shoebox_images`: image sources of a shoebox up to an order, with per-band wall gains.
* :func:`trace_rays`: a directional ray tracer over a triangle mesh with a receiver sphere.

Fractional delays use the windowed-sinc interpolator of :mod:`.fractional_delay` (its
:func:`~.fractional_delay.sinc_taps`), so an arrival at ``d`` samples contributes ``a * h_d[n]`` for
``n = floor(d) - H + 1 .. floor(d) + H``; taps outside the output are dropped.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .fractional_delay import sinc_taps as _sinc_taps

__all__ = ["accumulate_omni", "accumulate_hrir", "hrtf_lookup", "shoebox_images", "shoebox_image_count",
           "trace_rays"]


@njit(cache=True, nogil=True)
def accumulate_omni(out, delays, amps, half_width, table, oversampling):  # pragma: no cover - compiled
    """out (B, C, L) += arrivals at omni ears. ``delays`` (A, C) samples; ``amps`` (A, C, B)."""
    n_b, n_c, n_out = out.shape
    taps = np.empty(2 * half_width)
    for a in range(delays.shape[0]):
        for e in range(n_c):
            d = delays[a, e]
            if not np.isfinite(d):
                raise ValueError("arrival delays must be finite")
            start, single = _sinc_taps(d, half_width, table, oversampling, taps)
            if single:
                if 0 <= start < n_out:
                    for b in range(n_b):
                        out[b, e, start] += amps[a, e, b]
                continue
            i0 = max(0, -start)
            i1 = min(2 * half_width, n_out - start)
            for b in range(n_b):
                g = amps[a, e, b]
                if g == 0.0:
                    continue
                for i in range(i0, i1):
                    out[b, e, start + i] += g * taps[i]
    return out


@njit(cache=True, nogil=True)
def accumulate_hrir(out, delays, amps, idx, wts, hrirs, half_width, table, oversampling):  # pragma: no cover
    """out (B, C, L) += arrivals through blended HRIRs.

    ``delays`` (A, C): where tap 0 of the (aligned) HRIR lands, in samples; ``amps`` (A, C, B);
    ``idx``/``wts`` (A, 3): measured directions and barycentric weights; ``hrirs`` (M, C, K).
    """
    n_b, n_c, n_out = out.shape
    k_taps = hrirs.shape[2]
    h = np.empty(k_taps)
    taps = np.empty(2 * half_width)
    conv = np.empty(k_taps + 2 * half_width - 1)
    for a in range(delays.shape[0]):
        i0_, i1_, i2_ = idx[a, 0], idx[a, 1], idx[a, 2]
        w0, w1, w2 = wts[a, 0], wts[a, 1], wts[a, 2]
        for e in range(n_c):
            d = delays[a, e]
            if not np.isfinite(d):
                raise ValueError("arrival delays must be finite")
            for j in range(k_taps):
                h[j] = w0 * hrirs[i0_, e, j] + w1 * hrirs[i1_, e, j] + w2 * hrirs[i2_, e, j]
            start, single = _sinc_taps(d, half_width, table, oversampling, taps)
            if single:
                n_conv = k_taps
                for j in range(k_taps):
                    conv[j] = h[j]
            else:
                n_conv = k_taps + 2 * half_width - 1
                for j in range(n_conv):
                    conv[j] = 0.0
                for i in range(2 * half_width):
                    t = taps[i]
                    for j in range(k_taps):
                        conv[i + j] += t * h[j]
            j0 = max(0, -start)
            j1 = min(n_conv, n_out - start)
            for b in range(n_b):
                g = amps[a, e, b]
                if g == 0.0:
                    continue
                for j in range(j0, j1):
                    out[b, e, start + j] += g * conv[j]
    return out


@njit(cache=True, nogil=True)
def hrtf_lookup(u, verts, tris, tri_inv, vt_ptr, vt_idx, nb_ptr, nb_idx, cell_vertex, nearest,
                n_measured):  # pragma: no cover
    """Triangle vertices (A, 3) and barycentric weights (A, 3) for unit directions ``u`` (A, 3);
    with ``nearest`` the nearest measured direction (largest dot product among the first
    ``n_measured`` vertices: virtual vertices are never chosen) with weights (1, 0, 0).

    The nearest measured direction is found by a greedy walk over the triangulation's edges
    (exact on a Delaunay triangulation, which the convex hull of points on a sphere is) from
    the vertex nearest to the centre of the direction's cell of a 2-degree azimuth/elevation
    grid (``cell_vertex`` (91, 180)); the containing triangle is searched among the triangles
    around that vertex, then among all triangles.
    """
    n_a = u.shape[0]
    n_el, n_az = cell_vertex.shape
    idx = np.empty((n_a, 3), dtype=np.int64)
    wts = np.empty((n_a, 3))
    c = np.empty(3)
    for a in range(n_a):
        x, y, z = u[a, 0], u[a, 1], u[a, 2]
        el = np.arcsin(min(1.0, max(-1.0, z)))
        az = np.arctan2(y, x)
        i_el = min(n_el - 1, max(0, int((el + 0.5 * np.pi) / np.pi * (n_el - 1) + 0.5)))
        i_az = int((az + np.pi) / (2.0 * np.pi) * n_az) % n_az
        bi = cell_vertex[i_el, i_az]
        best = verts[bi, 0] * x + verts[bi, 1] * y + verts[bi, 2] * z
        moved = True
        while moved:
            moved = False
            for p in range(nb_ptr[bi], nb_ptr[bi + 1]):
                m = nb_idx[p]
                dot = verts[m, 0] * x + verts[m, 1] * y + verts[m, 2] * z
                if dot > best + 1e-15:
                    best = dot
                    bi = m
                    moved = True
        if nearest:
            if bi >= n_measured:  # a virtual pole is nearest: take the nearest measured direction
                best = -1e300
                for m in range(n_measured):
                    dot = verts[m, 0] * x + verts[m, 1] * y + verts[m, 2] * z
                    if dot > best:
                        best = dot
                        bi = m
            idx[a, 0] = bi
            idx[a, 1] = bi
            idx[a, 2] = bi
            wts[a, 0] = 1.0
            wts[a, 1] = 0.0
            wts[a, 2] = 0.0
            continue
        found = -1
        for p in range(vt_ptr[bi], vt_ptr[bi + 1]):
            t = vt_idx[p]
            mn = 1e300
            for r in range(3):
                v = tri_inv[t, r, 0] * x + tri_inv[t, r, 1] * y + tri_inv[t, r, 2] * z
                mn = min(mn, v)
            if mn >= -1e-12:
                found = t
                break
        if found < 0:  # not in a triangle of the nearest vertex: search all, keep the best
            best_mn = -1e300
            for t in range(tris.shape[0]):
                mn = 1e300
                for r in range(3):
                    v = tri_inv[t, r, 0] * x + tri_inv[t, r, 1] * y + tri_inv[t, r, 2] * z
                    mn = min(mn, v)
                if mn > best_mn:
                    best_mn = mn
                    found = t
                    if mn >= -1e-12:
                        break
        s = 0.0
        for r in range(3):
            v = tri_inv[found, r, 0] * x + tri_inv[found, r, 1] * y + tri_inv[found, r, 2] * z
            c[r] = max(v, 0.0)
            s += c[r]
        for r in range(3):
            idx[a, r] = tris[found, r]
            wts[a, r] = c[r] / s if s > 0 else 1.0 / 3.0
    return idx, wts


def shoebox_image_count(max_order: int) -> int:
    """Number of lattice images with |i| + |j| + |k| <= max_order."""
    n = int(max_order)
    return (2 * n + 1) * (2 * n * n + 2 * n + 3) // 3


@njit(cache=True, nogil=True)
def shoebox_images(src, size, max_order, beta):  # pragma: no cover - compiled
    """Image sources of a shoebox [0, Lx] x [0, Ly] x [0, Lz] (room coordinates).

    ``src`` (3,), ``size`` (3,), ``beta`` (6, B): pressure reflection coefficients sqrt(1 - alpha)
    of the walls west (x=0), east (x=Lx), south (y=0), north (y=Ly), floor (z=0), ceiling (z=Lz).
    Returns images (K, 3), gains (K, B) (product of the reflection coefficients of the walls the
    path hits) and orders (K,), for every image with |i| + |j| + |k| <= max_order, where image
    (i, j, k) sits at ``i Lx + (s_x if i even else Lx - s_x)`` (likewise y, z) and its path
    reflects |i| times off the two x walls: ceil(|i|/2) times off the wall on i's side.
    """
    n = max_order
    n_img = (2 * n + 1) * (2 * n * n + 2 * n + 3) // 3
    n_b = beta.shape[1]
    images = np.empty((n_img, 3))
    gains = np.empty((n_img, n_b))
    orders = np.empty(n_img, dtype=np.int64)
    q = 0
    for i in range(-n, n + 1):
        ni = abs(i)
        for j in range(-(n - ni), n - ni + 1):
            nj = abs(j)
            for k in range(-(n - ni - nj), n - ni - nj + 1):
                nk = abs(k)
                idx3 = (i, j, k)
                for ax in range(3):
                    m = idx3[ax]
                    s = src[ax]
                    length = size[ax]
                    if (m & 1) == 0:
                        images[q, ax] = m * length + s
                    else:
                        images[q, ax] = m * length + length - s
                for b in range(n_b):
                    g = 1.0
                    for ax in range(3):
                        m = idx3[ax]
                        if m > 0:
                            hi = (m + 1) // 2
                            lo = m // 2
                        else:
                            lo = (-m + 1) // 2
                            hi = (-m) // 2
                        if lo > 0:
                            g *= beta[2 * ax, b] ** lo
                        if hi > 0:
                            g *= beta[2 * ax + 1, b] ** hi
                    gains[q, b] = g
                orders[q] = ni + nj + nk
                q += 1
    return images, gains, orders


@njit(cache=True, nogil=True)
def _intersect(o, d, tris, tmin):  # pragma: no cover - compiled
    """Nearest triangle hit by the ray o + t d (t > tmin): (t, triangle) or (inf, -1)."""
    best = np.inf
    hit = -1
    for t_i in range(tris.shape[0]):
        ax = tris[t_i, 0, 0]
        ay = tris[t_i, 0, 1]
        az = tris[t_i, 0, 2]
        e1x = tris[t_i, 1, 0] - ax
        e1y = tris[t_i, 1, 1] - ay
        e1z = tris[t_i, 1, 2] - az
        e2x = tris[t_i, 2, 0] - ax
        e2y = tris[t_i, 2, 1] - ay
        e2z = tris[t_i, 2, 2] - az
        px = d[1] * e2z - d[2] * e2y
        py = d[2] * e2x - d[0] * e2z
        pz = d[0] * e2y - d[1] * e2x
        det = e1x * px + e1y * py + e1z * pz
        if abs(det) < 1e-14:
            continue
        inv = 1.0 / det
        tx = o[0] - ax
        ty = o[1] - ay
        tz = o[2] - az
        u = (tx * px + ty * py + tz * pz) * inv
        if u < -1e-9 or u > 1.0 + 1e-9:
            continue
        qx = ty * e1z - tz * e1y
        qy = tz * e1x - tx * e1z
        qz = tx * e1y - ty * e1x
        v = (d[0] * qx + d[1] * qy + d[2] * qz) * inv
        if v < -1e-9 or u + v > 1.0 + 1e-9:
            continue
        t = (e2x * qx + e2y * qy + e2z * qz) * inv
        if t > tmin and t < best:
            best = t
            hit = t_i
    return best, hit


@njit(cache=True, nogil=True)
def trace_rays(src, rec, radius, tris, normals, tri_wall, absorption, scattering, air, c, t_max,
               n_rays, seed, max_hits):  # pragma: no cover - compiled
    """Stochastic ray tracing with a receiver sphere; arrivals keep their directions.

    ``src``, ``rec`` (3,): source and receiver centre (room coordinates); ``radius``: receiver
    sphere radius (m); ``tris`` (T, 3, 3) the room's surface; ``normals`` (T, 3) inward unit
    normals; ``tri_wall`` (T,) wall index; ``absorption`` (W, B) energy absorption; ``scattering``
    (W,) fraction of energy reflected diffusely (Lambert); ``air`` (B,) energy air absorption (1/m).
    Rays leave the source uniformly in direction with energy 1 / n_rays each; at a wall the
    energy is multiplied by (1 - alpha) and the ray reflects specularly or, with probability
    ``scattering``, in a cosine-distributed direction. Each crossing of the receiver sphere is
    one arrival: time (the closest approach along the ray, seconds), energy per band
    ``E * chord / V_sphere * 4 pi`` (so the sum over arrivals in a time window is the squared
    impulse response integrated over it, in the 1/r-at-1-m convention) and the unit vector
    *towards which the sound came from* (minus the ray direction), in room axes.
    Returns (times (H,), energies (H, B), directions (H, 3)), H <= max_hits.
    """
    np.random.seed(seed)
    n_b = absorption.shape[1]
    times = np.empty(max_hits)
    energies = np.empty((max_hits, n_b))
    dirs = np.empty((max_hits, 3))
    h = 0
    vol = 4.0 / 3.0 * np.pi * radius ** 3
    e = np.empty(n_b)
    o = np.empty(3)
    d = np.empty(3)
    r2 = radius * radius
    d_max = c * t_max
    for ray in range(n_rays):
        # uniform direction
        zz = 2.0 * np.random.random() - 1.0
        ph = 2.0 * np.pi * np.random.random()
        sr = np.sqrt(max(0.0, 1.0 - zz * zz))
        d[0] = sr * np.cos(ph)
        d[1] = sr * np.sin(ph)
        d[2] = zz
        o[0] = src[0]
        o[1] = src[1]
        o[2] = src[2]
        for b in range(n_b):
            e[b] = 1.0 / n_rays
        travelled = 0.0
        while travelled < d_max and h < max_hits:
            t_hit, tri = _intersect(o, d, tris, 1e-9)
            if tri < 0:
                break  # leaked (numerical): drop the ray
            # receiver sphere crossing on this segment
            wx = rec[0] - o[0]
            wy = rec[1] - o[1]
            wz = rec[2] - o[2]
            proj = wx * d[0] + wy * d[1] + wz * d[2]
            dist2 = wx * wx + wy * wy + wz * wz - proj * proj
            if dist2 < r2 and proj > 0.0 and proj < t_hit:
                chord = 2.0 * np.sqrt(r2 - dist2)
                path = travelled + proj
                if path < d_max:
                    times[h] = path / c
                    for b in range(n_b):
                        energies[h, b] = e[b] * np.exp(-air[b] * path) * chord / vol * 4.0 * np.pi
                    dirs[h, 0] = -d[0]
                    dirs[h, 1] = -d[1]
                    dirs[h, 2] = -d[2]
                    h += 1
            travelled += t_hit
            o[0] += t_hit * d[0]
            o[1] += t_hit * d[1]
            o[2] += t_hit * d[2]
            w = tri_wall[tri]
            alive = False
            for b in range(n_b):
                e[b] *= 1.0 - absorption[w, b]
                if e[b] * np.exp(-air[b] * travelled) > 1e-7 / n_rays:
                    alive = True
            if not alive:
                break
            nx = normals[tri, 0]
            ny = normals[tri, 1]
            nz = normals[tri, 2]
            if np.random.random() < scattering[w]:
                # Lambert: cosine-weighted hemisphere around the inward normal
                u1 = np.random.random()
                u2 = np.random.random()
                rr = np.sqrt(u1)
                th = 2.0 * np.pi * u2
                # orthonormal basis (t1, t2, n)
                if abs(nx) < 0.9:
                    ax_, ay_, az_ = 1.0, 0.0, 0.0
                else:
                    ax_, ay_, az_ = 0.0, 1.0, 0.0
                t1x = ay_ * nz - az_ * ny
                t1y = az_ * nx - ax_ * nz
                t1z = ax_ * ny - ay_ * nx
                ln = np.sqrt(t1x * t1x + t1y * t1y + t1z * t1z)
                t1x /= ln
                t1y /= ln
                t1z /= ln
                t2x = ny * t1z - nz * t1y
                t2y = nz * t1x - nx * t1z
                t2z = nx * t1y - ny * t1x
                cz = np.sqrt(max(0.0, 1.0 - u1))
                cx = rr * np.cos(th)
                cy = rr * np.sin(th)
                d[0] = cx * t1x + cy * t2x + cz * nx
                d[1] = cx * t1y + cy * t2y + cz * ny
                d[2] = cx * t1z + cy * t2z + cz * nz
            else:
                dn = d[0] * nx + d[1] * ny + d[2] * nz
                d[0] -= 2.0 * dn * nx
                d[1] -= 2.0 * dn * ny
                d[2] -= 2.0 * dn * nz
            # nudge off the wall along the inward normal
            o[0] += 1e-7 * nx
            o[1] += 1e-7 * ny
            o[2] += 1e-7 * nz
    return times[:h].copy(), energies[:h].copy(), dirs[:h].copy()
