"""Physically grounded binaural room rendering: image sources + late reverberation + HRTFs.

One renderer (:class:`RoomRenderer`) handles every ``room.type`` (free_field, shoebox,
polyhedron) and every ``listener.head`` (spaced, mono, hrtf). Everything comes from the Scene;
the only randomness (the stochastic tail, the ray tracer's rays, the background noise) is
seeded from ``scene.render_seed``. Frames and conventions are the project's
(docs/conventions.md, docs/acoustics.md):

* World frame = head frame of the un-rotated head (+x ahead, +y left, +z up), metres. Room
  coordinates = ``room.listener_position_m`` + world point (axes parallel). A head rotated by
  ``R = rotation_zyx(yaw_deg, pitch_deg, 0)`` hears a world direction ``u`` at ``R.T u``.
* Receivers: ``spaced``: omni ears at head-frame (0, +-s/2, 0), channel 0 LEFT; ``mono``: one
  omni receiver at the head centre; ``hrtf``: the head centre, with each arrival filtered by
  the interpolated HRIR pair of its direction of arrival (:mod:`.hrtf`) and delayed by its ear
  delays.
* Every arrival (direct path, image source, ray-traced late arrival) is a fractional-delay
  impulse at its absolute time ``r / c`` (t = 0 is the emission), with amplitude ``1/r``
  (r in metres: the clip's level is its level at 1 m) times the product of the pressure
  reflection coefficients ``sqrt(1 - alpha)`` of the walls it met and, with
  ``room.air_absorption``, ``exp(-m r / 2)`` per octave band.
* Late reverberation (``room.late``): ``stochastic`` (default; Gaussian noise with the room's
  per-band Eyring decay and the head's diffuse-field inter-ear coherence, :mod:`.late`),
  ``raytrace`` (a Numba ray tracer with a receiver sphere whose arrivals keep their directions
  and go through the head model like image sources) or ``none`` (image sources only, all of
  them, unfaded). With a late model the image sources are faded out and the late part faded
  in, energy-complementarily, just before ``t_b``: the time up to which the image sources of
  ``room.max_order`` are complete (the nearest image of order max_order + 1; for polyhedra
  0.8 (order + 1) mean free paths). The stochastic tail's level per band is matched to the
  image sources' energy in the 20 ms before the crossover; its decay is the room's RT60.
* Outputs (:class:`simulator.core.render.AudioRender`): ``impulse_responses[k]``
  (C, L) float32 from t = 0, without the source's gain, cut at the clip length (later taps
  cannot reach the output); ``stems[k] = gain * clip (*) response`` (C, n), computed with the
  interpolator's taps before t = 0 too (as :class:`FreeFieldRenderer`); ``mixture`` = sum of
  the stems, plus diffuse background noise at ``room.noise_snr_db`` (relative to the mixture's
  power over all channels) when set. For a free-field room with a spaced or mono head and no
  air absorption the result equals :class:`FreeFieldRenderer`'s.
"""
from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from typing import Sequence

import numpy as np
from scipy import fft as sfft

from simulator.core.geometry import rotation_zyx
from simulator.core.render import AudioRender
from simulator.core.scene import Listener, Scene, to_plain

from .fractional_delay import DEFAULT_DESIGN, FractionalDelayDesign
from .free_field import convolve_clip_into, dry_clips
from .heads import HEADS, PreparedHead
from .hrtf import HRTF, INTERPOLATIONS, load_hrtf
from .ism import ImageSources
from .kernels import trace_rays
from .late import band_masks, diffuse_noise, fade_weights, stochastic_tail
from .occlusion import Occluder, OccludedPath, occluded_direct_path
from .room_kinds import build_room, room_kind
from .rooms import RoomModel, band_centres

__all__ = ["RoomRenderer", "make_acoustic_renderer", "LATE_MODELS"]

LATE_MODELS = ("none", "stochastic", "raytrace")
#: Extra response length (s) kept after an occluded direct path, for its octave-band filters' ringing.
OCCLUDED_RING_S = 0.02
#: The stochastic tail's level is matched to the image sources' energy over this window before t_a.
TAIL_MATCH_WINDOW_S = 0.02


class RoomRenderer:
    """Binaural/stereo/mono rendering of a Scene in its room (see the module docstring).

    ``sample_rate`` (Hz) must equal the scenes' ``audio.sample_rate``. Reuse one renderer per
    worker: it caches the prepared HRTFs (per file), room models (per room), band masks and
    diffuse-field filters. ``ray_count`` and ``receiver_radius_m`` set the ray tracer
    (``room.late = 'raytrace'``); ``polyhedron_max_images`` bounds the image-source candidates of
    polyhedral rooms (their order is lowered to fit); ``hrtf_interpolation`` is ``barycentric``
    (default) or ``nearest`` (:meth:`renderers.acoustic.hrtf.HRTF.lookup`).
    """

    def __init__(self, sample_rate: int, design: FractionalDelayDesign = DEFAULT_DESIGN, *,
                 ray_count: int = 4000, receiver_radius_m: float = 0.5, polyhedron_max_images: int = 20000,
                 hrtf_interpolation: str = "barycentric", cache_size: int = 64):
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
        self.sample_rate = int(sample_rate)
        self.design = design
        self.ray_count = int(ray_count)
        self.receiver_radius_m = float(receiver_radius_m)
        self.polyhedron_max_images = int(polyhedron_max_images)
        if hrtf_interpolation not in INTERPOLATIONS:
            raise ValueError(f"hrtf_interpolation must be one of {INTERPOLATIONS}, got {hrtf_interpolation!r}")
        self.hrtf_interpolation = hrtf_interpolation
        self._cache_size = int(cache_size)
        self._rooms: OrderedDict[tuple, RoomModel] = OrderedDict()
        self._heads: OrderedDict[tuple, PreparedHead] = OrderedDict()
        self._checked: OrderedDict[tuple, bool] = OrderedDict()
        self._masks: dict = {}
        self._mixing: OrderedDict = OrderedDict()

    # -- caches ---------------------------------------------------------------------------------
    def room_model(self, room) -> RoomModel:
        """The validated :class:`~renderers.acoustic.rooms.RoomModel` of ``scene.room`` (cached)."""
        return self._room_model(_fields_key(room), room)

    def _room_model(self, key: tuple, room) -> RoomModel:
        model = self._rooms.get(key)
        if model is None:
            model = build_room(room, self.sample_rate)
            self._rooms[key] = model
            if len(self._rooms) > self._cache_size:
                self._rooms.popitem(last=False)
        else:
            self._rooms.move_to_end(key)
        return model

    def _setup(self, scene: Scene) -> tuple[RoomModel, PreparedHead]:
        """The room model and the prepared head of ``scene``, the head checked to be inside the
        room. The prepared head (rotation, HRTF) and the check are kept per (room, listener), as
        the room model is per room: a dataset with a fixed room or head pose prepares them once."""
        room_key, head_key = _fields_key(scene.room), _fields_key(scene.listener)
        model = self._room_model(room_key, scene.room)
        head = self._heads.get(head_key)
        if head is None:
            head = self._head(scene.listener)
            self._heads[head_key] = head
            if len(self._heads) > self._cache_size:
                self._heads.popitem(last=False)
        if (room_key, head_key) not in self._checked:
            self._check_listener(model, head)
            self._checked[(room_key, head_key)] = True
            if len(self._checked) > self._cache_size:
                self._checked.popitem(last=False)
        return model, head

    def hrtf(self, listener: Listener) -> HRTF:
        """The prepared HRTF of ``listener.sofa`` at this renderer's rate (cached per process)."""
        return load_hrtf(listener.sofa, self.sample_rate)

    def _head(self, listener: Listener) -> PreparedHead:
        model = HEADS.get(listener.head) if listener.head in HEADS else None
        if model is None:
            raise ValueError(f"listener.head must be one of {HEADS.names()}, got {listener.head!r}")
        yaw, pitch = listener.yaw_deg or 0.0, listener.pitch_deg or 0.0
        for name, v in (("yaw_deg", yaw), ("pitch_deg", pitch)):
            if not (isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v)):
                raise ValueError(f"listener.{name} must be a finite number of degrees, got {v!r}")
        rot = rotation_zyx(float(yaw), float(pitch), 0.0)
        return model.prepare(listener, rot, self.design.half_width, self.hrtf)

    def add_noise_floor(self, mix: np.ndarray, scene: Scene, model: RoomModel, head: PreparedHead) -> None:
        """Add the room's diffuse noise floor to the (C, n) float64 ``mix`` in place, at
        ``room.noise_snr_db`` below the mix's mean power (nothing for a silent mix or no
        ``noise_snr_db``), seeded by the Scene's render seed (stream 2)."""
        snr = scene.room.noise_snr_db
        n = mix.shape[1]
        if snr is None or n == 0:
            return
        power = float(np.mean(mix ** 2))
        if power > 0:
            rng = np.random.default_rng(np.random.SeedSequence(int(scene.render_seed), spawn_key=(2,)))
            noise = diffuse_noise(n, head.n_channels, self.sample_rate,
                                  self._mixing_fn(head, model.speed_of_sound, scene.listener.sofa), rng)
            mix += noise * np.sqrt(power * 10.0 ** (-float(snr) / 10.0))

    def _mixing_fn(self, head: PreparedHead, c: float, sofa):
        def fn(freqs):
            key = (head.model.name, head.spacing, str(sofa), c, freqs.shape[0], float(freqs[-1]))
            out = self._mixing.get(key)
            if out is None:
                out = head.model.diffuse_mixing(head, freqs, c)
                self._mixing[key] = out
                if len(self._mixing) > 16:
                    self._mixing.popitem(last=False)
            return out
        return fn

    # -- arrivals -------------------------------------------------------------------------------
    def _accumulate(self, out: np.ndarray, head: PreparedHead, model: RoomModel, listener_room: np.ndarray,
                    positions: np.ndarray, gains: np.ndarray, visible: np.ndarray | None, lead: int) -> None:
        """Add point-source arrivals (image sources at room positions (K, 3) with per-band gains
        (K, B)) to ``out`` (B, C, L) whose index 0 is t = -lead samples (through the head model)."""
        head.model.accumulate(out, head, self.sample_rate, model.speed_of_sound, model.air, listener_room, positions,
                              gains, visible, lead, self.design, self.hrtf_interpolation)

    def _accumulate_directional(self, out: np.ndarray, head: PreparedHead, model: RoomModel, times: np.ndarray,
                                dirs_world: np.ndarray, amps_band: np.ndarray, lead: int) -> None:
        """Add plane-wave arrivals at the head centre (times (H,), directions the sound comes
        from (H, 3) world axes, amplitudes (H, B)) to ``out`` (B, C, L)."""
        head.model.accumulate_directional(out, head, self.sample_rate, model.speed_of_sound, times, dirs_world,
                                          amps_band, lead, self.design, self.hrtf_interpolation)

    def _combine_bands(self, bands: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """Sum band responses (B, C, L) through the zero-phase octave masks -> (C, L)."""
        if bands.shape[0] == 1:
            return bands[0]
        length = bands.shape[-1]
        pad = min(2048, length)
        n_fft = sfft.next_fast_len(length + pad, real=True)
        key = (n_fft, float(self.sample_rate), tuple(np.round(centres, 6)))
        masks = self._masks.get(key)
        if masks is None:
            masks = band_masks(n_fft, self.sample_rate, centres)
            self._masks[key] = masks
            if len(self._masks) > 32:
                self._masks.pop(next(iter(self._masks)))
        spec = sfft.rfft(bands, n_fft, axis=-1)
        return sfft.irfft(np.einsum("bf,bcf->cf", masks, spec), n_fft, axis=-1)[:, :length]

    # -- responses ------------------------------------------------------------------------------
    def _check_listener(self, model: RoomModel, head: PreparedHead) -> None:
        if not model.bounded:
            return
        offsets = head.model.points(head)
        pts = np.vstack([model.listener[None, :], model.listener + offsets @ head.rotation.T])
        if not np.all(model.contains(pts)):
            raise ValueError(f"room.listener_position_m {tuple(model.listener.tolist())} puts the listener's head "
                             f"(centre or ears) outside the {model.type} room")

    def _source_response(self, scene: Scene, model: RoomModel, head: PreparedHead, k: int, n: int,
                         occluders: Sequence[Occluder] = (), occlusion: list | None = None,
                         late_only: bool = False) -> np.ndarray:
        """Response (C, lead + L) of source k, index 0 = t = -lead samples. With ``occluders`` the
        direct path goes round those blocking it (:mod:`.occlusion`); an :class:`OccludedPath`
        is then appended to ``occlusion``. ``late_only``: the late part alone (faded in at the
        crossover, level-matched to the image sources as usual; zeros with ``room.late: none``),
        without the image sources (the moving-source renderer, :mod:`.moving`, adds its own)."""
        src = scene.sources[k]
        where = f"scene.sources[{k}].position_m"
        try:
            p = np.asarray(src.position_m, dtype=float)
        except (TypeError, ValueError):
            p = np.zeros(0)
        if p.shape != (3,) or not np.all(np.isfinite(p)):
            raise ValueError(f"{where} must be 3 finite numbers (metres), got {src.position_m!r}")
        fs, c = self.sample_rate, model.speed_of_sound
        lead = head.lead
        room = scene.room
        src_room = model.listener + p
        if model.bounded and not model.contains(src_room):
            raise ValueError(f"{where} {tuple(p.tolist())} (room coordinates {tuple(np.round(src_room, 3).tolist())}) "
                             f"is outside the {model.type} room")
        head.model.check_source(p, head, where)
        b = model.n_bands
        h = self.design.half_width
        taps_after = head.model.taps_after(head, h)
        r_direct = float(np.linalg.norm(p)) + 0.5 * head.spacing
        t_direct = r_direct / c

        # -- image sources ------------------------------------------------------------------------
        kind = room_kind(room)
        late = room.late if model.bounded else "none"
        if late not in LATE_MODELS:
            raise ValueError(f"room.late must be one of {LATE_MODELS}, got {room.late!r}")
        order = room.max_order
        if not (isinstance(order, (int, np.integer)) and not isinstance(order, bool) and order >= 0):
            raise ValueError(f"room.max_order must be an integer >= 0, got {order!r}")
        receivers = head.model.receivers(head, model.listener)
        ims = kind.image_sources(model, src_room, receivers, int(order), fs, self.polyhedron_max_images)
        path = None  # the direct path round occluders, when one blocks it
        separate = None  # the occluded direct arrival, when the room's model has no bands for it
        if occluders and np.any(ims.orders == 0):
            path = occluded_direct_path(p, occluders, band_centres(fs), c, exclude=src.object_id)
            if path is not None:
                if occlusion is not None:
                    occlusion.append((k, path))
                ims, separate = _reroute_direct(ims, model.listener + path.apparent_position_m, path.band_gains,
                                                model.flat)
        heard = p if path is None else path.apparent_position_m  # where the direct sound seems to come from

        if late == "none":
            t_a = t_b = np.inf
            positions, gains, visible = ims.positions, ims.gains, ims.visible
            if not model.bounded and head.model.omni:  # omni ears in free field: exactly FreeFieldRenderer's length
                ears = head.ears_head @ head.rotation.T
                needed = int(np.floor(np.max(np.linalg.norm(heard[None, :] - ears, axis=1)) * fs / c)) + h + 1
            else:
                r_max = (float(np.max(np.linalg.norm(positions - model.listener, axis=1))) if positions.size else 0.0)
                needed = int(np.floor((r_max + head.spacing) * fs / c)) + taps_after
            if path is not None:  # an occluded direct path is band-filtered: keep its filters' ringing
                needed += int(np.ceil(OCCLUDED_RING_S * fs))
        else:
            t_a, t_b = crossover_times(kind, model, src_room, ims, int(order), t_direct)
            dist = np.linalg.norm(ims.positions - model.listener, axis=1)
            keep = dist <= (t_b * c + head.spacing + 1e-9)
            positions, gains = ims.positions[keep], ims.gains[keep]
            visible = ims.visible[:, keep]
            needed = int(np.ceil((t_direct + float(np.max(model.rt60))) * fs)) + taps_after
        length = needed if (n <= 0 or late == "none") else min(needed, n)
        total = lead + max(length, 1)

        early_len = total if late == "none" else min(total, lead + int(np.ceil(t_b * fs)) + taps_after + 1)
        early = np.zeros((b, head.n_channels, early_len))
        self._accumulate(early, head, model, model.listener, positions, gains, visible, lead)
        if late == "stochastic":
            t_direct_end = t_direct + taps_after / fs + 0.001
            tail_scale = self._tail_scale(early, lead, t_direct_end, t_a, model, head)
        early = self._combine_bands(early, model.centres)
        if separate is not None:
            bands = np.zeros((path.centres_hz.shape[0], head.n_channels, early_len))
            self._accumulate(bands, head, model, model.listener, *separate, lead)
            early = early + self._combine_bands(bands, path.centres_hz)
        ir = np.zeros((head.n_channels, total))
        if late == "none":
            if not late_only:
                ir[:, :early_len] = early
            return ir
        if not late_only:
            t_axis = (np.arange(early_len) - lead) / fs
            ir[:, :early_len] = early * np.sqrt(1.0 - fade_weights(t_axis, t_a, t_b))[None, :]

        seed = int(scene.render_seed)
        if late == "stochastic":
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, k)))
            ir += stochastic_tail(total, lead, fs, volume=model.volume, c=c, decay=model.decay, centres=model.centres,
                                  t_a=t_a, t_b=t_b, n_channels=head.n_channels,
                                  mixing_fn=self._mixing_fn(head, c, scene.listener.sofa), rng=rng,
                                  mask_cache=self._masks, scale=tail_scale)
        else:
            ir += self._raytraced_late(model, head, src_room, total, lead, t_a, t_b, seed, k)
        return ir

    def _tail_scale(self, early: np.ndarray, lead: int, t_start: float, t_a: float, model: RoomModel,
                    head: PreparedHead) -> np.ndarray:
        """Per-band amplitude factors (B,) that give the stochastic tail the image sources' energy
        just before the crossover: the ratio of their energy in [max(t_start, t_a - 20 ms), t_a]
        (mean over the ears) to the tail's expected energy there, square-rooted and clipped to
        +-12 dB; ones when that window is shorter than 5 ms."""
        fs = self.sample_rate
        w0 = max(t_start, t_a - TAIL_MATCH_WINDOW_S)
        b = early.shape[0]
        if t_a - w0 < 0.005:
            return np.ones(b)
        i0, i1 = lead + int(np.ceil(w0 * fs)), min(early.shape[-1], lead + int(np.floor(t_a * fs)))
        if i1 - i0 < 2:
            return np.ones(b)
        t = (np.arange(i0, i1) - lead) / fs
        energy = np.mean(np.sum(early[:, :, i0:i1] ** 2, axis=-1), axis=-1)  # (B,)
        kappa = head.model.diffuse_power(head, fs)  # broadband power of the diffuse-field tail per unit envelope
        expected = (4.0 * np.pi * model.speed_of_sound / (model.volume * fs)) * kappa \
            * np.sum(np.exp(-model.decay[:, None] * t[None, :]), axis=1)
        ratio = np.where((energy > 0) & (expected > 0), energy / np.where(expected > 0, expected, 1.0), 1.0)
        return np.sqrt(np.clip(ratio, 10 ** (-24 / 10), 10 ** (24 / 10)))

    def _raytraced_late(self, model: RoomModel, head: PreparedHead, src_room: np.ndarray, total: int, lead: int,
                        t_a: float, t_b: float, seed: int, k: int) -> np.ndarray:
        fs, c = self.sample_rate, model.speed_of_sound
        t_max = (total - lead) / fs
        expected = self.ray_count * c * t_max * np.pi * self.receiver_radius_m ** 2 / model.volume
        max_hits = int(3 * expected) + 10000
        ray_seed = int(np.random.SeedSequence(seed, spawn_key=(1, k)).generate_state(1)[0] & 0x7FFFFFFF)
        while True:
            times, energies, dirs = trace_rays(src_room, model.listener, self.receiver_radius_m, model.triangles,
                                               model.tri_normals, model.tri_wall, model.absorption, model.scattering,
                                               model.air, c, t_max, self.ray_count, ray_seed, max_hits)
            if times.shape[0] < max_hits:
                break
            max_hits *= 2  # the hit buffer filled up: trace again (same seed, same rays) with more room
        sel = times >= t_a
        times, energies, dirs = times[sel], energies[sel], dirs[sel]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, k)))
        sign = rng.choice(np.array([-1.0, 1.0]), size=times.shape[0])
        amps = sign[:, None] * np.sqrt(energies) * np.sqrt(fade_weights(times, t_a, t_b))[:, None]
        bands = np.zeros((model.n_bands, head.n_channels, total))
        self._accumulate_directional(bands, head, model, times, dirs, amps, lead)
        return self._combine_bands(bands, model.centres)

    def impulse_responses(self, scene: Scene, n: int | None = None, occluders: Sequence[Occluder] = ()
                          ) -> tuple[list[np.ndarray], int]:
        """Per-source responses (C, lead + L) float64 and the lead (samples before t = 0).

        ``n``: cut the responses at this many samples after t = 0 (default: the clip length
        ``round(duration_s * sample_rate)``; 0 or less: no cut). ``occluders``: see :meth:`render`."""
        if int(scene.audio.sample_rate) != self.sample_rate:
            raise ValueError(f"audio.sample_rate is {scene.audio.sample_rate} Hz but this renderer was "
                             f"built for {self.sample_rate} Hz")
        model, head = self._setup(scene)
        _check_seed(scene)
        if n is None:
            n = int(round(float(scene.audio.duration_s) * self.sample_rate))
        return [self._source_response(scene, model, head, k, n, occluders) for k in range(len(scene.sources))], head.lead

    # -- rendering ------------------------------------------------------------------------------
    def render(self, scene: Scene, clips: Sequence[np.ndarray], occluders: Sequence[Occluder] = ()) -> AudioRender:
        """Render every source of ``scene`` with its dry clip (1-D, ``round(duration_s * fs)``
        samples at ``audio.sample_rate``); see the module docstring. ``occluders``: object hulls
        (:func:`renderers.acoustic.occlusion.scene_occluders`) that may block direct paths; each
        blocked one is described in ``AudioRender.occlusion``."""
        xs = dry_clips(scene, clips, self.sample_rate)
        n = int(round(float(scene.audio.duration_s) * self.sample_rate))
        snr = scene.room.noise_snr_db
        if snr is not None and not (isinstance(snr, (int, float, np.integer, np.floating)) and np.isfinite(snr)):
            raise ValueError(f"room.noise_snr_db must be a finite number of dB or null, got {snr!r}")
        model, head = self._setup(scene)
        _check_seed(scene)
        lead = head.lead
        # one source and no noise: the mixture is the stem (0.0 + v = v for every sample v, which
        # is never -0.0), so no float64 mixture is kept
        alone = len(xs) == 1 and snr is None
        mix = None if alone else np.zeros((head.n_channels, n))
        stems, irs = [], []
        occlusion: list[tuple[int, OccludedPath]] = []
        for k, (x, gain) in enumerate(xs):
            ir = self._source_response(scene, model, head, k, n, occluders, occlusion)
            if n > 0:
                stems.append(convolve_clip_into(x, gain, ir, lead, n, mix))  # and mix += the stem
            else:
                stems.append(np.zeros((head.n_channels, 0), np.float32))
            irs.append(ir[:, lead:].astype(np.float32))
        if snr is not None:
            self.add_noise_floor(mix, scene, model, head)
        mixture = stems[0].copy() if alone else mix.astype(np.float32)
        return AudioRender(mixture=mixture, stems=stems, impulse_responses=irs,
                           occlusion=[path.record(scene.sources[k].id) for k, path in occlusion])


def crossover_times(kind, model: RoomModel, src_room: np.ndarray, ims: ImageSources, order: int,
                    t_direct: float) -> tuple[float, float]:
    """(t_a, t_b) in seconds after emission: the late part fades in (and the image sources out)
    from t_a to t_b, t_b being when the images of ``order`` stop being complete (at least 2 ms
    after the direct sound at ``t_direct``), the fade 10 ms long or half the time from the direct
    sound to t_b."""
    t_b = max(kind.complete_until_s(model, src_room, ims, int(order)), t_direct + 0.002)
    fade = min(0.010, 0.5 * (t_b - t_direct))
    return t_b - fade, t_b


def _reroute_direct(ims: ImageSources, position: np.ndarray, band_gains: np.ndarray, flat: bool
                    ) -> tuple[ImageSources, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """Image sources whose direct (order 0) arrival comes from ``position`` (room coordinates)
    with ``band_gains`` (B,) over the octave bands. A banded room model takes it in place; a
    flat (one-band) one cannot, so its direct arrival is silenced and returned apart as
    (positions (1, 3), gains (1, B), visibility (R, 1)) for accumulation in octave bands."""
    j = int(np.flatnonzero(ims.orders == 0)[0])
    positions, gains = ims.positions.copy(), ims.gains.copy()
    if flat:
        separate = (position[None, :], gains[j:j + 1, :1] * band_gains, ims.visible[:, j:j + 1].copy())
        gains[j] = 0.0
    else:
        separate = None
        positions[j] = position
        gains[j] = gains[j] * band_gains
    return dataclasses.replace(ims, positions=positions, gains=gains), separate


def _fields_key(obj) -> tuple:
    """A hashable key that tells dataclass instances (a Room, a Listener) apart by every field's
    type and value (floats by their repr, arrays by dtype, shape and bytes; anything else by its
    plain JSON): equal keys, equal room models and prepared heads. Much faster than the JSON of
    the whole object, and taken on every call."""
    return tuple(_value_key(getattr(obj, f.name)) for f in dataclasses.fields(obj))


def _value_key(v: object) -> tuple:
    if v is None or isinstance(v, (bool, int, str)):
        return (type(v), v)
    if isinstance(v, float):
        return (float, repr(v))
    if isinstance(v, (list, tuple)):
        return (type(v), tuple(_value_key(x) for x in v))
    if isinstance(v, dict):
        return (dict, tuple((str(k), _value_key(x)) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))))
    if isinstance(v, np.ndarray):
        return (np.ndarray, v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, np.generic):
        return (type(v), repr(v))
    return (object, json.dumps(to_plain(v), sort_keys=True, default=str))


def _check_seed(scene: Scene) -> None:
    s = scene.render_seed
    if not (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0):
        raise ValueError(f"scene.render_seed must be an integer >= 0, got {s!r}")


def make_acoustic_renderer(sample_rate: int, **kwargs) -> RoomRenderer:
    """The project's acoustic renderer for ``sample_rate`` (one per worker; it handles every
    room type and head)."""
    return RoomRenderer(sample_rate, **kwargs)
