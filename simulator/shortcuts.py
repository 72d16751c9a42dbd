"""No-audio baselines: can a dataset's sounding object be found without listening?

A localization dataset is only a test of hearing if the image alone does not give the sounding
object away. For every sample whose audio target is an object, each *rule* below picks one of
the visible objects from the record alone (no audio), and scores a hit when the pick is an audio
target; ties are shared (a rule tied between k objects scores the share of them that are targets,
its expected score under a uniform tie break). Chance is the share of visible objects that are
audio targets (1 / visible objects for one target). Rules (RULES, a registry):

* ``largest``: the largest visible mask (``area_fraction``);
* ``nearest``: the smallest distance from the head (``distance_m``, object centre);
* ``most_visible``: the largest unoccluded share (``visible_fraction``);
* ``centre``: the visible box whose centre is nearest the image centre.

Beside the rules, the tally compares the visible audio-target objects with the other visible
objects of the same samples (:data:`COMPARED`: size bin counts, and the mean and quartiles of
area, distance and visible share), the distributions a shortcut-free dataset keeps equal.

Only samples with at least two visible objects count (with one the pick is forced). A rule is
*flagged* when it beats chance by more than :data:`FLAG_MARGIN` (5 percentage points) and the
excess is significant: the lower end of its 95 % interval (normal approximation over samples of
the per-sample excess) lies above zero, so small datasets are not flagged on noise alone.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

#: A rule beating chance by more than this (a fraction, 5 points) is flagged.
FLAG_MARGIN = 0.05
#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054

Score = Callable[[dict[str, Any], dict[str, Any]], float]  # (object, record) -> score, highest is picked


def _centre_closeness(obj: dict[str, Any], record: dict[str, Any]) -> float:
    x, y, w, h = obj["bbox"]
    cam = record.get("camera") or {}
    cu, cv = 0.5 * float(cam.get("width", 0)), 0.5 * float(cam.get("height", 0))
    return -float(np.hypot(x + 0.5 * w - cu, y + 0.5 * h - cv))


#: name -> (what it picks, score of an object; the highest score is picked).
RULES: dict[str, tuple[str, Score]] = {
    "largest": ("the largest visible mask", lambda o, r: float(o["area_fraction"])),
    "nearest": ("the object nearest the head", lambda o, r: -float(o["distance_m"])),
    "most_visible": ("the least occluded object", lambda o, r: float(o["visible_fraction"])),
    "centre": ("the object nearest the image centre", _centre_closeness),
}


#: Object fields compared between audio targets and the other visible objects.
COMPARED = ("area_fraction", "distance_m", "visible_fraction")


def _usable(obj: dict[str, Any]) -> bool:
    return bool(obj.get("visible")) and obj.get("bbox") is not None and obj.get("area_fraction") is not None \
        and obj.get("distance_m") is not None and obj.get("visible_fraction") is not None


def sample_scores(record: dict[str, Any]) -> dict[str, tuple[float, float]] | None:
    """``{rule: (hit, chance)}`` for one record, or None if the sample does not count (no audio
    target on a visible object, or fewer than two visible objects)."""
    objects = [o for o in record.get("objects") or [] if isinstance(o, dict) and _usable(o)]
    targets = {t.get("object_id") for t in (record.get("targets") or {}).get("audio") or []
               if isinstance(t, dict) and t.get("object_id") is not None}
    if len(objects) < 2 or not targets & {o["id"] for o in objects}:
        return None
    is_target = np.array([o["id"] in targets for o in objects], float)
    chance = float(is_target.mean())
    out = {}
    for name, (_, score) in RULES.items():
        values = np.array([score(o, record) for o in objects], float)
        top = values >= values.max() - 1e-12
        out[name] = (float(is_target[top].mean()), chance)
    return out


@dataclass
class RuleResult:
    """One rule over a dataset: mean hit rate and chance (fractions), the mean excess and its 95 %
    interval, and whether it is flagged."""

    rule: str
    picks: str
    samples: int
    hit: float
    chance: float
    excess: float
    excess_low: float
    excess_high: float
    flagged: bool


@dataclass
class ShortcutTally:
    """Accumulates :func:`sample_scores` over a dataset's records (``add``), then ``results()``."""

    scores: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {k: [] for k in RULES})
    skipped: int = 0
    #: role ("targets" / "others") -> field -> values, over the counted samples' visible objects
    values: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {role: {k: [] for k in (*COMPARED, "size_bin")} for role in ("targets", "others")})

    def add(self, record: dict[str, Any]) -> None:
        got = sample_scores(record)
        if got is None:
            self.skipped += 1
            return
        for name, pair in got.items():
            self.scores[name].append(pair)
        targets = {t.get("object_id") for t in record["targets"]["audio"] if isinstance(t, dict)}
        for obj in record["objects"]:
            if isinstance(obj, dict) and _usable(obj):
                role = self.values["targets" if obj["id"] in targets else "others"]
                for key in role:
                    role[key].append(obj.get(key))

    def compared(self) -> dict[str, dict[str, Any]]:
        """Per role: object count, size-bin counts and, per compared field, mean and quartiles."""
        out = {}
        for role, fields in self.values.items():
            entry: dict[str, Any] = {"objects": len(fields["size_bin"]),
                                     "size_bin": dict(sorted(Counter(str(b) for b in fields["size_bin"]).items()))}
            for key in COMPARED:
                a = np.asarray(fields[key], float)
                entry[key] = ({"mean": float(a.mean()), "quartiles": [float(q) for q in np.percentile(a, [25, 50, 75])]}
                              if a.size else None)
            out[role] = entry
        return out

    def results(self) -> list[RuleResult]:
        out = []
        for name, pairs in self.scores.items():
            if not pairs:
                continue
            hit, chance = (np.array(x, float) for x in zip(*pairs))
            excess = hit - chance
            n = len(excess)
            half = Z95 * float(excess.std(ddof=1)) / np.sqrt(n) if n > 1 else float("inf")
            mean = float(excess.mean())
            out.append(RuleResult(name, RULES[name][0], n, float(hit.mean()), float(chance.mean()), mean,
                                  mean - half, mean + half, bool(mean > FLAG_MARGIN and mean - half > 0)))
        return out

    @property
    def flagged(self) -> list[str]:
        return [r.rule for r in self.results() if r.flagged]

    def to_dict(self) -> dict[str, Any]:
        return {"samples": max((len(v) for v in self.scores.values()), default=0), "skipped": self.skipped,
                "flag_margin": FLAG_MARGIN, "objects": self.compared(),
                "rules": {r.rule: {"picks": r.picks, "hit": r.hit, "chance": r.chance, "excess": r.excess,
                                   "excess_95": [r.excess_low, r.excess_high], "flagged": r.flagged}
                          for r in self.results()}}

    def summary_lines(self) -> list[str]:
        return baseline_lines(self.to_dict())


def baseline_lines(tally: dict[str, Any]) -> list[str]:
    """The report's lines for :meth:`ShortcutTally.to_dict`'s data (audit and stats print them)."""
    rules = tally["rules"]
    if not rules:
        return ["  no-audio baselines: no sample has an audio target among two or more visible objects"]
    lines = [f"  no-audio baselines ({tally['samples']} samples with 2+ visible objects; "
             "hit = the rule's pick is the sounding object):"]
    for name, r in rules.items():
        low, high = r["excess_95"]
        flag = "  FLAG: the sounding object can be found without audio" if r["flagged"] else ""
        lines.append(f"    {name:<13} {100 * r['hit']:5.1f} %  chance {100 * r['chance']:5.1f} %  "
                     f"excess {100 * r['excess']:+5.1f} [{100 * low:+.1f}, {100 * high:+.1f}]{flag}")
    for role, entry in tally["objects"].items():
        medians = ", ".join(f"{k} {entry[k]['quartiles'][1]:.3g}" for k in COMPARED if entry[k])
        lines.append(f"    {role:<7} {entry['objects']:>6} objects: size bins "
                     + " ".join(f"{b}={n}" for b, n in entry["size_bin"].items()) + f"; medians {medians}")
    return lines
