"""The trainer reads clips (training/clips.py): one item per (sample, frame k), whose image is the
MP4's frame k, whose audio is the written audio's window around k / fps, and whose target is the
id frame's masks of the objects sounding then; and per-frame scores that an oracle maximises and a
constant map does not."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from conftest import CONGRUENT, read_records, simulate

av = pytest.importorskip("av")
torch = pytest.importorskip("torch")

from simulator.video import read_strip_png  # noqa: E402
from training.clips import ClipFrameDataset, evaluate_frames  # noqa: E402
from training.datasets import collate  # noqa: E402

W, H, FPS, DURATION, SAMPLES = 64, 48, 10, 1.0, 4
K = 10                       # frames of a 1 s clip at 10 fps: t = 0, 0.1, ..., 0.9 s
#: Moving objects, two of them, and a source gated to 0.2-0.4 s somewhere in 0.2-0.9 s: frames
#: where the sounding object is visible, frames where it is silent though visible, and (linear
#: motion) frames where it has left the view.
CLIP = ["--set", f"samples={SAMPLES}", "--set", f"image.width={W}", "--set", f"image.height={H}",
        "--set", f"audio.duration={DURATION}", "--set", f"video.fps={FPS}", "--set", "objects.count=2",
        "--set", "objects.motion.kind=linear", "--set", "room.type=free_field", "--set", "background.kind=color",
        "--set", "source.activity.kind=gated", "--set", "source.activity.onset_s={uniform: [0.2, 0.5]}",
        "--set", "source.activity.active_s={uniform: [0.2, 0.4]}"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, list[dict]]:
    cwd = tmp_path_factory.mktemp("clipdata")
    simulate("--spec", str(CONGRUENT), *CLIP, "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out", read_records(cwd / "out")


def mp4_frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, int(sr)


def emits(record: dict, source_id: int, t: float) -> bool:
    """From the record's sources (not the frame labels): onset_s <= t < offset_s."""
    src = next(s for s in record["sources"] if s["id"] == source_id)
    on, off = src.get("onset_s"), src.get("offset_s")
    return (on is None or t >= on) and (off is None or t < off)


def test_one_item_per_sample_and_frame_in_order(clips):
    out, records = clips
    ds = ClipFrameDataset(out)
    assert [r["video"]["frame_count"] for r in records] == [K] * SAMPLES
    assert len(ds) == SAMPLES * K
    keys = [(ds[i]["index"], ds[i]["frame"]) for i in range(len(ds))]
    assert keys == [(r["index"], k) for r in records for k in range(K)]
    assert [ds[i]["t_s"] for i in range(K)] == [k / FPS for k in range(K)]
    assert ds[-1]["frame"] == K - 1
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_image_is_the_mp4_frame(clips):
    out, records = clips
    ds = ClipFrameDataset(out)
    moved = 0
    for s, rec in enumerate(records):
        frames = mp4_frames(out / rec["files"]["video"])
        assert frames.shape == (K, H, W, 3)
        for k in range(K):
            item = ds[s * K + k]
            assert item["image"].dtype == np.uint8 and item["image"].shape == (H, W, 3)
            assert np.array_equal(item["image"], frames[k])
        moved += sum(not np.array_equal(frames[k], frames[k + 1]) for k in range(K - 1))
    assert moved > 0          # the frames differ: frame k is not frame 0 by accident
    # frame 0 is the still (as near as H.264 at qp 18 gets)
    from PIL import Image
    still = np.asarray(Image.open(out / records[0]["files"]["image"]).convert("RGB"), float)
    assert np.mean(np.abs(ds[0]["image"].astype(float) - still)) < 4.0


@pytest.mark.parametrize("window_s", [1.0, 0.25])
def test_audio_is_the_window_around_k_over_fps(clips, window_s):
    out, records = clips
    ds = ClipFrameDataset(out, window_s=window_s)
    for s, rec in enumerate(records):
        audio, sr = read_audio(out / rec["files"]["audio"])
        assert sr == rec["audio"]["sample_rate"]
        n = audio.shape[1]
        length = int(round(window_s * sr))
        for k in range(K):
            item = ds[s * K + k]
            assert item["audio"].dtype == np.float32 and item["audio"].shape == (audio.shape[0], length)
            centre = k * sr // FPS                # k / fps in samples, exactly (sr divisible by 10)
            want = np.zeros((audio.shape[0], length), np.float32)
            for j in range(length):
                m = centre - length // 2 + j
                if 0 <= m < n:
                    want[:, j] = audio[:, m]
            assert np.array_equal(item["audio"], want), (rec["index"], k)
        assert audio.any()        # (the source sounds for 0.2-0.4 s of each clip)


def test_audio_window_index_arithmetic_and_zero_padding():
    from training.clips import audio_window, centre_sample

    x = np.arange(1, 21, dtype=np.float32)[None].repeat(2, 0)        # samples 0..19 hold 1..20
    x[1] *= -1
    assert audio_window(x, 10, 4).tolist() == [[9, 10, 11, 12], [-9, -10, -11, -12]]   # c at L // 2
    assert audio_window(x, 10, 5)[0].tolist() == [9, 10, 11, 12, 13]
    assert audio_window(x, 1, 6)[0].tolist() == [0, 0, 1, 2, 3, 4]                     # before sample 0
    assert audio_window(x, 19, 6)[0].tolist() == [17, 18, 19, 20, 0, 0]                # from sample N on
    assert audio_window(x, 10, 30)[0].tolist() == [0] * 5 + list(range(1, 21)) + [0] * 5
    assert not audio_window(x, 60, 4).any() and not audio_window(x, -30, 4).any()
    assert [centre_sample(k, 10.0, 16000) for k in (0, 1, 9)] == [0, 1600, 14400]
    assert centre_sample(1, 30000 / 1001, 48000) == 1602             # 1601.6 rounded to the nearest


def test_target_is_the_id_frame_masks_of_the_sounding_objects(clips):
    out, records = clips
    ds = ClipFrameDataset(out)
    silent_but_visible = with_target = without = 0
    for s, rec in enumerate(records):
        ids = read_strip_png((out / rec["files"]["frame_ids"]).read_bytes(), H)
        assert ids.shape == (K, H, W)
        for k in range(K):
            t = k / FPS
            item = ds[s * K + k]
            want = np.zeros((H, W), bool)
            for src in rec["sources"]:
                if src["object_id"] is None:
                    continue
                if emits(rec, src["id"], t):
                    want |= ids[k] == src["object_id"]
                elif (ids[k] == src["object_id"]).any():
                    silent_but_visible += 1
            assert item["target"].dtype == bool and np.array_equal(item["target"], want), (rec["index"], k)
            assert item["has_target"] == bool(want.any())
            with_target += bool(want.any())
            without += not want.any()
    # the data exercise every case: sounding and visible, silent but visible, no target
    assert with_target > 0 and without > 0 and silent_but_visible > 0


def test_collate_batches_frames(clips):
    from torch.utils.data import DataLoader

    out, _ = clips
    ds = ClipFrameDataset(out, window_s=0.5)
    batch = next(iter(DataLoader(ds, batch_size=5, collate_fn=ClipFrameDataset.collate)))
    assert batch["image"].shape == (5, H, W, 3) and batch["image"].dtype == torch.uint8
    assert batch["audio"].shape == (5, 2, 8000) and batch["target"].shape == (5, H, W)
    assert batch["frame"].tolist() == [0, 1, 2, 3, 4]
    assert batch["t_s"].tolist() == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert len(batch["record"]) == 5
    plain = collate([ds[i] for i in range(3)])
    assert plain["image"].shape == (3, H, W, 3) and plain["has_target"].dtype == torch.bool


def test_workers_and_pickling_read_the_same_items(clips):
    from torch.utils.data import DataLoader

    out, _ = clips
    ds = ClipFrameDataset(out, window_s=0.5)
    ds[3]                                        # keeps a decoded sample, which pickling drops
    copy = pickle.loads(pickle.dumps(ds))
    assert copy._kept is None and np.array_equal(copy[3]["image"], ds[3]["image"])
    loaded = list(DataLoader(ds, batch_size=K, num_workers=2, collate_fn=ClipFrameDataset.collate))
    assert len(loaded) == SAMPLES
    for s, batch in enumerate(loaded):
        for k in range(K):
            assert np.array_equal(batch["image"][k].numpy(), ds[s * K + k]["image"])
            assert np.array_equal(batch["audio"][k].numpy(), ds[s * K + k]["audio"])


def test_shards_give_the_same_items(clips, tmp_path):
    out, _ = clips
    simulate("pack", str(out), "--out", str(tmp_path / "packed"), cwd=tmp_path)
    a, b = ClipFrameDataset(out), ClipFrameDataset(tmp_path / "packed")
    assert type(b.source).__name__ == "ShardSource" and len(a) == len(b)
    for i in range(len(a)):
        x, y = a[i], b[i]
        assert (x["index"], x["frame"]) == (y["index"], y["frame"])
        for key in ("image", "audio", "target"):
            assert np.array_equal(x[key], y[key])


def _in_order(ds: ClipFrameDataset, make) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A predictor returning ``make(item)`` for the items in order (evaluate_frames calls it once per
    item, in item order); checks that it is handed each item's image and audio."""
    items = iter([ds[i] for i in range(len(ds))])

    def predict(image: np.ndarray, audio: np.ndarray) -> np.ndarray:
        item = next(items)
        assert np.array_equal(image, item["image"]) and np.array_equal(audio, item["audio"])
        return make(item)
    return predict


def test_oracle_scores_perfectly_and_a_constant_map_does_not(clips):
    out, _ = clips
    ds = ClipFrameDataset(out, window_s=0.5)
    n_pos = sum(ds[i]["has_target"] for i in range(len(ds)))
    assert 0 < n_pos < len(ds)

    oracle = evaluate_frames(_in_order(ds, lambda it: it["target"].astype(np.float32)), ds)
    assert (oracle["frames"], oracle["frames_with_target"], oracle["frames_without_target"]) == \
        (len(ds), n_pos, len(ds) - n_pos)
    assert oracle["threshold_rule"] == "uth" and oracle["threshold"] == 0.0   # negatives' maps are all 0
    for key in ("ciou_top50_rate", "auc_top50", "ciou_uth_mean", "auc_uth", "a_acc", "offscreen_tn"):
        assert oracle[key] == 1.0, key
    assert len(oracle["per_frame"]) == len(ds)
    assert all(r["iou_top50"] == 1.0 for r in oracle["per_frame"] if r["has_target"])

    # the adaptive mask keeps the B - 1 pixels above the B-th largest value (reference code), so a
    # binary map selects nothing; an oracle with distinct values inside the target is localised
    def ramp(it):
        m = it["target"].astype(np.float32)
        m[it["target"]] += np.linspace(0.0, 0.5, int(it["target"].sum()), dtype=np.float32)
        return m
    ranked = evaluate_frames(_in_order(ds, ramp), ds)
    assert ranked["ciou_adap_rate"] == 1.0 and ranked["ciou_top50_rate"] == 1.0

    const = evaluate_frames(_in_order(ds, lambda it: np.zeros((H, W), np.float32)), ds)
    for key in ("ciou_top50_rate", "ciou_adap_rate", "ciou_uth_mean", "a_acc"):
        assert const[key] == 0.0, key
    assert const["auc_top50"] < 0.1

    # TN % at a given threshold: a map on everywhere has no true negative, the oracle all
    everywhere = evaluate_frames(_in_order(ds, lambda it: np.ones((H, W), np.float32)), ds, threshold=0.5)
    assert everywhere["offscreen_tn"] == 0.0 and everywhere["threshold_rule"] == "given"
    assert evaluate_frames(_in_order(ds, lambda it: it["target"].astype(np.float32)), ds,
                           threshold=0.5)["offscreen_tn"] == 1.0

    # per segment label: the segments' frames add up
    assert sum(g["frames"] for g in oracle["segments"].values()) == len(ds)


def test_small_maps_are_upsampled_and_nonfinite_maps_refused(clips):
    from training.metrics import NonFiniteMapError

    out, _ = clips
    ds = ClipFrameDataset(out, window_s=0.5)
    res = evaluate_frames(lambda image, audio: np.zeros((6, 8), np.float32), ds)
    assert res["frames"] == len(ds) and res["ciou_top50_rate"] == 0.0

    def bad(image, audio):
        m = np.zeros((H, W), np.float32)
        m[0, 0] = np.nan
        return m
    with pytest.raises(NonFiniteMapError, match="frame 0"):
        evaluate_frames(bad, ds)


@pytest.mark.slow
def test_a_dataset_without_clips_is_refused(tmp_path):
    from training.data import DataError

    simulate("--spec", str(CONGRUENT), "--set", "samples=1", "--set", f"image.width={W}", "--set",
             f"image.height={H}", "--set", "audio.duration=0.5", "--set", "room.type=free_field",
             "--set", "background.kind=color", "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    with pytest.raises(DataError, match="no sample has a clip"):
        ClipFrameDataset(tmp_path / "out")
    with pytest.raises(ValueError, match="window_s"):
        ClipFrameDataset(tmp_path / "out", window_s=0.0)
