"""The default library's sounds carry learnable category semantics.

A deliberately simple classifier (log-mel band statistics of random crops + multinomial
logistic regression, numpy/scipy only) is trained on all but one clip of every category and
tested on the one left out, for each choice of held-out clip (leave-one-clip-out per category,
so a test clip is never seen in training; 12 folds with the 12 clips of v2). Its accuracy must be
far above chance.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent / "simulator" / "assets" / "default"
SR = 32000
N_FFT, HOP, N_MELS = 1024, 320, 48
CROP_S, CROPS_TRAIN, CROPS_TEST = 1.5, 8, 6


def mel_filterbank(sr: int = SR, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = 50.0,
                   fmax: float = 14000.0) -> np.ndarray:
    """Triangular mel filters (HTK mel scale), shape (n_mels, n_fft // 2 + 1)."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    inv = lambda m: 700.0 * (10 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges = inv(np.linspace(mel(fmin), mel(fmax), n_mels + 2))
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    fb = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lo, mid, hi = edges[i:i + 3]
        fb[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return fb


FB = mel_filterbank()
WINDOW = np.hanning(N_FFT)


def log_mel(x: np.ndarray) -> np.ndarray:
    """(frames, n_mels) log-mel energies (dB)."""
    n = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * WINDOW, axis=1)) ** 2
    return 10.0 * np.log10(spec @ FB.T + 1e-10)


def features(m: np.ndarray) -> np.ndarray:
    """Statistics of a crop of a log-mel spectrogram: per-band mean, std and mean absolute
    frame-to-frame change, after removing the crop's overall level."""
    m = m - m.mean()
    return np.concatenate([m.mean(0), m.std(0), np.abs(np.diff(m, axis=0)).mean(0)])


def crops(m: np.ndarray, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``k`` random crops of CROP_S seconds (frame ranges of the clip's log-mel spectrogram)."""
    n = int(CROP_S * SR / HOP)
    starts = rng.integers(0, len(m) - n + 1, size=k)
    return [m[s:s + n] for s in starts]


def fit_softmax(X: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-2) -> np.ndarray:
    """Multinomial logistic regression (weights incl. bias), L-BFGS on the mean cross-entropy."""
    Xb = np.hstack([X, np.ones((len(X), 1))])
    Y = np.eye(n_classes)[y]

    def loss(w):
        W = w.reshape(Xb.shape[1], n_classes)
        z = Xb @ W
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        reg = 0.5 * l2 * np.sum(W[:-1] ** 2)
        grad = Xb.T @ (p - Y) / len(X)
        grad[:-1] += l2 * W[:-1]
        return -np.mean(np.sum(Y * np.log(p + 1e-12), axis=1)) + reg, grad.ravel()

    w0 = np.zeros(Xb.shape[1] * n_classes)
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 200})
    return res.x.reshape(Xb.shape[1], n_classes)


def predict_proba(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    z = np.hstack([X, np.ones((len(X), 1))]) @ W
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def test_classifier_far_above_chance():
    library = json.loads((ROOT / "library.json").read_text())
    cats = sorted(library["categories"])
    clips = {c: [log_mel(sf.read(str(ROOT / rel), dtype="float64")[0])
                 for rel in library["categories"][c]["sounds"]] for c in cats}
    n_clips = min(len(v) for v in clips.values())
    assert n_clips >= 5
    rng = np.random.default_rng(0)
    feats = {c: [(np.array([features(z) for z in crops(x, CROPS_TRAIN, rng)]),
                  np.array([features(z) for z in crops(x, CROPS_TEST, rng)])) for x in clips[c]]
             for c in cats}
    correct = total = 0
    per_cat = {c: 0 for c in cats}
    for fold in range(n_clips):  # hold out clip `fold` of every category
        Xtr, ytr = [], []
        for ci, c in enumerate(cats):
            for j, (train_f, _) in enumerate(feats[c]):
                if j != fold:
                    Xtr.append(train_f)
                    ytr += [ci] * len(train_f)
        Xtr = np.vstack(Xtr)
        mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
        W = fit_softmax((Xtr - mu) / sd, np.array(ytr), len(cats))
        for ci, c in enumerate(cats):
            test_f = feats[c][fold][1]
            p = predict_proba(W, (test_f - mu) / sd).mean(axis=0)  # average over the clip's crops
            hit = int(np.argmax(p) == ci)
            correct += hit
            per_cat[c] += hit
            total += 1
    accuracy, chance = correct / total, 1.0 / len(cats)
    print(f"\nleave-one-clip-out accuracy {accuracy:.3f} on {total} held-out clips of {len(cats)} "
          f"categories; chance {chance:.3f} ({accuracy / chance:.1f}x chance)")
    print("correct per category (of %d): " % n_clips + ", ".join(f"{c} {k}" for c, k in per_cat.items()))
    assert accuracy >= 3 * chance
