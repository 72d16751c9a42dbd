"""Models, front ends, losses, checkpoints and flips on synthetic tensors (no dataset needed)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import losses as L                                    # noqa: E402
from training.config import DEFAULTS, ConfigError, load_config      # noqa: E402
from training.data import SampleTable, TableSpec, epoch_flips, epoch_order   # noqa: E402
from training.features import InterauralSpectrogram, LogMel, swap_channels   # noqa: E402
from training.models import ResNet18Backbone, build_model  # noqa: E402

SR = 16000


def small_cfg(variant="stereo_ipd", **loss):
    cfg = copy.deepcopy(DEFAULTS)
    cfg["model"].update(variant=variant, image_widths=[8, 8, 16, 16], audio_widths=[8, 8, 16, 16], embed_dim=16,
                        projection_dim=8, output_stride=8)
    cfg["audio"].update(n_mels=32)
    for k, v in loss.items():
        cfg["loss"][k].update(v)
    return cfg


def _itd_pair(delay: int, n: int = 8000, seed: int = 0) -> np.ndarray:
    """Broadband noise reaching the left ear ``delay`` samples before the right (source on the left)."""
    x = np.random.default_rng(seed).normal(size=n + 64).astype(np.float32)
    left = x[32:32 + n]
    right = x[32 - delay:32 - delay + n]
    return np.stack([left, right])


@pytest.mark.parametrize("variant", ["mono", "stereo_conv1d", "stereo_ipd", "vision"])
def test_forward_shapes(variant):
    torch.manual_seed(0)
    cfg = small_cfg(variant, alignment={"weight": 1.0})
    m = build_model(cfg, SR).eval()
    img = torch.randn(3, 3, 64, 64)
    wav = torch.randn(3, 2, 8000)
    with torch.no_grad():
        v, a = m(img, wav)
        maps = m.similarity(v, a)
        pairs = m.all_pairs(v, a)
        pv, pa = m.embeddings(v, a)
    assert v.shape == (3, 16, 8, 8)            # output stride 8
    assert a.shape == (3, 16)
    assert maps.shape == (3, 8, 8) and float(maps.abs().max()) <= 1.0 + 1e-5
    assert pairs.shape == (3, 3, 8, 8)
    assert pv.shape == pa.shape == (3, 8)


@pytest.mark.parametrize("stride,cells", [(8, 14), (16, 7), (32, 4)])
def test_output_stride(stride, cells):
    cfg = small_cfg("mono")
    cfg["model"]["output_stride"] = stride
    m = build_model(cfg, SR).eval()
    assert m.encode_image(torch.randn(1, 3, 112, 112)).shape[-2:] == (cells, cells)


def test_resnet18_proper_has_resnet18_size():
    # ResNet-18 without the classifier: 11.18 M parameters (seeds/004 Table A.3)
    n = sum(p.numel() for p in ResNet18Backbone(3).parameters())
    assert abs(n - 11_176_512) < 1000


def test_conv1d_stereo_starts_as_the_mono_model():
    torch.manual_seed(0)
    mono = build_model(small_cfg("mono"), SR).eval()
    stereo = build_model(small_cfg("stereo_conv1d"), SR).eval()
    missing, unexpected = stereo.load_state_dict(mono.state_dict(), strict=False)
    assert missing == ["mix.weight"] and not unexpected
    w = stereo.mix.weight.detach()
    k = w.shape[-1]
    assert torch.equal(w[0, :, k // 2], torch.tensor([0.5, 0.5]))
    assert float(w.abs().sum()) == 1.0
    img = torch.randn(2, 3, 64, 64)
    wav = torch.from_numpy(np.stack([_itd_pair(5), _itd_pair(-3, seed=1)]))
    with torch.no_grad():
        assert torch.allclose(stereo.audio_input(wav), mono.audio_input(wav), atol=1e-5)
        assert torch.allclose(stereo.maps(img, wav), mono.maps(img, wav), atol=1e-5)


def test_conv1d_is_trainable_and_breaks_left_right_symmetry():
    torch.manual_seed(0)
    stereo = build_model(small_cfg("stereo_conv1d"), SR)
    with torch.no_grad():
        stereo.mix.weight[0, 0, 0] += 0.3          # an asymmetric tap, as training can learn
    stereo.eval()
    wav = torch.from_numpy(_itd_pair(6)[None])
    with torch.no_grad():
        a = stereo.audio_input(wav)
        b = stereo.audio_input(swap_channels(wav))
    assert not torch.allclose(a, b, atol=1e-3)
    mono = build_model(small_cfg("mono"), SR).eval()
    with torch.no_grad():
        assert torch.allclose(mono.audio_input(wav), mono.audio_input(swap_channels(wav)), atol=1e-5)


def test_interaural_features_encode_the_side_and_swap_with_the_channels():
    fe = InterauralSpectrogram(SR, 512, 160, 64, 0.0, None)
    left_first = torch.from_numpy(_itd_pair(6)[None])
    feats = fe(left_first)
    swapped = fe(swap_channels(left_first))
    assert feats.shape == (1, 4, 64, 8000 // 160 + 1)
    assert torch.allclose(swapped[:, 0], feats[:, 0], atol=1e-4)       # mean log-mel unchanged
    assert torch.allclose(swapped[:, 1], -feats[:, 1], atol=1e-4)      # ILD negated
    assert torch.allclose(swapped[:, 2], feats[:, 2], atol=1e-4)       # cos IPD unchanged
    assert torch.allclose(swapped[:, 3], -feats[:, 3], atol=1e-4)      # sin IPD negated
    # left ear leads by 6 samples: X_L conj(X_R) = |X|^2 e^{+j 2 pi f 6 / fs}: positive sin IPD at low f
    low = feats[0, 3, 2:12].mean()
    assert float(low) > 0.3
    mono = LogMel(SR, 512, 160, 64, 0.0, None)
    assert mono(left_first.mean(dim=1)).shape == (1, 1, 64, 51)


def test_horizontal_flip_mirrors_image_and_masks_and_swaps_channels():
    h, w, n = 4, 6, 3
    rng = np.random.default_rng(0)
    table = SampleTable(source=None, entries=[None] * n, spec=TableSpec((h, w), 10, SR, ("silence",)))
    table.images = rng.integers(0, 255, (n, h, w, 3), dtype=np.uint8)
    table.audio = rng.normal(size=(n, 2, 10)).astype(np.float32)
    table.targets = (rng.random((n, h, w)) > 0.5).astype(np.uint8)
    table.has_target = np.ones(n, bool)
    table.negatives = {"silence": rng.normal(size=(n, 2, 10)).astype(np.float32)}
    out = table.batch([2, 0], [True, False])
    np.testing.assert_array_equal(out["image"][0], table.images[2][:, ::-1])
    np.testing.assert_array_equal(out["target"][0], table.targets[2][:, ::-1].astype(bool))
    np.testing.assert_array_equal(out["audio"][0, 0], table.audio[2, 1])     # left <- right
    np.testing.assert_array_equal(out["audio"][0, 1], table.audio[2, 0])
    np.testing.assert_array_equal(out["neg_silence"][0], table.negatives["silence"][2][::-1])
    np.testing.assert_array_equal(out["image"][1], table.images[0])           # not flipped
    np.testing.assert_array_equal(out["audio"][1], table.audio[0])


def test_epoch_order_and_flips_depend_only_on_seed_and_epoch():
    assert np.array_equal(epoch_order(50, 3, 1), epoch_order(50, 3, 1))
    assert not np.array_equal(epoch_order(50, 3, 1), epoch_order(50, 3, 2))
    f = epoch_flips(1000, 3, 1, 0.5)
    assert np.array_equal(f, epoch_flips(1000, 3, 1, 0.5)) and 0.4 < f.mean() < 0.6
    assert not epoch_flips(10, 3, 1, 0.0).any()


def test_losses_are_finite_and_silence_loss_pushes_maps_to_zero():
    torch.manual_seed(0)
    cfg = small_cfg("stereo_ipd", alignment={"weight": 1.0}, silence={"weight": 1.0}, noise={"weight": 1.0},
                    supervised={"weight": 1.0})
    m = build_model(cfg, SR)
    b = 4
    target = torch.zeros(b, 64, 64, dtype=torch.bool)
    target[:, 10:30, 20:40] = True
    batch = {"image": torch.randn(b, 3, 64, 64), "audio": torch.randn(b, 2, 4000), "target": target,
             "has_target": torch.ones(b, dtype=torch.bool), "neg_silence": torch.zeros(b, 2, 4000),
             "neg_noise": torch.randn(b, 2, 4000)}
    total, parts, maps = L.compute_losses(m, batch, cfg["loss"])
    assert set(parts) == {"contrastive", "alignment", "silence", "noise", "supervised"}
    assert torch.isfinite(total) and maps.shape == (b, 8, 8)
    total.backward()
    assert all(p.grad is not None for n, p in m.named_parameters())


@pytest.mark.parametrize("positives", [0, 1])
def test_every_enabled_loss_term_is_present_and_trains_all_parameters(positives):
    # a batch with too few target samples for the contrastive, alignment or supervised terms still
    # reports every enabled term (as zero) and reaches every parameter: DDP processes stay in step
    torch.manual_seed(0)
    cfg = small_cfg("stereo_ipd", alignment={"weight": 1.0}, silence={"weight": 1.0}, supervised={"weight": 1.0})
    m = build_model(cfg, SR)
    b = 4
    has = torch.zeros(b, dtype=torch.bool)
    has[:positives] = True
    batch = {"image": torch.randn(b, 3, 64, 64), "audio": torch.randn(b, 2, 4000),
             "target": torch.ones(b, 64, 64, dtype=torch.bool), "has_target": has,
             "neg_silence": torch.zeros(b, 2, 4000)}
    total, parts, _ = L.compute_losses(m, batch, cfg["loss"])
    assert set(parts) == {"contrastive", "alignment", "silence", "supervised"}
    assert parts["contrastive"] == 0.0 and parts["alignment"] == 0.0
    assert (parts["supervised"] == 0.0) == (positives == 0)
    total.backward()
    assert all(p.grad is not None for p in m.parameters())


def test_pretrained_weights_load_from_a_local_file_and_mismatches_are_reported(tmp_path):
    import io
    import warnings

    import soundfile as sf
    from safetensors.torch import save_file

    from training.data import DataError, decode_audio

    torch.manual_seed(0)
    cfg = small_cfg("mono")
    cfg["model"]["coord_channels"] = False
    donor = build_model(cfg, SR)
    path = tmp_path / "image.safetensors"
    save_file({f"backbone.{k}": v.contiguous() for k, v in donor.image_encoder.state_dict().items()}, str(path))
    cfg["model"]["pretrained"] = {"image": str(path), "audio": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = build_model(cfg, SR)
    for k, v in donor.image_encoder.state_dict().items():
        assert torch.equal(got.image_encoder.state_dict()[k], v), k
    # CoordConv widens the first convolution: the pretrained RGB weights are kept, the two extra
    # coordinate channels start at zero, and the warning names the adapted tensor
    cfg["model"]["coord_channels"] = True
    with pytest.warns(UserWarning, match="model.pretrained.image: 1 tensor"):
        build_model(cfg, SR)
    save_file({"unrelated": torch.zeros(3)}, str(tmp_path / "other.safetensors"))
    cfg["model"]["pretrained"] = {"image": str(tmp_path / "other.safetensors"), "audio": None}
    with pytest.raises(ConfigError, match="no tensor matches"):
        build_model(cfg, SR)
    # audio files are never resampled silently
    buf = io.BytesIO()
    sf.write(buf, np.zeros((800, 2), np.float32), 8000, format="WAV")
    with pytest.raises(DataError, match="8000 Hz where 16000 Hz"):
        decode_audio(buf.getvalue(), 1000, sample_rate=16000)
    assert decode_audio(buf.getvalue(), 1000, sample_rate=8000).shape == (2, 1000)


def test_loss_functions_hand_computed():
    # InfoNCE of a perfectly diagonal logit matrix with a large margin is ~0
    logits = torch.eye(3) * 50
    assert float(L.info_nce(logits)) < 1e-6
    # uniform logits: log(n)
    assert float(L.info_nce(torch.zeros(4, 4))) == pytest.approx(np.log(4), rel=1e-6)
    # an extra negative equal to the positive adds log((n + 1) / n)-ish to the row term only
    assert float(L.info_nce(torch.zeros(2, 2), torch.zeros(2, 1))) == pytest.approx(0.5 * (np.log(3) + np.log(2)), rel=1e-6)
    # MIL: the max over locations is what is contrasted
    maps = torch.full((2, 2, 3, 3), -1.0)
    maps[0, 0, 1, 1] = 1.0
    maps[1, 1, 0, 2] = 1.0
    s = maps.flatten(2).amax(-1)
    assert torch.equal(s, torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
    assert float(L.empty_map_loss(torch.full((2, 3, 3), 0.5))) == pytest.approx(0.25)
    # supervised softmax: the cross-entropy of the mask-normalised target
    m = torch.zeros(1, 2, 2)
    t = torch.zeros(1, 2, 2)
    t[0, 0, 0] = True
    assert float(L.supervised_loss(m, t, "softmax", 1.0)) == pytest.approx(np.log(4), rel=1e-6)
    ds = L.downsample_mask(torch.ones(1, 4, 4).tril().bool(), (2, 2))
    assert torch.allclose(ds, torch.tensor([[[0.75, 0.0], [1.0, 0.75]]]))


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {varient: mono}\n")
    with pytest.raises(ConfigError, match="model.varient"):
        load_config(bad)
    with pytest.raises(ConfigError, match="variant"):
        load_config(None, ["model.variant=quad"])
    with pytest.raises(ConfigError, match="silence"):
        load_config(None, ["loss.silence.weight=1"])
    base = tmp_path / "base.yaml"
    base.write_text("train: {epochs: 3}\nmodel: {variant: mono}\n")
    child = tmp_path / "child.yaml"
    child.write_text("base: base.yaml\nmodel: {embed_dim: 32}\n")
    cfg = load_config(child, ["train.batch_size=8"])
    assert (cfg["train"]["epochs"], cfg["model"]["variant"], cfg["model"]["embed_dim"], cfg["train"]["batch_size"]) \
        == (3, "mono", 32, 8)


def test_checkpoint_round_trip(tmp_path):
    from training import checkpoint as C

    torch.manual_seed(0)
    cfg = small_cfg("stereo_conv1d")
    m = build_model(cfg, SR)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    v, a = m(torch.randn(2, 3, 64, 64), torch.randn(2, 2, 4000))
    (m.similarity(v, a).sum()).backward()
    opt.step()
    stem = C.save_checkpoint(tmp_path, m, opt, {"epoch": 0, "step_in_epoch": 1, "global_step": 1}, cfg, {})
    assert C.find_checkpoint(tmp_path) == stem
    rand_after_save = torch.rand(3)
    m2 = build_model(cfg, SR)
    opt2 = torch.optim.Adam(m2.parameters(), lr=1e-3)
    meta = C.restore(m2, opt2, stem)
    assert meta["progress"]["global_step"] == 1
    for (k, x), (_, y) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(x, y), k
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert all(torch.equal(s1[i]["exp_avg"], s2[i]["exp_avg"]) for i in s1)
    assert torch.equal(torch.rand(3), rand_after_save)      # the RNG state came back
    # a modified file is refused
    p = stem.with_suffix(".safetensors")
    data = bytearray(p.read_bytes())
    data[-1] ^= 1
    p.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        C.load_checkpoint(stem)
