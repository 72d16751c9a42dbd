"""Training losses.

``contrastive``  multiple-instance contrastive localization (EZ-VSL, Mo & Morgado 2022, the
                 baseline family of seeds/001 and seeds/004): the similarity of image i and audio j
                 is the *maximum* over locations of their cosine map (the audio has to match only
                 some region), and a symmetric InfoNCE with temperature tau contrasts the paired
                 audio against the other audios of the batch (seeds/001 eq. 2). With silence and
                 noise pairs (seeds/004 Sec. 3.1) they join each image's denominator as extra
                 negatives.
``alignment``    instance-level cross-modal alignment (seeds/001 eq. 4-5): symmetric InfoNCE on
                 ``cos(p_v(avg v), p_a(a))`` through the projection heads, which keeps the
                 localisation space separate from the semantic one.
``silence``,     seeds/004 Sec. 3.1: the squared norm of the similarity map between every image and
``noise``        the silence (resp. noise) audio, pushing the map to zero. Here the squared map is
                 averaged over locations (the paper's sum divided by h*w, i.e. only a rescaling of
                 the weight lambda, independent of the map resolution).
``supervised``   localisation supervised by the exact masks the generator writes, downsampled to
                 the map (area fractions per cell). ``softmax``: cross-entropy between the softmax
                 of S/tau over locations and the normalised mask (puts the peak inside the object);
                 ``bce``: per-cell binary cross-entropy on S/tau against the cell's mask fraction.

Only samples whose own audio has a target in the image (``has_target``) are positive pairs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .models import AVModel


def info_nce(logits: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE on a square logit matrix (row i's positive is column i). ``extra``
    (B, K) are additional negatives of row i (image -> audio direction only)."""
    n = logits.shape[0]
    labels = torch.arange(n, device=logits.device)
    rows = logits if extra is None else torch.cat([logits, extra], dim=1)
    return 0.5 * (F.cross_entropy(rows, labels) + F.cross_entropy(logits.t(), labels))


def mil_contrastive(pair_maps: torch.Tensor, temperature: float, extra_maps: torch.Tensor | None = None) -> torch.Tensor:
    """EZ-VSL multiple-instance contrastive loss. ``pair_maps`` (B, B, h, w): image i with audio j;
    ``extra_maps`` (B, K, h, w): image i with its K negative audios."""
    s = pair_maps.flatten(2).amax(dim=-1) / temperature
    extra = None if extra_maps is None else extra_maps.flatten(2).amax(dim=-1) / temperature
    return info_nce(s, extra)


def alignment_loss(pv: torch.Tensor, pa: torch.Tensor, temperature: float) -> torch.Tensor:
    """seeds/001 eq. 4-5: InfoNCE on the cosine similarity of projected global embeddings."""
    logits = F.normalize(pv, dim=1) @ F.normalize(pa, dim=1).t() / temperature
    return info_nce(logits)


def empty_map_loss(maps: torch.Tensor) -> torch.Tensor:
    """seeds/004: squared norm of the similarity maps (B, h, w) of negative pairs, averaged over
    locations and samples."""
    return maps.pow(2).mean()


def downsample_mask(target: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, H, W) bool/float masks -> (B, h, w) area fractions."""
    return F.adaptive_avg_pool2d(target.float().unsqueeze(1), size).squeeze(1)


def supervised_loss(maps: torch.Tensor, target: torch.Tensor, kind: str, temperature: float) -> torch.Tensor:
    """Localisation loss from exact masks: ``maps`` (B, h, w) similarity, ``target`` (B, H, W)."""
    t = downsample_mask(target, maps.shape[-2:])
    logits = maps / temperature
    if kind == "softmax":
        flat_t = t.flatten(1)
        mass = flat_t.sum(dim=1, keepdim=True)
        keep = mass.squeeze(1) > 0
        if not bool(keep.any()):
            return maps.sum() * 0.0
        p = flat_t[keep] / mass[keep]
        return -(p * F.log_softmax(logits.flatten(1)[keep], dim=1)).sum(dim=1).mean()
    return F.binary_cross_entropy_with_logits(logits, t)


def compute_losses(model: AVModel, batch: dict[str, torch.Tensor], cfg_loss: dict) -> tuple[torch.Tensor, dict[str, float], torch.Tensor]:
    """All enabled losses for one batch. Returns (total, {name: value}, paired maps (B, h, w)).

    ``batch``: ``image`` (B, 3, H, W) normalised, ``audio`` (B, 2, L), ``target`` (B, H, W),
    ``has_target`` (B,), and ``neg_silence`` / ``neg_noise`` (B, 2, L) when those losses are on.
    The positive and negative audios go through the audio encoder in one batch.
    """
    core = model.module if hasattr(model, "module") else model
    b = batch["image"].shape[0]
    neg_kinds = [k for k in ("silence", "noise") if f"neg_{k}" in batch and cfg_loss[k]["weight"] > 0]
    waves = torch.cat([batch["audio"]] + [batch[f"neg_{k}"] for k in neg_kinds], dim=0)
    v, a_all = model(batch["image"], waves)     # one call through DDP's forward
    a = a_all[:b]
    a_neg = {k: a_all[b * (i + 1): b * (i + 2)] for i, k in enumerate(neg_kinds)}
    pos = batch["has_target"].bool()
    maps = core.similarity(v, a)
    terms: dict[str, torch.Tensor] = {}

    # Every enabled term is always present, so logs keep the same columns and DDP processes
    # reduce the same values; a term this batch cannot form (too few samples with a target) is a
    # zero still connected to the parameters it trains, so every parameter gets a gradient.
    enough = int(pos.sum()) > 1
    c = cfg_loss["contrastive"]
    if c["weight"] > 0:
        if enough:
            vp, ap = v[pos], a[pos]
            pair = core.all_pairs(vp, ap)
            extra = None
            if neg_kinds and cfg_loss.get("negatives_in_contrastive", True):
                extra = torch.stack([core.similarity(vp, a_neg[k][pos]) for k in neg_kinds], dim=1)
            terms["contrastive"] = c["weight"] * mil_contrastive(pair, c["temperature"], extra)
        else:
            terms["contrastive"] = maps.sum() * 0.0

    al = cfg_loss["alignment"]
    if al["weight"] > 0 and core.proj_v is not None:
        if enough:
            pv, pa = core.embeddings(v[pos], a[pos])
            terms["alignment"] = al["weight"] * alignment_loss(pv, pa, al["temperature"])
        else:
            pv, pa = core.embeddings(v, a)
            terms["alignment"] = (pv.sum() + pa.sum()) * 0.0

    for k in neg_kinds:
        terms[k] = cfg_loss[k]["weight"] * empty_map_loss(core.similarity(v, a_neg[k]))

    s = cfg_loss["supervised"]
    if s["weight"] > 0:
        if bool(pos.any()):
            terms["supervised"] = s["weight"] * supervised_loss(maps[pos], batch["target"][pos], s["kind"],
                                                                s["temperature"])
        else:
            terms["supervised"] = maps.sum() * 0.0

    total = sum(terms.values()) if terms else maps.sum() * 0.0
    return total, {k: float(v_.detach()) for k, v_ in terms.items()}, maps
