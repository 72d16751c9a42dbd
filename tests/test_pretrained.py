"""Pretrained image-encoder weights from local torchvision/timm-format files (training/pretrained.py)
and the ImageNet input normalisation (model.image_normalisation).

The reference ResNet-18 below is written here, independently of training/models.py, with
torchvision's module layout (so its state dict has torchvision's names: conv1, bn1,
layer1.0.conv1, ..., layer2.0.downsample.0/1, fc); its weights are random. Nothing is downloaded."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
nn = torch.nn

from training.config import DEFAULTS, ConfigError, load_config           # noqa: E402
from training.models import IMAGENET_MEAN, IMAGENET_STD, ResNet18Backbone, build_model, normalise_image  # noqa: E402
from training.pretrained import read_state_dict, resnet_to_backbone       # noqa: E402

SR = 16000
RESNET18 = [64, 128, 256, 512]
SMALL = [8, 16, 32, 64]            # every stage changes width: the same layout at any output stride


class TVBasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock, written out."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TVResNet18(nn.Module):
    """torchvision.models.resnet18's layout (stage widths configurable), classifier included."""

    def __init__(self, widths=RESNET18, num_classes: int = 1000):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(widths[0], 1)
        self.layer2 = self._make_layer(widths[1], 2)
        self.layer3 = self._make_layer(widths[2], 2)
        self.layer4 = self._make_layer(widths[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3], num_classes)

    def _make_layer(self, planes: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [TVBasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers.append(TVBasicBlock(planes, planes))
        return nn.Sequential(*layers)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def random_reference(widths=RESNET18, seed: int = 0) -> dict[str, torch.Tensor]:
    """A torchvision-format state dict with every tensor random (batch-norm statistics included,
    so that a batch norm loaded in the wrong place changes the features)."""
    g = torch.Generator().manual_seed(seed)
    sd = TVResNet18(widths).state_dict()
    out = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(int(torch.randint(1, 1000, (1,), generator=g)))
        elif k.endswith("running_var") or (k.endswith(".weight") and v.dim() == 1):
            out[k] = 0.5 + torch.rand(v.shape, generator=g)
        else:
            out[k] = 0.1 * torch.randn(v.shape, generator=g)
    return out


def small_cfg(widths=SMALL, coord=True, normalisation="imagenet", image=None, stride=8):
    cfg = copy.deepcopy(DEFAULTS)
    cfg["model"].update(variant="mono", image_widths=list(widths), audio_widths=[8, 8, 16, 16], embed_dim=16,
                        output_stride=stride, coord_channels=coord, image_normalisation=normalisation)
    cfg["model"]["pretrained"] = {"image": None if image is None else str(image), "audio": None}
    cfg["audio"].update(n_mels=32)
    return cfg


def save_pth(state: dict, path) -> str:
    torch.save(state, str(path))
    return str(path)


def save_safetensors(state: dict, path) -> str:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return str(path)


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """A full-size (11.7 M parameter) torchvision-format ResNet-18 state dict saved as .pth."""
    return save_pth(random_reference(RESNET18, seed=1), tmp_path_factory.mktemp("resnet") / "resnet18.pth")


# ------------------------------------------------------------------------------------------------
def test_converter_maps_every_backbone_tensor():
    ref = random_reference(RESNET18)
    conv = resnet_to_backbone(ref)
    backbone = set(ResNet18Backbone(3, RESNET18).state_dict())
    assert set(conv) == backbone                        # every backbone tensor, nothing else
    assert not any(k.startswith("fc.") for k in conv)   # the classifier is dropped
    assert len(ref) - len(conv) == 2                    # ... and only it
    for k in backbone:
        assert conv[k] is ref[k] or torch.equal(conv[k], ref[k]), k


@pytest.mark.parametrize("widths", [SMALL, [8, 8, 16, 16]])
def test_converted_backbone_computes_the_reference_features(widths):
    # names alone could be right and the wiring wrong: the loaded backbone must compute the
    # reference ResNet's features (stride 32 = torchvision's stage strides)
    ref_sd = random_reference(widths, seed=2)
    ref = TVResNet18(widths)
    ref.load_state_dict(ref_sd)
    ours = ResNet18Backbone(3, widths, (1, 2, 2, 2))
    ours.load_state_dict(resnet_to_backbone(ref_sd))
    ref.eval()
    ours.eval()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = ref.features(x), ours(x)
    assert a.shape == b.shape
    assert torch.allclose(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("fmt", ["pth", "safetensors", "wrapped_pth", "timm_safetensors"])
def test_torchvision_and_timm_files_load_into_the_image_encoder(tmp_path, fmt):
    ref = random_reference(SMALL, seed=3)
    if fmt == "pth":
        path = save_pth(ref, tmp_path / "r18.pth")
    elif fmt == "wrapped_pth":     # a training checkpoint of a DDP-wrapped model
        path = save_pth({"state_dict": {f"module.{k}": v for k, v in ref.items()}, "epoch": 90}, tmp_path / "r.pt")
    elif fmt == "timm_safetensors":  # timm's resnet18 names are torchvision's; hub files may lack the counters
        path = save_safetensors({k: v for k, v in ref.items() if not k.endswith("num_batches_tracked")},
                                tmp_path / "model.safetensors")
    else:
        path = save_safetensors(ref, tmp_path / "r18.safetensors")
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # CoordConv off, ImageNet statistics on: nothing to warn about
        model = build_model(small_cfg(coord=False, image=path), SR)
    got = model.image_encoder.backbone.state_dict()
    for k, v in got.items():
        if k.endswith("num_batches_tracked") and fmt == "timm_safetensors":
            continue
        assert torch.equal(v, ref[k]), k


def test_coord_channels_start_at_zero_and_keep_the_pretrained_features(tmp_path):
    ref = random_reference(SMALL, seed=4)
    path = save_pth(ref, tmp_path / "r18.pth")
    with pytest.warns(UserWarning, match=r"model.pretrained.image: 1 tensor\(s\) adapted.*conv1.*start at zero"):
        coord = build_model(small_cfg(coord=True, image=path), SR)
    plain = build_model(small_cfg(coord=False, image=path), SR)
    w = coord.image_encoder.backbone.conv1.weight.detach()
    assert w.shape[1] == 5
    assert torch.equal(w[:, :3], ref["conv1.weight"])
    assert torch.equal(w[:, 3:], torch.zeros_like(w[:, 3:]))
    plain.image_encoder.head.load_state_dict(coord.image_encoder.head.state_dict())   # the head is new in both
    coord.eval()
    plain.eval()
    x = torch.randn(2, 3, 48, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = coord.encode_image(x), plain.encode_image(x)
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-5)
        # the check has teeth: non-zero coordinate weights change the features
        coord.image_encoder.backbone.conv1.weight[:, 3:] = 0.1
        assert not torch.allclose(coord.encode_image(x), b, atol=1e-3)


def test_shape_mismatches_are_config_errors_naming_key_and_shapes(resnet18_file, tmp_path):
    with pytest.raises(ConfigError, match=r"'conv1.weight' has shape \(64, 3, 7, 7\).*'backbone.conv1.weight' "
                                          r"has \(16, 5, 7, 7\).*image_widths must be \[64, 128, 256, 512\]"):
        build_model(small_cfg(widths=[16, 32, 64, 64], image=resnet18_file), SR)
    # the full-size model takes it
    with pytest.warns(UserWarning, match="adapted"):
        m = build_model(small_cfg(widths=RESNET18, image=resnet18_file), SR)
    assert torch.equal(m.image_encoder.backbone.layer4[1].bn2.running_var,
                       read_state_dict(resnet18_file)["layer4.1.bn2.running_var"])
    # an ImageNet ResNet into the 1-channel audio encoder: the first convolution does not fit
    cfg = small_cfg(image=None)
    cfg["model"]["audio_widths"] = RESNET18
    cfg["model"]["pretrained"]["audio"] = resnet18_file
    with pytest.raises(ConfigError, match=r"model.pretrained.audio .*\(64, 3, 7, 7\).*\(64, 1, 7, 7\).*spectrogram"):
        build_model(cfg, SR)
    # a tensor of an avsim-layout file with another shape is an error too (no silent skip)
    from safetensors.torch import save_file
    donor = build_model(small_cfg(widths=[8, 8, 16, 16], coord=False), SR)
    p = tmp_path / "own.safetensors"
    save_file({k: v.contiguous() for k, v in donor.image_encoder.state_dict().items()}, str(p))
    with pytest.raises(ConfigError, match=r"'backbone.conv1.weight' has shape \(8, 3, 7, 7\).*\(16, 3, 7, 7\)"):
        build_model(small_cfg(widths=[16, 16, 16, 16], coord=False, image=p), SR)


def test_unsupported_or_unsafe_files_are_refused(tmp_path):
    ref = random_reference(SMALL)
    bottleneck = {**ref, "layer1.0.conv3.weight": torch.zeros(8, 8, 1, 1)}
    with pytest.raises(ConfigError, match="bottleneck"):
        build_model(small_cfg(image=save_pth(bottleneck, tmp_path / "r50.pth")), SR)
    deep = {("conv1.0.weight" if k == "conv1.weight" else k): v for k, v in ref.items()}
    with pytest.raises(ConfigError, match="deep-stem"):
        build_model(small_cfg(image=save_pth(deep, tmp_path / "r18d.pth")), SR)
    # a pickle holding an object is refused by torch.load(weights_only=True), before any code runs
    torch.save({"conv1.weight": torch.zeros(1), "obj": _NotWeights()}, str(tmp_path / "evil.pth"))
    with pytest.raises(ConfigError, match="cannot be read"):
        build_model(small_cfg(image=tmp_path / "evil.pth"), SR)
    with pytest.raises(ConfigError, match="not found.*nothing is downloaded"):
        build_model(small_cfg(image=tmp_path / "absent.pth"), SR)
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ConfigError, match="cannot be read"):
        build_model(small_cfg(image=tmp_path / "junk.safetensors"), SR)


class _NotWeights:
    pass


def test_a_runs_model_file_loads_by_its_own_names(tmp_path):
    from safetensors.torch import save_file

    donor = build_model(small_cfg(coord=True), SR)
    p = tmp_path / "model.safetensors"          # as train writes it: the whole model's names
    save_file({k: v.contiguous() for k, v in donor.state_dict().items()}, str(p))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = build_model(small_cfg(coord=True, image=p), SR)
    for k, v in donor.image_encoder.state_dict().items():
        assert torch.equal(got.image_encoder.state_dict()[k], v), k


def test_imagenet_normalisation_is_an_exact_change_of_input_statistics():
    assert DEFAULTS["model"]["image_normalisation"] == "default"
    img = torch.randint(0, 256, (2, 16, 20, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    x = normalise_image(img)                      # what train and evaluate feed, unchanged
    assert torch.allclose(x, (img.permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.25)
    torch.manual_seed(0)
    imnet = build_model(small_cfg(normalisation="imagenet"), SR).eval()
    default = build_model(small_cfg(normalisation="default"), SR).eval()
    default.load_state_dict(imnet.state_dict())   # same weights; the normalisation is not a weight
    assert not any("input_scale" in k or "input_shift" in k for k in imnet.state_dict())
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    assert IMAGENET_MEAN == (0.485, 0.456, 0.406) and IMAGENET_STD == (0.229, 0.224, 0.225)
    by_hand = (img.permute(0, 3, 1, 2).float() / 255 - mean) / std
    with torch.no_grad():
        assert torch.allclose(imnet.encode_image(x), default.encode_image(by_hand), atol=1e-5)
        assert not torch.allclose(imnet.encode_image(x), default.encode_image(x), atol=1e-3)
    with pytest.raises(ConfigError, match="model.image_normalisation"):
        load_config(None, ["model.image_normalisation=imagenet1k"])


def test_imagenet_weights_with_the_default_normalisation_warn(tmp_path):
    path = save_pth(random_reference(SMALL), tmp_path / "r18.pth")
    with pytest.warns(UserWarning, match="image_normalisation is 'default'; set it to imagenet"):
        build_model(small_cfg(coord=False, normalisation="default", image=path), SR)


def test_evaluate_rebuilds_the_normalisation_from_the_run_config(tmp_path):
    # evaluate builds the model from model.json's config: the ImageNet normalisation comes back
    from training.evaluate import _fill_defaults

    cfg = small_cfg(normalisation="imagenet")
    stored = _fill_defaults(json_round_trip(cfg))
    rebuilt = build_model(load_config(None, base=stored), SR)
    assert rebuilt.image_encoder.normalisation == "imagenet"
    old = json_round_trip(cfg)
    del old["model"]["image_normalisation"]          # a run from before the key existed
    assert build_model(load_config(None, base=_fill_defaults(old)), SR).image_encoder.normalisation == "default"


def json_round_trip(cfg: dict) -> dict:
    import json

    return json.loads(json.dumps(cfg))


def test_pretrained_keys_are_in_the_config_reference():
    assert DEFAULTS["model"]["pretrained"] == {"image": None, "audio": None}
    cfg = load_config(None, ["model.pretrained.image=/some/file.pth", "model.image_normalisation=imagenet"])
    assert cfg["model"]["pretrained"]["image"] == "/some/file.pth"
    with pytest.raises(ConfigError, match="model.pretrained.imagee"):
        load_config(None, ["model.pretrained.imagee=/x.pth"])
    assert np.isclose(sum(IMAGENET_MEAN), 1.347)
