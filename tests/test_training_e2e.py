"""End to end: a tiny dataset made by the ``simulate`` CLI, then ``train`` and ``evaluate``;
resume equals an uninterrupted run; DDP on the CPU (gloo) matches single-process gradient
averaging; shards read like the folder."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from conftest import CONGRUENT, simulate                      # noqa: E402

# CLI subprocesses and a generated dataset: about 50 s in all on 2 cores
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent

# a tiny CPU model: 2 optimizer steps take a second or two
TINY = ["model.image_widths=[8, 8, 16, 16]", "model.audio_widths=[8, 8, 16, 16]", "model.embed_dim=16",
        "model.projection_dim=8", "audio.n_mels=32", "train.batch_size=8", "train.threads=1", "train.log_every=1",
        "optim.warmup_steps=0", "seed=3"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """24 congruent samples at 64x64 with 0.5 s of audio and all three negative-audio files."""
    cwd = tmp_path_factory.mktemp("training_tiny")
    simulate("--spec", str(CONGRUENT), "--set", "samples=24", "--set", "image.width=64", "--set", "image.height=64",
             "--set", "audio.duration=0.5", "--set", "objects.max_distance_m=100", "--set", "room.type=free_field",
             "--set", "listener.head=spaced", "--set", "background.kind=color",
             "--set", "negatives.silence=true", "--set", "negatives.noise=true", "--set", "negatives.offscreen=true",
             "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out"


def run_cli(module: str, *args: str, cwd: Path, check: bool = True, timeout: float = 600,
            prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, *prefix, "-m", module, *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def train_args(data: Path, out: Path, *extra: str) -> list[str]:
    args = ["--config", str(REPO / "configs" / "stereo_ipd_san.yaml"), "--out", str(out), "--quiet",
            "--set", f"data.train={data}", "--set", f"data.cache_dir={out.parent / 'cache'}"]
    for s in [*TINY, *extra]:
        args += ["--set", s]
    return args


def load_weights(run: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run / "model.safetensors"))


def test_train_then_evaluate_on_a_generated_dataset(tiny, tmp_path):
    run = tmp_path / "run"
    run_cli("training.train", *train_args(tiny, run, "train.max_steps=2", "loss.alignment.weight=0.5",
                                          "data.val_fraction=0.25"), cwd=tmp_path)
    for name in ("model.safetensors", "model.json", "config.json", "train_log.csv", "summary.json",
                 "checkpoints/latest.json"):
        assert (run / name).is_file(), name
    log = (run / "train_log.csv").read_text().splitlines()
    assert log[0].startswith("step,epoch,lr,loss,contrastive,alignment,silence,noise,supervised")
    assert len(log) == 3
    assert json.loads((run / "summary.json").read_text())["steps"] == 2
    # a vision-only prior for the baseline
    prior = tmp_path / "prior"
    run_cli("training.train", "--config", str(REPO / "configs" / "vision_prior.yaml"), "--out", str(prior), "--quiet",
            "--set", f"data.train={tiny}", "--set", f"data.cache_dir={tmp_path / 'cache'}",
            *sum((["--set", s] for s in [*TINY, "train.max_steps=1"]), []), cwd=tmp_path)
    ev = tmp_path / "eval"
    run_cli("training.evaluate", "--data", str(tiny), "--model", str(run), "--names", "stereo",
            "--baselines", "random", "center", "vision_prior", "--vision-prior", str(prior),
            "--compare", "stereo:random", "--out", str(ev), "--quiet", "--threads", "1", cwd=tmp_path)
    tables = (ev / "tables.md").read_text()
    for needle in ("### A-Acc", "### Horizontal precision within 6 degrees", "congruent size1", "| stereo |",
                   "| random |", "| center |", "| vision prior |", "pIA silence", "pIA offscreen", "FLOC",
                   "separability", "I2A P@1", "stereo - random"):
        assert needle in tables, needle
    res = json.loads((ev / "metrics.json").read_text())
    g = res["models"]["stereo"]["groups"]["congruent/all"]
    assert g["n"] == 24 and 0.0 <= g["a_acc"] <= 1.0 and g["a_acc"] == g["v_acc"]   # congruent: one object
    assert set(res["models"]["stereo"]["negatives"]) == {"silence", "noise", "offscreen"}
    assert res["models"]["stereo"]["negatives"]["offscreen"]["n"] == 24
    # the centre baseline's peak is the centre pixel for every sample
    per = [line.split(",") for line in (ev / "per_sample.csv").read_text().splitlines()[1:]]
    centre = [r for r in per if r[0] == "center"]
    assert len(centre) == 24 and {(r[-2], r[-1]) for r in centre} == {("32.5", "32.5")}
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    for png in ("hv_precision.png", "a_acc_by_size.png", "max_similarity.png"):
        assert (ev / png).stat().st_size > 1000


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_and_tensorboard_run_on_the_cpu(tiny, tmp_path, amp):
    # the CUDA code path (autocast, fp16 loss scaling, TensorBoard) exercised on the CPU: it must
    # train to finite losses in reduced precision, so its weights differ from the fp32 run's
    pytest.importorskip("tensorboard")
    runs = {}
    for mode in ("off", amp):
        runs[mode] = tmp_path / mode
        run_cli("training.train", *train_args(tiny, runs[mode], "train.max_steps=3", "train.device=cpu",
                                              f"train.amp={mode}", "train.tensorboard=true"), cwd=tmp_path)
    summary = json.loads((runs[amp] / "summary.json").read_text())
    assert summary["amp"] == {"bf16": "bfloat16", "fp16": "float16"}[amp] and summary["device"] == "cpu"
    assert json.loads((runs["off"] / "summary.json").read_text())["amp"] == "off"
    log = (runs[amp] / "train_log.csv").read_text().splitlines()
    col = log[0].split(",").index("loss")
    losses = [float(row.split(",")[col]) for row in log[1:]]
    assert len(losses) == 3 and np.all(np.isfinite(losses))
    a, b = load_weights(runs["off"]), load_weights(runs[amp])
    assert a.keys() == b.keys()
    assert all(torch.isfinite(v).all() for v in b.values())
    assert any(not torch.equal(a[k], b[k]) for k in a)
    events = list((runs[amp] / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none on the CI machine)")
def test_trains_on_the_gpu_with_automatic_mixed_precision(tiny, tmp_path):
    run = tmp_path / "gpu"
    run_cli("training.train", *train_args(tiny, run, "train.max_steps=3", "train.device=auto", "train.amp=auto"),
            cwd=tmp_path)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["device"].startswith("cuda") and summary["amp"] in ("bfloat16", "float16")
    assert all(torch.isfinite(v).all() for v in load_weights(run).values())


def test_bad_config_exits_with_status_2(tiny, tmp_path):
    proc = run_cli("training.train", *train_args(tiny, tmp_path / "r", "model.varient=mono"), cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "model.varient" in proc.stderr
    proc = run_cli("training.evaluate", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "e"), cwd=tmp_path,
                   check=False)
    assert proc.returncode == 2


def test_resume_reproduces_the_uninterrupted_run(tiny, tmp_path):
    """Same seed: 4 steps straight == 2 steps, stop, resume for 2 more (weights and losses)."""
    full, part = tmp_path / "full", tmp_path / "part"
    common = ("train.max_steps=4", "data.flip=0.5")
    run_cli("training.train", *train_args(tiny, full, *common), cwd=tmp_path)
    run_cli("training.train", *train_args(tiny, part, *common), "--stop-after-steps", "2", cwd=tmp_path)
    assert not (part / "model.safetensors").exists()
    assert json.loads((part / "checkpoints" / "latest.json").read_text())["checkpoint"] == "step_00000002"
    run_cli("training.train", *train_args(tiny, part, *common), "--resume", cwd=tmp_path)
    a, b = load_weights(full), load_weights(part)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    def losses(run):
        rows = (run / "train_log.csv").read_text().splitlines()[1:]
        return [r.split(",")[:9] for r in rows]
    assert losses(full) == losses(part) and len(losses(full)) == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, out: str) -> None:
    """One DDP process: its half of a fixed batch, gloo all-reduce of the gradients."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from training import ddp
    from training.losses import compute_losses

    info, device = ddp.setup("cpu")
    assert info.backend == "gloo"
    model, cfg, batch = _ddp_problem()
    dmodel = ddp.wrap(model, info, device)
    half = {k: v[ddp.rank_slice(8, info)] for k, v in batch.items()}
    loss, _, _ = compute_losses(dmodel, half, cfg["loss"])
    loss.backward()
    if rank == 0:
        torch.save({n: p.grad.clone() for n, p in model.named_parameters()}, out)
    ddp.cleanup()


def _ddp_problem():
    import copy

    from training.config import DEFAULTS
    from training.models import build_model

    cfg = copy.deepcopy(DEFAULTS)
    cfg["model"].update(variant="stereo_conv1d", image_widths=[8, 8, 16, 16], audio_widths=[8, 8, 16, 16],
                        embed_dim=16, output_stride=8)
    cfg["audio"].update(n_mels=32)
    cfg["loss"]["supervised"]["weight"] = 1.0
    torch.manual_seed(0)
    model = build_model(cfg, 16000)
    g = torch.Generator().manual_seed(1)
    target = torch.zeros(8, 32, 32, dtype=torch.bool)
    target[:, 4:12, 8:20] = True
    batch = {"image": torch.randn(8, 3, 32, 32, generator=g), "audio": torch.randn(8, 2, 2000, generator=g),
             "target": target, "has_target": torch.ones(8, dtype=torch.bool)}
    return model, cfg, batch


def test_ddp_two_cpu_processes_match_single_process_gradient_averaging(tmp_path):
    import torch.multiprocessing as mp

    out = tmp_path / "ddp_grads.pt"
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    ddp_grads = torch.load(out, weights_only=True)
    from training.losses import compute_losses

    threads = torch.get_num_threads()
    torch.set_num_threads(1)        # the workers' setting: same kernels, same summation order
    try:
        model, cfg, batch = _ddp_problem()
        avg = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
        for half in (slice(0, 4), slice(4, 8)):
            model.zero_grad()
            loss, _, _ = compute_losses(model, {k: v[half] for k, v in batch.items()}, cfg["loss"])
            loss.backward()
            for n, p in model.named_parameters():
                avg[n] += p.grad / 2
    finally:
        torch.set_num_threads(threads)
    assert ddp_grads.keys() == avg.keys()
    total = float(torch.cat([g.flatten() for g in avg.values()]).norm())
    for n in avg:
        # float32 all-reduce sums in another order: compare with the gradient's overall scale
        err = float((ddp_grads[n] - avg[n]).norm())
        assert err <= 1e-5 * total + 1e-4 * float(avg[n].norm()), (n, err, total)


def test_torchrun_trains_with_two_cpu_processes(tiny, tmp_path):
    run = tmp_path / "ddp_run"
    run_cli("training.train", *train_args(tiny, run, "train.max_steps=2"), cwd=tmp_path,
            prefix=("-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port())))
    assert (run / "model.safetensors").is_file()
    meta = json.loads((run / "model.json").read_text())
    assert meta["world_size"] == 2 and meta["progress"]["global_step"] == 2


def test_shards_read_like_the_folder(tiny, tmp_path):
    from training.data import make_table, open_source

    shard_dir = tmp_path / "shards"
    shard_dir.mkdir()
    folder = open_source(tiny)
    # WebDataset layout: every sample's files under their dataset-relative names, two shards
    for k, part in enumerate((folder.entries[:12], folder.entries[12:])):
        with tarfile.open(shard_dir / f"shard-{k:05d}.tar", "w") as tf:
            for e in part:
                for rel in e.files.values():
                    tf.add(tiny / rel, arcname=rel)
    shards = open_source(shard_dir)
    assert shards.kind == "shards"
    assert [e.id for e in shards.entries] == [e.id for e in folder.entries]
    cfg = {"negatives": ["silence", "noise"], "cache": False}
    a = make_table(folder, cfg)
    b = make_table(shards, cfg)
    rows = [0, 5, 23]
    ba, bb = a.batch(rows, [False, True, False]), b.batch(rows, [False, True, False])
    for k in ba:
        np.testing.assert_array_equal(ba[k], bb[k], err_msg=k)
    # the cached table gives the same arrays as decoding on the fly
    c = make_table(folder, {**cfg, "cache": True, "cache_dir": str(tmp_path / "cache")})
    bc = c.batch(rows, [False, True, False])
    for k in ba:
        np.testing.assert_allclose(ba[k], bc[k], atol=1 / 32768, err_msg=k)
