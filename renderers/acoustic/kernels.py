"""Numba kernels of the room renderer (all ``@njit(cache=True)``, compiled once per machine).

* :func:`accumulate_omni`: arrivals at omnidirectional ears, per band, into impulse responses.
* :func:`accumulate_hrir`: arrivals through interpolated HRIRs, per band, into binaural responses.
* :func:`accumulate_hrtf_points`: HRTF lookup, ear delays and :func:`accumulate_hrir` in one call
  (the ``hrtf`` head's image sources and ray-traced arrivals).
* :func:`overlap_add`: the assembly of the clip's FFT block convolution into stems and mixture.
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

__all__ = ["accumulate_omni", "accumulate_hrir", "accumulate_hrtf_points", "overlap_add", "hrtf_lookup",
           "shoebox_images", "shoebox_image_count", "trace_rays"]


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


#: Interpolator taps per sweep of :func:`accumulate_hrir`'s convolution (its loop is written for
#: exactly 4), which is also the alignment, in samples, of its writes into the response.
_PASS = 4


@njit(cache=True, nogil=True)
def accumulate_hrir(out, delays, amps, idx, wts, hrirs, half_width, table, oversampling):  # pragma: no cover
    """out (B, C, L) += arrivals through blended HRIRs.

    ``delays`` (A, C): where tap 0 of the (aligned) HRIR lands, in samples; ``amps`` (A, C, B);
    ``idx``/``wts`` (A, 3): measured directions and barycentric weights; ``hrirs`` (M, C, K).

    Arrival after arrival, ear after ear: the blended HRIR ``h = w0 h[i0] + w1 h[i1] + w2 h[i2]``
    (K taps), its convolution with the interpolator's 2H taps for the delay,
    ``conv[m] = sum_i taps[i] h[m - i]`` summed in increasing ``i``, and
    ``out[b, e, start + m] += amps[a, e, b] * conv[m]``. Every output sample sees the same
    floating-point operations in the same order as the direct triple loop (``for i: for j:
    conv[i + j] += taps[i] h[j]``; tests/test_acoustic_fast_paths.py compares the two bit for bit).
    The speed comes from the loop order: the convolution runs ``_PASS`` taps per sweep over a
    zero-padded copy of ``h`` (a vectorised loop of independent outputs, without store-to-load
    chains from one tap to the next), and the convolution buffer and the writes into ``out`` sit
    on a grid aligned to ``_PASS`` samples of ``out``. The zeros added at the padded edges
    (``t * 0``) leave every sum as it was: the sums start at +0.0, so never hold -0.0, and
    ``x + (+-0.0) = x`` for every other ``x``. (The work arrays are allocated here, in one
    function, so that the compiler knows they do not overlap and vectorises these loops.)
    """
    n_b, n_c, n_out = out.shape
    k_taps = hrirs.shape[2]
    nt = 2 * half_width
    ntp = (nt + _PASS - 1) // _PASS * _PASS  # the interpolator's taps in whole passes (zeros beyond nt)
    hp = np.zeros(k_taps + 2 * _PASS)  # hp[_PASS + j] = h[j], zeros around
    taps = np.zeros(ntp)
    n_buf = _PASS + ntp + k_taps + _PASS
    conv = np.zeros(n_buf)  # conv[sh + m] = output m, sh = start mod _PASS
    full = k_taps + nt - 1
    for a in range(delays.shape[0]):
        i0_, i1_, i2_ = idx[a, 0], idx[a, 1], idx[a, 2]
        w0, w1, w2 = wts[a, 0], wts[a, 1], wts[a, 2]
        for e in range(n_c):
            d = delays[a, e]
            if not np.isfinite(d):
                raise ValueError("arrival delays must be finite")
            for j in range(k_taps):
                hp[_PASS + j] = w0 * hrirs[i0_, e, j] + w1 * hrirs[i1_, e, j] + w2 * hrirs[i2_, e, j]
            start, single = _sinc_taps(d, half_width, table, oversampling, taps)
            sh = start % _PASS
            for j in range(n_buf):
                conv[j] = 0.0
            if single:
                n_conv = k_taps
                cv = conv[sh:]
                hs = hp[_PASS:]
                for j in range(k_taps):
                    cv[j] = hs[j]
            else:
                n_conv = full
                for ib in range(0, ntp, _PASS):
                    # conv[m] += t0 h[m - ib] + t1 h[m - ib - 1] + t2 h[.. - 2] + t3 h[.. - 3], in this order
                    t0, t1, t2, t3 = taps[ib], taps[ib + 1], taps[ib + 2], taps[ib + 3]
                    cv = conv[sh + ib:]
                    h0 = hp[_PASS:]
                    h1 = hp[_PASS - 1:]
                    h2 = hp[_PASS - 2:]
                    h3 = hp[_PASS - 3:]
                    for q in range(k_taps + _PASS - 1):
                        cv[q] = (((cv[q] + t0 * h0[q]) + t1 * h1[q]) + t2 * h2[q]) + t3 * h3[q]
            base = start - sh  # a multiple of _PASS
            span = (sh + n_conv + _PASS - 1) // _PASS * _PASS
            j0 = max(0, -base)
            j1 = min(span, n_out - base)
            for b in range(n_b):
                g = amps[a, e, b]
                if g == 0.0:
                    continue
                ob = out[b, e, base + j0:base + j1]
                cb = conv[j0:j1]
                for j in range(j1 - j0):
                    ob[j] += g * cb[j]
    return out


@njit(cache=True, nogil=True)
def accumulate_hrtf_points(out, u, t_centre, amp, fs, align, verts, tris, tri_inv, vt_ptr, vt_idx, nb_ptr,
                           nb_idx, cell_vertex, nearest, n_measured, ear_delay_s, hrirs, half_width, table,
                           oversampling):  # pragma: no cover - compiled
    """out (B, C, L) += point sources heard through an HRTF: lookup, ear delays and
    :func:`accumulate_hrir` in one call.

    ``u`` (A, 3): unit directions of arrival in the head frame; ``t_centre`` (A,): when each
    arrival reaches the head centre, in samples of ``out`` (lead included); ``amp`` (A, B):
    amplitudes per band (the same for every ear); ``fs`` (Hz); ``align``: the HRIRs' onset
    (samples); the HRTF's tables (:meth:`renderers.acoustic.hrtf.HRTF.lookup_tables`),
    ``ear_delay_s`` (M, C) and ``hrirs`` (M, C, K). Arrival a reaches ear e at
    ``t_centre + delta_e fs - align`` samples (``delta_e`` the barycentric blend of the ear
    delays, seconds): the same operations, in the same order, as :meth:`HRTF.lookup`,
    :meth:`HRTF.ear_delays` and the numpy expression of the ``hrtf`` head compute.
    """
    n_c = out.shape[1]
    n_a = u.shape[0]
    n_b = amp.shape[1]
    idx = np.empty((n_a, 3), dtype=np.int64)
    wts = np.empty((n_a, 3))
    delays = np.empty((n_a, n_c))
    amps = np.empty((n_a, n_c, n_b))
    for a in range(n_a):
        _lookup_direction(u[a, 0], u[a, 1], u[a, 2], verts, tris, tri_inv, vt_ptr, vt_idx, nb_ptr, nb_idx,
                          cell_vertex, nearest, n_measured, idx, wts, a)
        i0_, i1_, i2_ = idx[a, 0], idx[a, 1], idx[a, 2]
        w0, w1, w2 = wts[a, 0], wts[a, 1], wts[a, 2]
        for e in range(n_c):
            delta = (w0 * ear_delay_s[i0_, e] + w1 * ear_delay_s[i1_, e]) + w2 * ear_delay_s[i2_, e]
            delays[a, e] = (t_centre[a] + delta * fs) - align
            for b in range(n_b):
                amps[a, e, b] = amp[a, b]
    return accumulate_hrir(out, delays, amps, idx, wts, hrirs, half_width, table, oversampling)


@njit(cache=True, nogil=True)
def overlap_add(y, b, lead, n, mix, stem, add):  # pragma: no cover - compiled
    """Samples ``lead .. lead + n`` of an FFT overlap-add, written to ``stem`` ((C, n) float32,
    rounded) and, with ``add``, added to ``mix`` ((C, n) float64, in place; otherwise unused).

    ``y`` (C, J, F) float32 holds block j's convolution output, which starts at sample ``j b``
    (``F - b < b``: a block's tail only reaches the next block). Sample ``t = j b + i`` is
    ``0.0 + y[j, i]``, plus ``y[j - 1, b + i]`` for ``j >= 1`` (plus 0.0 where ``b + i >= F``);
    in the block after the last only ``0.0`` plus the tail, and 0.0 after that. The additions are
    done in float64, in that order (the sums of the zero-initialised float64 overlap-add they
    replace)."""
    n_c, n_blk, f = y.shape
    tail = f - b
    for ch in range(n_c):
        for j in range(lead // b, (lead + n - 1) // b + 1):
            t0 = max(j * b, lead)  # this block's part of the output: samples t0 .. t1 - 1
            t1 = min((j + 1) * b, lead + n)
            if t1 <= t0:
                break
            s = stem[ch, t0 - lead:t1 - lead]
            i0 = t0 - j * b
            m = t1 - t0
            k = min(m, max(0, tail - i0)) if j >= 1 else 0  # samples that get the previous block's tail
            v = np.empty(m)
            if j < n_blk:
                head = y[ch, j, i0:i0 + m]
                if j == 0:
                    for i in range(m):
                        v[i] = 0.0 + np.float64(head[i])
                else:
                    prev = y[ch, j - 1, b + i0:]
                    for i in range(k):
                        v[i] = (0.0 + np.float64(head[i])) + np.float64(prev[i])
                    for i in range(k, m):
                        v[i] = (0.0 + np.float64(head[i])) + 0.0
            elif j == n_blk:
                prev = y[ch, j - 1, b + i0:]
                for i in range(k):
                    v[i] = 0.0 + np.float64(prev[i])
                for i in range(k, m):
                    v[i] = 0.0 + 0.0
            else:  # past the convolution's end
                for i in range(m):
                    v[i] = 0.0
            for i in range(m):
                s[i] = np.float32(v[i])
            if add:
                o = mix[ch, t0 - lead:t1 - lead]
                for i in range(m):
                    o[i] += v[i]


@njit(cache=True, nogil=True)
def _lookup_direction(x, y, z, verts, tris, tri_inv, vt_ptr, vt_idx, nb_ptr, nb_idx, cell_vertex, nearest,
                      n_measured, idx, wts, a):  # pragma: no cover - compiled
    """:func:`hrtf_lookup` for the one unit direction (x, y, z): writes ``idx[a]`` and ``wts[a]``."""
    n_el, n_az = cell_vertex.shape
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
        return
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
    c0 = max(tri_inv[found, 0, 0] * x + tri_inv[found, 0, 1] * y + tri_inv[found, 0, 2] * z, 0.0)
    c1 = max(tri_inv[found, 1, 0] * x + tri_inv[found, 1, 1] * y + tri_inv[found, 1, 2] * z, 0.0)
    c2 = max(tri_inv[found, 2, 0] * x + tri_inv[found, 2, 1] * y + tri_inv[found, 2, 2] * z, 0.0)
    s = ((0.0 + c0) + c1) + c2
    idx[a, 0] = tris[found, 0]
    idx[a, 1] = tris[found, 1]
    idx[a, 2] = tris[found, 2]
    wts[a, 0] = c0 / s if s > 0 else 1.0 / 3.0
    wts[a, 1] = c1 / s if s > 0 else 1.0 / 3.0
    wts[a, 2] = c2 / s if s > 0 else 1.0 / 3.0


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
    idx = np.empty((n_a, 3), dtype=np.int64)
    wts = np.empty((n_a, 3))
    for a in range(n_a):
        _lookup_direction(u[a, 0], u[a, 1], u[a, 2], verts, tris, tri_inv, vt_ptr, vt_idx, nb_ptr, nb_idx,
                          cell_vertex, nearest, n_measured, idx, wts, a)
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
