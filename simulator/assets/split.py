"""Held-out assets (``library.split``, docs/assets.md): train, val and test shares of a library.

Every asset is dealt to one share by a stable hash, so a test set shares no clip, mesh or photo
with its training set:

* an asset's hash is the SHA-256 of ``salt``, a newline and its key (``default:meshes/dog/dog_01.glb``,
  ``user_sounds:dog/bark.wav``: relative paths, the same on every machine; a photo's key is its file
  name relative to ``photos.images``);
* clips and meshes are dealt per category and per kind: the category's assets are ordered by hash
  and the first ``counts["train"]`` go to train, the next ``counts["val"]`` to val, the rest to test
  (:func:`share_counts`); photos are dealt the same way as one pool (a photo shows several categories);
* the deal depends only on the set of keys, the salt and the fractions: not on file order, process,
  machine or worker count.

:func:`split_library` gives the view of a library a split dataset draws from
(:meth:`simulator.assets.library.AssetLibrary.restricted`); the spec loader applies it, so the plan,
the feasibility checks and the sampler all see only the share's assets.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

from ..core.plain import to_plain
from ..core.scene import ASSET_SPLITS, AssetSplit

#: A split kind -> (singular, plural) as messages name its assets.
KIND_WORDS = {"sounds": ("clip", "clips"), "meshes": ("mesh", "meshes"), "photos": ("photo", "photos")}
#: How far the fractions' sum may be from 1.
SUM_TOLERANCE = 1e-6


class SplitError(ValueError):
    """Assets that cannot be split as asked; ``problems`` are (spec key path, message) pairs."""

    def __init__(self, problems: list[tuple[tuple[str, ...], str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


class TooFewAssets(ValueError):
    """Fewer assets than shares of non-zero fraction (each needs one)."""


def fractions_of(split: AssetSplit) -> dict[str, float]:
    """The split's fractions by share name, in dealing order."""
    return {name: float(getattr(split.fractions, name)) for name in ASSET_SPLITS}


def asset_hash(key: str, salt: str = "") -> str:
    """The hex SHA-256 of ``salt``, a newline and ``key`` (UTF-8): an asset's place in the deal."""
    return hashlib.sha256(f"{salt}\n{key}".encode("utf-8")).hexdigest()


def share_counts(n: int, fractions: Mapping[str, float]) -> dict[str, int]:
    """How many of ``n`` assets each share gets: largest-remainder counts of ``n * fraction`` (ties
    to the earlier share), then each share of non-zero fraction still empty takes one asset from the
    share holding the most. TooFewAssets if ``n`` is below the number of such shares."""
    names = list(fractions)
    needed = [name for name in names if fractions[name] > 0]
    if n < len(needed):
        raise TooFewAssets(f"{n} asset(s) for {len(needed)} share(s) of non-zero fraction")
    total = sum(fractions.values())
    quotas = {name: n * fractions[name] / total for name in names}
    counts = {name: int(quotas[name]) for name in names}
    by_remainder = sorted(names, key=lambda name: (-(quotas[name] - counts[name]), names.index(name)))
    for name in by_remainder[:n - sum(counts.values())]:
        counts[name] += 1
    for name in needed:
        if counts[name] == 0:
            donor = max(names, key=lambda other: (counts[other], -names.index(other)))
            counts[donor] -= 1
            counts[name] += 1
    return counts


def deal(keys: Iterable[str], split: AssetSplit) -> dict[str, str]:
    """Each key's share (train, val or test), see the module docstring."""
    order = sorted(set(keys), key=lambda key: (asset_hash(key, split.salt), key))
    counts = share_counts(len(order), fractions_of(split))
    shares: dict[str, str] = {}
    start = 0
    for name in ASSET_SPLITS:
        for key in order[start:start + counts[name]]:
            shares[key] = name
        start += counts[name]
    return shares


def share_of(keys: Iterable[str], split: AssetSplit) -> set[str]:
    """The keys dealt to the share ``split.use`` names."""
    return {key for key, share in deal(keys, split).items() if share == split.use}


def check_split(split: AssetSplit, kinds: Iterable[str]) -> list[tuple[tuple[str, ...], str]]:
    """Problems of the split's own parameters: fractions that do not sum to 1, a ``use`` whose
    fraction is 0, no kind split among ``kinds`` (the asset kinds the dataset draws)."""
    problems = []
    fractions = fractions_of(split)
    if abs(sum(fractions.values()) - 1.0) > SUM_TOLERANCE:
        text = ", ".join(f"{k} {v:g}" for k, v in fractions.items())
        problems.append((("library", "split", "fractions"),
                         f"the fractions must sum to 1, not {sum(fractions.values()):g} ({text})"))
    if fractions[split.use] <= 0:
        problems.append((("library", "split", "use"), f"{split.use!r} has fraction 0: it would hold no asset"))
    if not any(getattr(split, kind) for kind in kinds):
        problems.append((("library", "split"), f"splits none of the assets this dataset draws: set "
                                               f"{' or '.join(f'library.split.{k}: true' for k in kinds)}"))
    return problems


def _fraction_text(split: AssetSplit) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in fractions_of(split).items())


def too_few_message(kind: str, short: list[tuple[str, int]], split: AssetSplit) -> str:
    """The one line naming the categories whose ``kind`` assets cannot be split, and the ways out."""
    one, many = KIND_WORDS[kind]
    shares = len([value for value in fractions_of(split).values() if value > 0])
    if len(short) == 1:
        (category, n), = short
        what = (f"category {category!r} has {n} {one if n == 1 else many}, and each of the {shares} shares of "
                f"non-zero fraction ({_fraction_text(split)}) needs one")
    else:
        what = (f"{len(short)} categories have fewer {many} than the {shares} shares of non-zero fraction "
                f"({_fraction_text(split)}), each of which needs one: "
                + ", ".join(f"{category} {n}" for category, n in short))
    return (f"too few {many} to split: {what}. Leave {many} unsplit (library.split.{kind}: false), use a library "
            f"with more {many} of {'this category' if len(short) == 1 else 'these categories'}, set an unused "
            f"share's fraction to 0, or leave {'it' if len(short) == 1 else 'them'} out of objects.categories")


def split_library(library, split: AssetSplit, categories: Iterable[str],
                  kinds: Iterable[str] = ("sounds", "meshes")):
    """The view of ``library`` a dataset of ``split`` draws from: per category and kind the share
    ``split.use`` of its clips and meshes (every asset of a kind that the split leaves whole or that
    is not among ``kinds``, the kinds the dataset draws). Every category of ``categories`` must be
    splittable (SplitError naming the ones that are not); another category that is not is left
    out of the view. A view of this split is returned as it is."""
    if library.split == split:
        return library
    if library.split is not None:
        raise ValueError(f"the library is already the {library.split.use!r} share of another split")
    required, kinds_drawn = set(categories), set(kinds)
    keep: set[str] = set()
    problems = []
    by_kind = {"sounds": library.sounds, "meshes": {c: [m.key for m in ms] for c, ms in library.meshes.items()}}
    for kind, by_category in by_kind.items():
        short = []
        for category, keys in sorted(by_category.items()):
            if not getattr(split, kind) or kind not in kinds_drawn:
                keep.update(keys)
                continue
            try:
                keep.update(share_of(keys, split))
            except TooFewAssets:
                if category in required:
                    short.append((category, len(set(keys))))
        if short:
            problems.append((("library", "split", kind), too_few_message(kind, short, split)))
    if problems:
        raise SplitError(problems)
    return library.restricted(keep, split)


def split_photo_files(files: Iterable[str], split: AssetSplit) -> set[str]:
    """The photo files (relative to ``photos.images``) of the share ``split.use`` (every file
    when photos are not split); SplitError if the collection has fewer photos than shares."""
    files = set(files)
    if not split.photos:
        return files
    try:
        return share_of(files, split)
    except TooFewAssets:
        shares = [name for name, value in fractions_of(split).items() if value > 0]
        raise SplitError([(("library", "split", "photos"), (
            f"too few photos to split: the collection has {len(files)} usable photo(s), fewer than the "
            f"{len(shares)} shares of non-zero fraction ({_fraction_text(split)}); leave photos unsplit "
            "(library.split.photos: false), use more photos, or set an unused share's fraction to 0"))]) from None


def split_summary(library) -> dict[str, Any] | None:
    """What dataset.json records of a split library (``library.split``): the split's parameters
    and how many clips and meshes its share holds; None for a whole library."""
    if library.split is None:
        return None
    return {**to_plain(library.split), "assets": {"sounds": sum(len(v) for v in library.sounds.values()),
                                                  "meshes": sum(len(v) for v in library.meshes.values())}}
