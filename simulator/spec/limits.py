"""Limits on what a spec may ask for, checked before any work starts (docs/spec.md lists them).

A small spec must not cause unbounded work: every limit here is checked while the spec is read or
validated, and its error names the limit and the key or file it applies to.
"""
from __future__ import annotations

#: Largest spec file, bytes (a spec is a page of YAML; a larger file is not one).
MAX_SPEC_BYTES = 1_000_000
#: Largest ``--set`` value, bytes.
MAX_OVERRIDE_BYTES = 100_000
#: Most YAML nodes a spec may expand to (anchors and aliases counted as often as they are used).
MAX_YAML_NODES = 100_000
#: Deepest YAML nesting.
MAX_YAML_DEPTH = 50
#: Most datasets one sweep may make (the product of its value lists).
MAX_SWEEP_POINTS = 1_000
#: Most samples one dataset's plan may hold (its per-sample labels are held in memory).
MAX_SAMPLES = 10_000_000
