"""The seeds' augmentations (training/augment.py, ``data.augment``): each changes what it should
and nothing else, the defaults are off and leave batches bit-identical, the same seed gives the
same augmented batch, and a short training run with every augmentation on and pretrained image
weights ends with finite losses."""
from __future__ import annotations

import copy
import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.augment import BatchAugmenter, time_shift                     # noqa: E402
from training.config import DEFAULTS, ConfigError, load_config              # noqa: E402
from training.data import SampleTable, TableSpec                             # noqa: E402
from training.features import mask_spectrogram                               # noqa: E402
from training.models import build_model                                      # noqa: E402
from training.train import batch_tensors                                     # noqa: E402

SR = 16000
CPU = torch.device("cpu")
REPO = Path(__file__).resolve().parent.parent


def augment_cfg(**on) -> dict:
    """``data.augment`` with the named augmentations' settings updated (e.g. crop={"p": 1})."""
    a = copy.deepcopy(DEFAULTS["data"]["augment"])
    for name, settings in on.items():
        a[name].update(settings)
    return a


def itd_pair(delay: int, n: int, seed: int) -> np.ndarray:
    """Broadband noise reaching the left ear ``delay`` samples before the right."""
    x = np.random.default_rng(seed).normal(size=n + 64).astype(np.float32) * 0.3
    return np.stack([x[32:32 + n], x[32 - delay:32 - delay + n]])


def lag(x: np.ndarray) -> int:
    """The lag k maximising sum_t L[t] R[t + k] (circular cross-correlation via FFT)."""
    n = x.shape[1]
    c = np.fft.irfft(np.conj(np.fft.rfft(x[0])) * np.fft.rfft(x[1]), n=n)
    k = int(np.argmax(c))
    return k if k <= n // 2 else k - n


def table(n=6, h=24, w=32, length=4000, seed=0) -> SampleTable:
    """An in-memory table: images with one flat-coloured rectangle (its target mask) on a flat
    background, stereo audio with an interaural delay, and silence negatives."""
    rng = np.random.default_rng(seed)
    t = SampleTable(source=None, entries=[None] * n, spec=TableSpec((h, w), length, SR, ("silence",)))
    t.images = np.empty((n, h, w, 3), np.uint8)
    t.targets = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        t.images[i] = (20, 120, 200)
        top, left = rng.integers(0, h // 2), rng.integers(0, w // 2)
        t.images[i, top:top + h // 3, left:left + w // 3] = (250, 40, 10)
        t.targets[i, top:top + h // 3, left:left + w // 3] = 1
    delays = rng.choice([-8, -5, -3, 2, 4, 7], n)       # never 0: the lag test needs a delay to keep
    t.audio = np.stack([itd_pair(int(d), length, i) for i, d in enumerate(delays)])
    t.has_target = np.ones(n, bool)
    t.negatives = {"silence": np.zeros((n, 2, length), np.float32)}
    return t


def neighbourhood(mask: np.ndarray, reduce) -> np.ndarray:
    """``reduce`` (all / any) of each pixel's 3 x 3 neighbourhood (False on the border)."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    stack = [mask[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    out[1:-1, 1:-1] = np.logical_and.reduce(stack) if reduce is all else np.logical_or.reduce(stack)
    return out


def reference_tensors(arrays) -> dict[str, torch.Tensor]:
    """What a batch became before augmentations existed (the old ``Trainer.to_device``)."""
    img = torch.from_numpy(np.ascontiguousarray(arrays["image"])).permute(0, 3, 1, 2).float() / 255.0
    return {"image": (img - 0.5) / 0.25, "audio": torch.from_numpy(np.ascontiguousarray(arrays["audio"])),
            "target": torch.from_numpy(np.ascontiguousarray(arrays["target"])),
            "has_target": torch.from_numpy(np.ascontiguousarray(arrays["has_target"])),
            "neg_silence": torch.from_numpy(np.ascontiguousarray(arrays["neg_silence"]))}


def assert_same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k


ALL_ON = dict(crop={"p": 1.0}, colour_jitter={"p": 1.0}, spec_augment={"p": 1.0}, time_shift={"p": 1.0},
              additive_noise={"p": 1.0})


# ------------------------------------------------------------------------------------------------
def test_defaults_are_off_and_leave_batches_bit_identical():
    a = DEFAULTS["data"]["augment"]
    assert all(v["p"] == 0.0 for v in a.values())
    aug = BatchAugmenter(a, seed=0, sample_rate=SR, spec_shape=(32, 26))
    assert not aug.active
    t = table()
    arrays = t.batch([4, 1, 2], [True, False, True])
    ref = reference_tensors(arrays)
    assert_same(batch_tensors(arrays, CPU, aug, epoch=3), ref)
    assert_same(batch_tensors(arrays, CPU), ref)
    # and turned on, they do change the batch (the comparison above can fail)
    on = BatchAugmenter(augment_cfg(**ALL_ON), seed=0, sample_rate=SR, spec_shape=(32, 26))
    out = batch_tensors(arrays, CPU, on, epoch=3)
    assert set(out) == set(ref) | {"spec_keep"}
    assert not torch.equal(out["image"], ref["image"]) and not torch.equal(out["audio"], ref["audio"])
    assert torch.equal(out["neg_silence"], ref["neg_silence"])        # silence stays silent


def test_same_seed_same_augmented_batch_fresh_draws_per_epoch_and_per_row():
    t = table()
    arrays = t.batch([3, 0, 5, 1], [False, True, False, True])

    def run(seed, epoch, rows_arrays=arrays):
        aug = BatchAugmenter(augment_cfg(**ALL_ON), seed=seed, sample_rate=SR, spec_shape=(32, 26))
        return batch_tensors(rows_arrays, CPU, aug, epoch=epoch)

    assert_same(run(7, 2), run(7, 2))
    for other in (run(8, 2), run(7, 3)):
        assert not torch.equal(other["image"], run(7, 2)["image"])
        assert not torch.equal(other["audio"], run(7, 2)["audio"])
        assert not torch.equal(other["spec_keep"], run(7, 2)["spec_keep"])
    # a row's augmentation depends on (seed, epoch, row) only, not on its batch (DDP splits, resume)
    whole = run(7, 2)
    part = run(7, 2, t.batch([5, 1], [False, True]))
    for k in ("image", "audio", "target", "has_target", "spec_keep"):
        assert torch.equal(whole[k][2:], part[k]), k


def test_crop_keeps_the_mask_aligned_with_the_image():
    h, w = 24, 32
    t = table(n=40, h=h, w=w, seed=1)
    rows = list(range(40))
    arrays = t.batch(rows, [False] * 40)
    aug = BatchAugmenter(augment_cfg(crop={"p": 1.0, "scale": [0.08, 0.5]}), seed=3, sample_rate=SR)
    out = batch_tensors(arrays, CPU, aug, epoch=0)
    boxes = aug.crop_boxes(rows, 0, h, w)
    img = (out["image"] * 0.25 + 0.5).permute(0, 2, 3, 1).numpy() * 255     # back to 0..255, (B, H, W, 3)
    obj, bg = np.array([250, 40, 10]), np.array([20, 120, 200])
    lost = kept = 0
    for i, (top, left, bh, bw) in enumerate(boxes):
        before = arrays["target"][i]
        # output pixel (r, c) samples the input at (y, x) (pixel k spans [k, k + 1))
        ys = top + (np.arange(h) + 0.5) / h * bh
        xs = left + (np.arange(w) + 0.5) / w * bw
        yi, xi = np.clip(np.floor(ys).astype(int), 0, h - 1), np.clip(np.floor(xs).astype(int), 0, w - 1)
        expect = before[yi][:, xi]
        clear = (np.abs(ys - np.round(ys)) > 1e-3)[:, None] & (np.abs(xs - np.round(xs)) > 1e-3)[None, :]
        after = out["target"][i].numpy()
        np.testing.assert_array_equal(after[clear], expect[clear])
        # a pixel inside the object before (away from its edge, where bilinear mixes colours) is
        # inside the mask after and has the object's colour; the same for the background
        # (a bilinear sample reads the 2 x 2 pixels around it: within the 3 x 3 neighbourhood)
        inner, outer = neighbourhood(before, all), neighbourhood(~before, all)
        src_in = inner[yi][:, xi]
        assert after[src_in].all()
        np.testing.assert_allclose(img[i][src_in], np.broadcast_to(obj, img[i][src_in].shape), atol=1e-3)
        src_out = outer[yi][:, xi]
        assert not after[src_out].any()
        np.testing.assert_allclose(img[i][src_out], np.broadcast_to(bg, img[i][src_out].shape), atol=1e-3)
        # a crop that cuts the whole target out leaves a pair without a target
        assert bool(out["has_target"][i]) == bool(after.any())
        lost += not after.any()
        kept += bool(after.any())
    assert lost and kept                      # both cases happened in this draw
    assert torch.equal(out["audio"], reference_tensors(arrays)["audio"])    # the sound is untouched


def test_crop_follows_the_flip_and_keep_centre_zooms_about_the_centre():
    h, w = 24, 32
    t = table(n=8, h=h, w=w, seed=2)
    flipped = t.batch(list(range(8)), [True] * 8)
    aug = BatchAugmenter(augment_cfg(crop={"p": 1.0, "scale": [0.3, 0.6], "keep_centre": True}), seed=1,
                         sample_rate=SR)
    out = batch_tensors(flipped, CPU, aug, epoch=0)
    for top, left, bh, bw in aug.crop_boxes(list(range(8)), 0, h, w):
        assert math.isclose(top + bh / 2, h / 2) and math.isclose(left + bw / 2, w / 2)
    # the flipped target is what gets cropped: the mask still sits on the object's colour
    img = (out["image"] * 0.25 + 0.5).permute(0, 2, 3, 1).numpy() * 255
    red = np.abs(img[..., 0] - 250) < 1e-3
    assert (red <= out["target"].numpy()).all()          # object-coloured pixels are inside the mask


def test_colour_jitter_changes_colours_only():
    t = table(n=4)
    arrays = t.batch([0, 1, 2, 3], [False] * 4)
    ref = reference_tensors(arrays)
    bright = BatchAugmenter(augment_cfg(colour_jitter={"p": 1.0, "brightness": 0.5, "contrast": 0.0,
                                                      "saturation": 0.0}), seed=0, sample_rate=SR)
    out = batch_tensors(arrays, CPU, bright, epoch=0)
    x0 = ref["image"] * 0.25 + 0.5
    x1 = out["image"] * 0.25 + 0.5
    for i, (b, c, s) in enumerate(bright.jitter_factors([0, 1, 2, 3], 0)):
        assert c == s == 1.0 and b != 1.0
        np.testing.assert_allclose(x1[i].numpy(), np.clip(x0[i].numpy() * b, 0, 1), atol=1e-6)
    for k in ("audio", "target", "has_target", "neg_silence"):
        assert torch.equal(out[k], ref[k]), k
    # saturation acts on colour only: a grey image keeps its values
    grey = t.batch([0], [False])
    grey["image"][:] = 77
    sat = BatchAugmenter(augment_cfg(colour_jitter={"p": 1.0, "brightness": 0.0, "contrast": 0.0,
                                                   "saturation": 0.9}), seed=0, sample_rate=SR)
    g = batch_tensors(grey, CPU, sat, epoch=0)["image"]
    assert torch.allclose(g, reference_tensors(grey)["image"], atol=1e-5)
    assert not torch.allclose(batch_tensors(arrays, CPU, sat, epoch=0)["image"], ref["image"], atol=1e-3)


def test_spec_augment_masks_the_same_bins_in_every_channel():
    m, frames = 32, 26
    aug = BatchAugmenter(augment_cfg(spec_augment={"p": 1.0, "freq_masks": 2, "freq_width": 6, "time_masks": 2,
                                                   "time_width": 5}), seed=0, sample_rate=SR, spec_shape=(m, frames))
    keep = aug.spectrogram_keep([0, 1, 2], epoch=0)
    assert keep.shape == (3, m, frames) and (~keep).any() and keep.any()
    b = 3
    spec = torch.randn(3 * b, 4, m, frames, generator=torch.Generator().manual_seed(0))   # audio + 2 negatives
    out = mask_spectrogram(spec, keep)
    changed = out != spec
    for j in range(3 * b):
        for ch in range(4):                       # mean log-mel, ILD, cos IPD, sin IPD: the same bins
            assert torch.equal(changed[j, ch], ~keep[j % b]), (j, ch)
            fill = spec[j, ch].mean()
            assert torch.allclose(out[j, ch][~keep[j % b]], fill.expand(int((~keep[j % b]).sum())))
    silence = torch.full((b, 4, m, frames), -18.4)
    assert torch.equal(mask_spectrogram(silence, keep), silence)      # a constant spectrogram stays as it is


def test_spec_augment_acts_inside_the_model_in_training_only():
    cfg = copy.deepcopy(DEFAULTS)
    cfg["model"].update(variant="stereo_ipd", image_widths=[8, 8, 16, 16], audio_widths=[8, 8, 16, 16],
                        embed_dim=16, output_stride=8)
    cfg["audio"].update(n_mels=32)
    torch.manual_seed(0)
    model = build_model(cfg, SR)
    wave = torch.from_numpy(np.stack([itd_pair(4, 4000, 0), itd_pair(-6, 4000, 1)]))
    frames = 4000 // 160 + 1
    aug = BatchAugmenter(augment_cfg(spec_augment={"p": 1.0, "freq_width": 10, "time_width": 8}), seed=0,
                         sample_rate=SR, spec_shape=(32, frames))
    keep = aug.spectrogram_keep([0, 1], epoch=0)
    model.train()
    feats = model.audio_input(wave)
    assert feats.shape[-2:] == keep.shape[-2:]
    seen = {}
    model.audio_encoder.register_forward_pre_hook(lambda mod, inp: seen.__setitem__("x", inp[0]))
    model.encode_audio(wave)
    assert torch.equal(seen["x"], feats)
    with model.spectrogram_masks(keep):
        model.encode_audio(wave)
        assert torch.equal(seen["x"], mask_spectrogram(feats, keep))
        model.eval()                              # evaluation never masks
        model.encode_audio(wave)
        assert torch.equal(seen["x"], feats)
    assert model._spec_keep is None


@pytest.mark.parametrize("mode", ["circular", "zero"])
def test_time_shift_keeps_the_interaural_lag(mode):
    t = table(n=6, length=4000)
    rows = list(range(6))
    arrays = t.batch(rows, [False] * 6)
    aug = BatchAugmenter(augment_cfg(time_shift={"p": 1.0, "max_s": 0.02, "mode": mode}), seed=0, sample_rate=SR)
    out = batch_tensors(arrays, CPU, aug, epoch=0)
    shifts = aug.time_shifts(rows, 0)
    assert any(s != 0 for s in shifts) and all(abs(s) <= 320 for s in shifts)
    for i, s in enumerate(shifts):
        x, y = arrays["audio"][i], out["audio"][i].numpy()
        expect = np.roll(x, s, axis=1)
        if mode == "zero":
            if s > 0:
                expect[:, :s] = 0
            elif s < 0:
                expect[:, s:] = 0
        np.testing.assert_array_equal(y, expect)
        assert lag(y) == lag(x) != 0              # the interaural delay is the same
    for k in ("image", "target", "neg_silence"):
        assert torch.equal(out[k], reference_tensors(arrays)[k]), k
    with pytest.raises(ValueError):
        time_shift(torch.zeros(1, 2, 8), [1], "reflect")


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_additive_noise_is_fresh_independent_per_ear_and_at_the_drawn_snr(kind):
    n, length = 6, 8000
    t = table(n=n, length=length)
    t.audio[5] = 0.0                              # a silent sample stays silent
    rows = list(range(n))
    arrays = t.batch(rows, [False] * n)
    aug = BatchAugmenter(augment_cfg(additive_noise={"p": 1.0, "snr_db": [5.0, 20.0], "kind": kind}), seed=0,
                         sample_rate=SR)
    out = batch_tensors(arrays, CPU, aug, epoch=0)
    noise = out["audio"].numpy() - arrays["audio"]
    for i, (snr, _) in enumerate(aug.noise_draws(rows, 0, 2, length)):
        assert 5.0 <= snr <= 20.0
        if i == 5:
            assert not noise[i].any()
            continue
        p_sig = float((arrays["audio"][i].astype(np.float64) ** 2).mean())
        p_l, p_r = (noise[i].astype(np.float64) ** 2).mean(axis=1)
        assert 10 * math.log10(p_sig / (0.5 * (p_l + p_r))) == pytest.approx(snr, abs=0.01)
        assert p_l == pytest.approx(p_r, rel=1e-3)                    # the same level in both ears
        # independent ears (identical noise, a phantom centre source, would correlate at 1; pink noise's
        # strong low frequencies leave few independent values, so its sample correlation varies more)
        assert abs(np.corrcoef(noise[i, 0], noise[i, 1])[0, 1]) < (0.1 if kind == "white" else 0.5)
    if kind == "pink":
        spec = np.abs(np.fft.rfft(noise[0, 0])) ** 2
        assert spec[1:200].mean() > 10 * spec[-2000:].mean()
    again = batch_tensors(arrays, CPU, aug, epoch=1)["audio"].numpy() - arrays["audio"]
    assert not np.allclose(again[0], noise[0])    # drawn anew every epoch (every batch a row is in)
    assert torch.equal(out["neg_silence"], reference_tensors(arrays)["neg_silence"])
    assert torch.equal(out["image"], reference_tensors(arrays)["image"])


def test_augment_config_is_validated():
    cfg = load_config(None, ["data.augment.crop.p=0.5", "data.augment.additive_noise.snr_db=[0, 10]"])
    assert cfg["data"]["augment"]["crop"]["p"] == 0.5 and cfg["data"]["augment"]["crop"]["scale"] == [0.5, 1.0]
    for bad, key in [("data.augment.crop.pp=1", "data.augment.crop.pp"),
                     ("data.augment.blur.p=1", "data.augment.blur"),
                     ("data.augment.crop.p=1.5", "data.augment.crop.p"),
                     ("data.augment.crop.scale=[0.9, 0.2]", "data.augment.crop.scale"),
                     ("data.augment.colour_jitter.brightness=2", "data.augment.colour_jitter.brightness"),
                     ("data.augment.spec_augment.time_width=-1", "data.augment.spec_augment.time_width"),
                     ("data.augment.time_shift.mode=reflect", "data.augment.time_shift.mode"),
                     ("data.augment.additive_noise.kind=brown", "data.augment.additive_noise.kind")]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(None, [bad])


# ------------------------------------------------------------------------------------------------
# A short training run (the train CLI in a subprocess: it sets torch's threads and determinism)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    from conftest import CONGRUENT, simulate

    cwd = tmp_path_factory.mktemp("augment_tiny")
    simulate("--spec", str(CONGRUENT), "--set", "samples=8", "--set", "image.width=48", "--set", "image.height=48",
             "--set", "audio.duration=0.25", "--set", "objects.max_distance_m=100", "--set", "room.type=free_field",
             "--set", "listener.head=spaced", "--set", "background.kind=color", "--set", "negatives.silence=true",
             "--set", "negatives.noise=true", "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out"


def train(data: Path, out: Path, *extra: str) -> list[dict]:
    sets = [f"data.train={data}", f"data.cache_dir={out.parent / 'cache'}", "model.variant=stereo_ipd",
            "model.image_widths=[8, 16, 32, 64]", "model.audio_widths=[8, 8, 16, 16]", "model.embed_dim=16",
            "model.projection_dim=8", "audio.n_mels=32", "data.negatives=[silence, noise]",
            "loss.silence.weight=1", "loss.noise.weight=1", "loss.supervised.weight=1", "loss.alignment.weight=0.5",
            "train.batch_size=4", "train.max_steps=3", "train.threads=1", "train.log_every=1", "train.amp=off",
            "train.device=cpu", "seed=5", *extra]
    args = [sys.executable, "-m", "training.train", "--config", str(REPO / "configs" / "cpu_small.yaml"),
            "--out", str(out), "--quiet"]
    for s in sets:
        args += ["--set", s]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(args, cwd=out.parent, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    with (out / "train_log.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_short_run_with_every_augmentation_and_pretrained_weights(tiny_dataset, tmp_path):
    from test_pretrained import random_reference, save_pth

    weights = save_pth(random_reference([8, 16, 32, 64], seed=9), tmp_path / "resnet18_tiny.pth")
    every = ["data.augment.crop.p=1", "data.augment.colour_jitter.p=1", "data.augment.spec_augment.p=1",
             "data.augment.time_shift.p=1", "data.augment.additive_noise.p=1",
             f"model.pretrained.image={weights}", "model.image_normalisation=imagenet"]
    a = train(tiny_dataset, tmp_path / "a", *every)
    assert len(a) == 3
    for row in a:
        for k in ("loss", "contrastive", "alignment", "silence", "noise", "supervised"):
            assert math.isfinite(float(row[k])), (k, row)
    # deterministic: the same seed gives the same losses; the augmentations do reach the batches
    b = train(tiny_dataset, tmp_path / "b", *every)
    assert [r["loss"] for r in a] == [r["loss"] for r in b]
    plain = train(tiny_dataset, tmp_path / "c", *every[5:])
    assert [r["loss"] for r in plain] != [r["loss"] for r in a]
