"""benchmarks/bench_trainer.py through the real trainer on a tiny generated dataset: it reports the
device, samples/s and the data-wait fraction with sane values, the wait is the time blocked on the
next batch, and the trainer's own progress line reports it when asked (``--data-wait``)."""
from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

REPO = Path(__file__).resolve().parent.parent

# a tiny CPU model (as tests/test_training_e2e.py): a step takes a fraction of a second
TINY = ["model.image_widths=[8, 8, 16, 16]", "model.audio_widths=[8, 8, 16, 16]", "model.embed_dim=16",
        "model.projection_dim=8", "audio.n_mels=32", "optim.warmup_steps=0"]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_trainer", REPO / "benchmarks" / "bench_trainer.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench():
    return _bench()


@pytest.fixture(scope="module")
def tiny(bench, tmp_path_factory) -> Path:
    """24 congruent samples at 64x64 with 0.5 s of audio, made by the benchmark's own ``simulate`` call."""
    return bench.make_dataset(tmp_path_factory.mktemp("bench_trainer") / "data", 24,
                              ["image.width=64", "image.height=64", "audio.duration=0.5"])


def _args(tiny: Path, *extra: str) -> list[str]:
    args = ["--dataset", str(tiny), "--steps", "3", "--warmup", "1", "--batch", "8", "--device", "cpu",
            "--threads", "1", *extra]
    for s in TINY:
        args += ["--set", s]
    return args


def test_reports_device_samples_per_s_and_wait_fraction(bench, tiny, capsys):
    results = bench.main(_args(tiny, "--workers", "0,1"))
    out = capsys.readouterr().out
    assert [r["mode"] for r in results] == ["cache", "decode, 0 workers", "decode, 1 workers"]
    assert [r["workers"] for r in results] == [0, 0, 1]
    for r in results:
        assert r["steps"] == 3 and r["warmup"] == 1 and r["batch"] == 8 and r["samples"] == 24
        assert r["dataset_samples"] == 24 and r["steps_per_epoch"] == 3
        assert math.isfinite(r["samples_per_s"]) and r["samples_per_s"] > 0
        assert 0.0 <= r["wait_fraction"] <= 1.0
        assert 0.0 <= r["mean_wait_s"] <= r["mean_step_s"]
        assert r["samples_per_s"] == pytest.approx(8 / r["mean_step_s"])
        assert r["wait_fraction"] == pytest.approx(r["mean_wait_s"] / r["mean_step_s"])
        assert r["torch_threads"] == 1
        assert r["device"].startswith("cpu (") and f"torch {torch.__version__}" in r["device"]
    # decoding in the training process is time spent waiting for the batch
    assert results[1]["mean_wait_s"] > 0
    lines = out.splitlines()
    assert lines[0] == "trainer benchmark"
    no_cuda = "no CUDA" if not torch.cuda.is_available() else "CUDA available but not used"
    assert f"  device:          cpu ({no_cuda}; torch {torch.__version__}), autocast off" in lines
    assert any(line.startswith("  torch threads:   1 (of ") for line in lines)
    assert "  batch size:      8" in lines and "  steps timed:     3 after 1 warm-up steps" in lines
    table = [line.split() for line in lines if line.startswith(("  cache ", "  decode, "))]
    assert len(table) == 3
    for cells, r in zip(table, results):
        assert float(cells[-5]) == pytest.approx(r["samples_per_s"], abs=0.06)
        assert cells[-2] == f"{r['wait_fraction']:.1%}"


def test_the_wait_is_the_time_blocked_on_the_next_batch(bench, tiny, monkeypatch):
    # a batch source that takes 0.2 s a batch: the wait must hold it, the compute not
    from training.train import Trainer

    slow = 0.2
    real = Trainer.epoch_batches

    def slow_batches(self, epoch, start):
        for item in real(self, epoch, start):
            time.sleep(slow)
            yield item

    monkeypatch.setattr(Trainer, "epoch_batches", slow_batches)
    (r,) = bench.main(_args(tiny, "--workers", "0", "--no-cache-run"))
    assert r["mean_wait_s"] >= slow
    assert r["mean_step_s"] - r["mean_wait_s"] > 0   # the step itself
    assert r["wait_fraction"] >= slow / r["mean_step_s"] - 1e-9
    assert r["samples_per_s"] <= 8 / slow


def test_the_trainer_prints_the_data_wait_when_asked(bench, tiny, tmp_path, capsys):
    from training.config import load_config
    from training.train import Trainer

    base = [f"data.train={tiny}", f"data.cache_dir={tmp_path / 'cache'}", "train.batch_size=8", "train.max_steps=2",
            "train.log_every=1", "train.threads=1", "train.device=cpu", "data.val_fraction=0", *TINY]
    lines = {}
    for asked in (False, True):
        cfg = load_config(REPO / "configs" / "stereo_ipd.yaml", [*base, f"out_dir={tmp_path / str(asked)}"])
        capsys.readouterr()
        Trainer(cfg, data_wait=asked).run()
        lines[asked] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("step ")]
    assert len(lines[False]) == len(lines[True]) == 2
    assert all("data wait" not in line and line.endswith(" samples/s)") for line in lines[False])
    for line in lines[True]:
        assert line.endswith(" of step time)") and ", data wait " in line
        pct = float(line.split(", data wait ")[1].split("%")[0])
        assert 0.0 <= pct <= 100.0
