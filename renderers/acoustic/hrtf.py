"""Head-related impulse responses from SOFA files, prepared once per sample rate.

Source: any SOFA file of the ``SimpleFreeFieldHRIR`` convention (read with h5py, no SOFA library),
by default the bundled MIT KEMAR set (``data/MIT_KEMAR_normal_pinna.sofa``, 44.1 kHz, 710
directions from -40 to 90 degrees elevation; Gardner & Martin 1995, see ``data/LICENSES.md``).

Frames and units: the SOFA listener frame is the project's head frame (+x ahead, +y left, +z up;
``ListenerView`` must be +x and ``ListenerUp`` +z). Directions are unit vectors from the head
centre towards the source. Receiver 0 must be the LEFT ear (+y) and receiver 1 the RIGHT ear;
when the file's receiver positions say the opposite the two are swapped on reading.

Preparation (:class:`HRTF`, done once per (file, sample rate) and cached per process by
:func:`load_hrtf`):

1. Resample every HRIR to the output rate (``scipy.signal.resample_poly``, linear phase, delay
   compensated).
2. Onset of each HRIR (seconds): the first crossing of -20 dB below its peak magnitude, on the
   HRIR upsampled 8 times at the file's rate (linear interpolation between samples). The
   frontal direction's mean onset over both ears is the file's latency ``t0``; the *ear delay*
   of direction m and ear e is ``delta[m, e] = onset[m, e] - t0`` (seconds, negative for the
   ear nearer the source), i.e. the arrival time at that ear relative to a wave reaching the
   head centre.
3. Time-align every HRIR so that its onset falls ``pre_onset_s`` (0.5 ms) after its first tap
   (band-limited shift by FFT phase), keep ``hrir_duration_s`` (4.5 ms in all; >= 99.4 % of the
   energy of every MIT KEMAR HRIR) and fade the last millisecond out with a half Hann window.
4. Gain: one factor for the whole set so that the diffuse-field power (solid-angle weighted
   mean over directions and both ears, weights from the spherical Voronoi cells of the measured
   directions) averaged over 200 Hz - 5 kHz is 1. A diffuse sound field then has the same
   broadband level at the ears of the ``hrtf`` head as at an omnidirectional ear, and a frontal
   source at r metres arrives with roughly the ``1/r`` level of the omni heads. The HRIRs keep
   the measurement chain's colouration (for MIT KEMAR: the ear-canal resonance near 2.7 kHz
   and weak response below 200 Hz); no diffuse-field equalisation is applied.

Interpolation (:meth:`HRTF.lookup`): barycentric on the convex-hull triangulation of the measured
directions. A direction u falls in exactly one spherical triangle (A, B, C) of the hull (the
ray from the head centre through u crosses one hull facet); its weights are the solution of
``u = a A + b B + c C`` normalised to sum to 1 (all >= 0). The rendered HRIR is the weighted
sum of the *aligned* HRIRs of A, B, C, delayed by the equally weighted sum of their ear delays:
blending time-aligned responses avoids the comb filtering of blending responses whose onsets
differ, and the interpolated ITD varies continuously with direction. A measured direction is
reproduced exactly. Where the measurements leave a gap of more than 5 degrees at a pole (MIT
KEMAR stops at -40 degrees elevation) a *virtual* direction is added at that pole, whose HRIR and
ear delays are the mean of the nearest ring's aligned HRIRs and ear delays, so directions below
the lowest ring blend that ring with a symmetric "from below" response (no extrapolation beyond
the data). The hull is computed on radii perturbed by a tiny (1e-7) pseudo-random factor that is
the same for (x, y, z) and (x, -y, z), so that coplanar groups of directions (the quads between
two rings) are split into triangles the same way on both sides: a left/right symmetric HRTF set
(as MIT KEMAR's normal-pinna set) renders exactly mirror-symmetric.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly
from scipy.spatial import ConvexHull, SphericalVoronoi

from .fractional_delay import DEFAULT_DESIGN
from .kernels import accumulate_hrir, hrtf_lookup

__all__ = ["DEFAULT_SOFA", "SofaData", "HRTF", "read_sofa", "resolve_sofa_path", "load_hrtf"]

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The bundled MIT KEMAR HRTF (normal pinna), used for ``listener.sofa`` None or "default".
DEFAULT_SOFA = DATA_DIR / "MIT_KEMAR_normal_pinna.sofa"

ONSET_THRESHOLD_DB = -20.0
ONSET_UPSAMPLING = 8
GAIN_BAND_HZ = (200.0, 5000.0)
INTERPOLATIONS = ("barycentric", "nearest")
#: A gap wider than this (degrees) between the highest/lowest measured elevation and the pole
#: gets a virtual direction at the pole (the mean of that ring's aligned HRIRs and ear delays).
POLE_GAP_DEG = 5.0


@dataclass(frozen=True)
class SofaData:
    """Raw contents of a SimpleFreeFieldHRIR file.

    ``directions``: (M, 3) unit vectors (head frame) towards the measured source positions.
    ``hrirs``: (M, 2, N) float64, channel 0 LEFT, 1 RIGHT. ``sample_rate``: Hz.
    """

    path: str
    sample_rate: float
    directions: np.ndarray
    hrirs: np.ndarray


def resolve_sofa_path(sofa) -> Path:
    """``listener.sofa`` -> file path: None, "" or "default" is the bundled MIT KEMAR file."""
    if sofa is None or str(sofa) in ("", "default"):
        return DEFAULT_SOFA
    path = Path(str(sofa)).expanduser()
    if not path.is_file():
        raise ValueError(f"listener.sofa: no SOFA file at {str(sofa)!r}")
    return path.resolve()


def _attr(obj, name: str, default: str = "") -> str:
    value = obj.attrs.get(name, default)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tobytes") and getattr(value, "dtype", None) is not None and value.dtype.kind == "S":
        return value.tobytes().decode("utf-8", "replace")
    try:
        return str(value) if value is not None else default
    except Exception:  # h5py Empty attributes
        return default


def read_sofa(path) -> SofaData:
    """Read a SimpleFreeFieldHRIR SOFA file (HDF5) with h5py; see the module docstring.

    Raises ValueError naming ``listener.sofa`` for anything that is not a usable file.
    """
    import h5py

    path = Path(path)
    where = f"listener.sofa ({path})"
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{where}: not a SOFA (HDF5) file: {err}") from None
    with f:
        conv = _attr(f, "SOFAConventions")
        if conv != "SimpleFreeFieldHRIR":
            raise ValueError(f"{where}: SOFA convention {conv!r} is not supported (need SimpleFreeFieldHRIR)")
        for key in ("Data.IR", "Data.SamplingRate", "SourcePosition", "ReceiverPosition"):
            if key not in f:
                raise ValueError(f"{where}: missing variable {key}")
        ir = np.asarray(f["Data.IR"][...], dtype=np.float64)
        if ir.ndim != 3 or ir.shape[1] != 2:
            raise ValueError(f"{where}: Data.IR must have shape (M, 2, N), got {ir.shape}")
        fs = float(np.asarray(f["Data.SamplingRate"][...]).ravel()[0])
        units = _attr(f["Data.SamplingRate"], "Units", "hertz").lower()
        if not (np.isfinite(fs) and fs > 0) or "hertz" not in units:
            raise ValueError(f"{where}: bad Data.SamplingRate {fs} {units}")
        if "Data.Delay" in f:
            delay = np.asarray(f["Data.Delay"][...], dtype=np.float64)
            delay = np.broadcast_to(delay.reshape(-1, 2) if delay.size % 2 == 0 else delay, (ir.shape[0], 2))
            if np.any(delay != 0):
                if np.any(delay < 0) or np.any(delay != np.round(delay)):
                    raise ValueError(f"{where}: only non-negative integer Data.Delay is supported")
                pad = int(delay.max())
                padded = np.zeros((ir.shape[0], 2, ir.shape[2] + pad))
                for m in range(ir.shape[0]):
                    for e in range(2):
                        d = int(delay[m, e])
                        padded[m, e, d:d + ir.shape[2]] = ir[m, e]
                ir = padded
        for key, want in (("ListenerView", (1.0, 0.0, 0.0)), ("ListenerUp", (0.0, 0.0, 1.0))):
            if key in f:
                v = np.asarray(f[key][...], dtype=np.float64).reshape(-1, 3)
                typ = _attr(f[key], "Type", "cartesian").lower()
                if typ == "spherical":
                    v = _spherical_to_unit(v[:, 0], v[:, 1], "degree" in _attr(f[key], "Units", "degree"))
                v = v / np.linalg.norm(v, axis=-1, keepdims=True)
                if not np.allclose(v, want, atol=1e-6):
                    raise ValueError(f"{where}: {key} must be {want} (SimpleFreeFieldHRIR), got {v[0].tolist()}")
        pos = np.asarray(f["SourcePosition"][...], dtype=np.float64).reshape(-1, 3)
        pos = np.broadcast_to(pos, (ir.shape[0], 3)) if pos.shape[0] == 1 else pos
        if pos.shape[0] != ir.shape[0]:
            raise ValueError(f"{where}: SourcePosition has {pos.shape[0]} rows for {ir.shape[0]} measurements")
        typ = _attr(f["SourcePosition"], "Type", "spherical").lower()
        sp_units = _attr(f["SourcePosition"], "Units", "degree, degree, metre").lower()
        if typ == "spherical":
            dirs = _spherical_to_unit(pos[:, 0], pos[:, 1], "radian" not in sp_units)
        elif typ == "cartesian":
            norm = np.linalg.norm(pos, axis=-1, keepdims=True)
            if np.any(norm <= 0):
                raise ValueError(f"{where}: a SourcePosition is at the head centre")
            dirs = pos / norm
        else:
            raise ValueError(f"{where}: SourcePosition Type {typ!r} is not supported")
        rec = np.asarray(f["ReceiverPosition"][...], dtype=np.float64).reshape(2, -1)[:, :3]
        if _attr(f["ReceiverPosition"], "Type", "cartesian").lower() == "cartesian" and rec[0, 1] < rec[1, 1]:
            ir = ir[:, ::-1, :]  # receiver 0 is on the right: swap so that channel 0 is LEFT
    if not np.all(np.isfinite(ir)):
        raise ValueError(f"{where}: Data.IR has non-finite values")
    return SofaData(path=str(path), sample_rate=fs, directions=np.ascontiguousarray(dirs),
                    hrirs=np.ascontiguousarray(ir))


def _spherical_to_unit(az, el, degrees: bool) -> np.ndarray:
    az = np.radians(az) if degrees else np.asarray(az, float)
    el = np.radians(el) if degrees else np.asarray(el, float)
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def _onsets_s(ir: np.ndarray, fs: float) -> np.ndarray:
    """Onset times (seconds) of HRIRs (M, 2, N): first -20 dB crossing of |h| upsampled 8x."""
    # the onset precedes the peak: upsample only up to the latest peak (plus a margin)
    cut = min(ir.shape[-1], int(np.max(np.argmax(np.abs(ir), axis=-1))) + 32)
    up = resample_poly(ir[..., :cut], ONSET_UPSAMPLING, 1, axis=-1)
    mag = np.abs(up)
    thr = mag.max(axis=-1, keepdims=True) * 10.0 ** (ONSET_THRESHOLD_DB / 20.0)
    above = mag >= thr
    i = np.argmax(above, axis=-1)  # first index above threshold
    m_idx, e_idx = np.indices(i.shape)
    prev = np.where(i > 0, mag[m_idx, e_idx, np.maximum(i - 1, 0)], 0.0)
    cur = mag[m_idx, e_idx, i]
    frac = np.where((i > 0) & (cur > prev), (thr[..., 0] - prev) / np.where(cur > prev, cur - prev, 1.0), 0.0)
    return (i - 1 + frac) / (ONSET_UPSAMPLING * fs)


class HRTF:
    """HRIRs of one SOFA file prepared for one output rate (see the module docstring).

    Attributes (read-only use): ``sample_rate`` (Hz); ``directions`` (M, 3); ``aligned`` (M, 2, K)
    float64, the time-aligned, normalised HRIRs whose onset is at ``align_samples``;
    ``ear_delay_s`` (M, 2), the ear delays ``delta`` relative to the head centre;
    ``solid_angle`` (M,), the measured directions' share of the sphere (sums to 1);
    ``triangles`` (T, 3), the convex-hull triangulation.
    """

    def __init__(self, sofa: SofaData, sample_rate: int, hrir_duration_s: float = 0.0045,
                 pre_onset_s: float = 0.0005):
        fs = int(sample_rate)
        if fs <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self.sample_rate = fs
        self.path = sofa.path
        dirs = np.asarray(sofa.directions, float)
        self.directions = np.ascontiguousarray(dirs)
        m = dirs.shape[0]
        if m < 4:
            raise ValueError(f"listener.sofa ({sofa.path}): needs at least 4 measured directions, got {m}")

        # 1. resample
        ratio = Fraction(fs, 1) / Fraction(sofa.sample_rate).limit_denominator(1000)
        ir = sofa.hrirs
        if ratio != 1:
            ir = resample_poly(ir, ratio.numerator, ratio.denominator, axis=-1)
        # 2. onsets and ear delays
        onset = _onsets_s(sofa.hrirs, sofa.sample_rate)  # (M, 2), seconds from the file's t = 0
        front = int(np.argmax(dirs @ np.array([1.0, 0.0, 0.0])))
        t0 = float(np.mean(onset[front]))
        self.latency_s = t0
        self.ear_delay_s = np.ascontiguousarray(onset - t0)
        # 3. align, cut, fade
        self.align_samples = int(round(pre_onset_s * fs))
        k = max(self.align_samples + 8, int(round(hrir_duration_s * fs)))
        n = ir.shape[-1]
        nfft = 1 << int(np.ceil(np.log2(2 * max(n, k) + 16)))
        spec = np.fft.rfft(ir, nfft, axis=-1)
        freqs = np.fft.rfftfreq(nfft)  # cycles / sample
        advance = onset * fs - self.align_samples  # samples to move each HRIR earlier
        spec *= np.exp(2j * np.pi * freqs[None, None, :] * advance[..., None])
        aligned = np.fft.irfft(spec, nfft, axis=-1)[..., :k]
        fade = min(k - self.align_samples - 1, max(1, int(round(0.001 * fs))))
        aligned[..., k - fade:] *= 0.5 * (1.0 + np.cos(np.pi * (np.arange(1, fade + 1) / fade)))
        # virtual poles close a gap at the top or bottom of the measured sphere
        self.n_measured = m
        el_all = np.degrees(np.arcsin(np.clip(dirs[:, 2], -1.0, 1.0)))
        extra_dirs, extra_ir, extra_delay = [], [], []
        for sign, extreme in ((1.0, el_all.max()), (-1.0, el_all.min())):
            if sign * extreme < 90.0 - POLE_GAP_DEG:
                ring = np.abs(el_all - extreme) < 1.0
                extra_dirs.append([0.0, 0.0, sign])
                extra_ir.append(aligned[ring].mean(axis=0))
                extra_delay.append(self.ear_delay_s[ring].mean(axis=0))
        if extra_dirs:
            dirs = np.vstack([dirs, extra_dirs])
            aligned = np.concatenate([aligned, np.array(extra_ir)], axis=0)
            self.ear_delay_s = np.ascontiguousarray(np.vstack([self.ear_delay_s, extra_delay]))
            self.directions = np.ascontiguousarray(dirs)
            m = dirs.shape[0]
        # solid-angle weights and triangulation
        self.solid_angle = _solid_angles(dirs)
        # the hull of slightly, mirror-symmetrically perturbed radii: coplanar groups (the quads
        # between two rings) are split the same way on both sides of the median plane
        hull = ConvexHull(dirs * (1.0 + 1e-7 * _mirror_symmetric_hash(dirs))[:, None])
        if np.any(hull.equations[:, 3] >= -1e-9):
            raise ValueError(f"listener.sofa ({sofa.path}): the measured directions must surround the head "
                             "(their convex hull must contain the head centre)")
        tris = np.ascontiguousarray(hull.simplices.astype(np.int64))
        self.triangles = tris
        mats = np.transpose(dirs[tris], (0, 2, 1))  # columns A, B, C
        self._tri_inv = np.ascontiguousarray(np.linalg.inv(mats))
        counts = np.bincount(tris.ravel(), minlength=m)
        self._vt_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        order = np.argsort(tris.ravel(), kind="stable")
        self._vt_idx = np.ascontiguousarray((order // 3).astype(np.int64))
        edges = np.unique(np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]), axis=1), axis=0)
        both = np.concatenate([edges, edges[:, ::-1]])
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        self._nb_ptr = np.concatenate([[0], np.cumsum(np.bincount(both[:, 0], minlength=m))]).astype(np.int64)
        self._nb_idx = np.ascontiguousarray(both[:, 1].astype(np.int64))
        el = np.radians(np.linspace(-90.0, 90.0, 91))
        az = -np.pi + (np.arange(180) + 0.5) * (2.0 * np.pi / 180)
        cell = np.stack([np.cos(el)[:, None] * np.cos(az)[None, :], np.cos(el)[:, None] * np.sin(az)[None, :],
                         np.broadcast_to(np.sin(el)[:, None], (91, 180))], axis=-1)
        self._cell_vertex = np.ascontiguousarray(np.argmax(cell.reshape(-1, 3) @ dirs.T, axis=1)
                                                 .reshape(91, 180).astype(np.int64))
        # 4. gain
        self.aligned = np.ascontiguousarray(aligned)
        mag2 = np.abs(np.fft.rfft(self.aligned, 1024, axis=-1)) ** 2
        p_l = self.solid_angle @ mag2[:, 0]
        p_r = self.solid_angle @ mag2[:, 1]
        f_hz = np.fft.rfftfreq(1024, 1.0 / fs)
        band = (f_hz >= GAIN_BAND_HZ[0]) & (f_hz <= min(GAIN_BAND_HZ[1], 0.45 * fs))
        self.gain = float(1.0 / np.sqrt(np.mean(0.5 * (p_l + p_r)[band])))
        self.aligned *= self.gain
        self._diffuse_cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # largest lead a caller needs so that no tap falls before t = 0 for an arrival at t = 0
        self.max_advance_samples = int(np.ceil(self.align_samples - np.min(self.ear_delay_s) * fs))

    @property
    def num_taps(self) -> int:
        return int(self.aligned.shape[-1])

    def lookup(self, directions: np.ndarray, interpolation: str = "barycentric") -> tuple[np.ndarray, np.ndarray]:
        """Interpolation weights for unit vectors (A, 3): the measured-direction indices (A, 3)
        int64 and weights (A, 3) (>= 0, summing to 1). ``barycentric`` (default): the vertices of
        the hull triangle holding the direction; ``nearest``: the nearest measured direction
        (weights 1, 0, 0; never a virtual pole), as pyroomacoustics' MeasuredDirectivity does."""
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"HRTF interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        u = np.ascontiguousarray(np.asarray(directions, dtype=np.float64).reshape(-1, 3))
        return hrtf_lookup(u, *self.lookup_tables(), interpolation == "nearest", self.n_measured)

    def lookup_tables(self) -> tuple:
        """The arrays :func:`renderers.acoustic.kernels.hrtf_lookup` takes after the directions,
        in its order (directions, triangles, inverse triangle matrices, vertex-to-triangle and
        vertex-neighbour lists, the 2-degree cell grid); read-only use."""
        return (self.directions, self.triangles, self._tri_inv, self._vt_ptr, self._vt_idx, self._nb_ptr,
                self._nb_idx, self._cell_vertex)

    def ear_delays(self, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Interpolated ear delays (A, 2) in seconds for :meth:`lookup` results."""
        return np.einsum("ak,ake->ae", w, self.ear_delay_s[idx])

    def hrir(self, direction, interpolation: str = "barycentric") -> np.ndarray:
        """The interpolated HRIR pair (2, L) for one direction, as rendered for a source whose
        wavefront reaches the head centre at t = ``(H - 1) + ceil(max ear advance)`` samples
        (so the response is causal); mainly for inspection and tests."""
        D = DEFAULT_DESIGN
        idx, w = self.lookup(np.asarray(direction, float)[None, :] / np.linalg.norm(direction), interpolation)
        lead = D.half_width - 1 + self.max_advance_samples
        delays = lead + self.ear_delays(idx, w) * self.sample_rate - self.align_samples
        out = np.zeros((1, 2, lead + self.num_taps + D.half_width + 8))
        accumulate_hrir(out, np.ascontiguousarray(delays), np.ones((1, 2, 1)), idx, w, self.aligned,
                        D.half_width, D.window_table, D.oversampling)
        return out[0]

    def _diffuse_cross_spectra(self, nfft: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Diffuse-field power spectra of both ears and their cross spectrum E[L conj(R)], on
        ``rfftfreq(nfft)``, with the ear delays included (so the interaural phase is right)."""
        spec = np.fft.rfft(self.aligned, nfft, axis=-1)
        f = np.fft.rfftfreq(nfft) * self.sample_rate
        spec = spec * np.exp(-2j * np.pi * f[None, None, :] * self.ear_delay_s[..., None])
        w = self.solid_angle[:, None]
        p_l = np.sum(w * np.abs(spec[:, 0]) ** 2, axis=0)
        p_r = np.sum(w * np.abs(spec[:, 1]) ** 2, axis=0)
        c = np.sum(w * spec[:, 0] * np.conj(spec[:, 1]), axis=0)
        return p_l, p_r, c

    def diffuse_field(self, freqs_hz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P_L, P_R, C) of a diffuse field at ``freqs_hz`` (interpolated from a 1024-point grid):
        the power spectra of the two ears and their cross spectrum E[L conj(R)]."""
        nfft = 1024
        if nfft not in self._diffuse_cache:
            self._diffuse_cache[nfft] = self._diffuse_cross_spectra(nfft)
        p_l, p_r, c = self._diffuse_cache[nfft]
        grid = np.fft.rfftfreq(nfft) * self.sample_rate
        f = np.asarray(freqs_hz, float)
        return (np.interp(f, grid, p_l), np.interp(f, grid, p_r),
                np.interp(f, grid, c.real) + 1j * np.interp(f, grid, c.imag))


def _mirror_symmetric_hash(dirs: np.ndarray) -> np.ndarray:
    """A deterministic pseudo-random number in [0, 1) per direction, equal for (x, y, z) and
    (x, -y, z)."""
    v = np.sin(12.9898 * dirs[:, 0] + 78.233 * np.abs(dirs[:, 1]) + 37.719 * dirs[:, 2]) * 43758.5453
    return v - np.floor(v)


def _solid_angles(dirs: np.ndarray) -> np.ndarray:
    """Fraction of the sphere closest to each direction (spherical Voronoi cells)."""
    try:
        sv = SphericalVoronoi(dirs, radius=1.0, center=np.zeros(3))
        sv.sort_vertices_of_regions()
        areas = sv.calculate_areas()
    except Exception:  # degenerate sets: equal weights
        areas = np.ones(dirs.shape[0])
    return areas / np.sum(areas)


@functools.lru_cache(maxsize=8)
def _load(path: str, sample_rate: int) -> HRTF:
    return HRTF(read_sofa(path), sample_rate)


def load_hrtf(sofa=None, sample_rate: int = 16000) -> HRTF:
    """The prepared :class:`HRTF` of ``sofa`` (``listener.sofa``: None/"default" or a path) at
    ``sample_rate``; read and prepared once per (file, rate) per process."""
    return _load(str(resolve_sofa_path(sofa)), int(sample_rate))
