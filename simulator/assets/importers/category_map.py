"""The category map: a collection's labels -> the library's categories (many to one).

A map is a YAML file of ``category: [label, label, ...]``::

    dog: [Dog, Bark, "Bow-wow", Growling, "Canidae, dogs, wolves"]
    car: [Car, "Vehicle horn, car horn, honking"]

Labels are matched case-insensitively after trimming spaces and treating ``_`` like a space
(ESC-50 writes ``car_horn``, AudioSet ``Car horn``); AudioSet machine ids (``/m/0bt9lr``) match
as they are. A label may belong to one category only. :data:`BUNDLED_MAP` maps the labels of
ESC-50, FSD50K, AudioSet and VGGSound to the default library's 20 categories.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

BUNDLED_MAP = Path(__file__).resolve().parent / "bundled_map.yaml"


class CategoryMapError(ValueError):
    """A map file that cannot be used: names the file and, where it can, the key."""


def norm_label(label: str) -> str:
    """The form labels are compared in: trimmed, lower case, ``_`` as a space, runs of spaces as one."""
    return " ".join(str(label).replace("_", " ").strip().lower().split())


@dataclass
class CategoryMap:
    """``label -> category`` with the counts of what it could not map (``unmapped``: label -> clips)."""

    to_category: dict[str, str]
    source: str = "<map>"
    unmapped: Counter = field(default_factory=Counter)

    @classmethod
    def load(cls, path: str | Path = BUNDLED_MAP) -> "CategoryMap":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CategoryMapError(f"{path}: no such category map") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CategoryMapError(f"{path}: not a readable YAML file ({str(exc).splitlines()[0]})") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data, source: str = "<map>") -> "CategoryMap":
        if not isinstance(data, dict) or not data:
            raise CategoryMapError(f"{source}: expected a mapping of category: [labels]")
        to_category: dict[str, str] = {}
        for category, labels in data.items():
            if not isinstance(category, str) or not category.strip() or "/" in category:
                raise CategoryMapError(f"{source}: key {category!r}: a category is a name without '/'")
            if isinstance(labels, str):
                labels = [labels]
            if not isinstance(labels, list) or not all(isinstance(x, (str, int)) for x in labels):
                raise CategoryMapError(f"{source}: key {category!r}: expected a list of labels")
            for label in labels:
                key = norm_label(label)
                other = to_category.get(key)
                if other is not None and other != category:
                    raise CategoryMapError(f"{source}: label {label!r} is mapped to both {other!r} and {category!r}")
                to_category[key] = category
        return cls(to_category, source)

    def categories(self, labels: Iterable[str]) -> set[str]:
        """The categories a clip's labels map to; each label that maps to none is counted in
        ``unmapped``."""
        out = set()
        for label in labels:
            category = self.to_category.get(norm_label(label))
            if category is None:
                self.unmapped[str(label).strip()] += 1
            else:
                out.add(category)
        return out
