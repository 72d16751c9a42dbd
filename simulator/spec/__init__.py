"""The spec language: YAML with line numbers, the schema (the single source of docs/spec.md),
distributions, validation, ``--set`` overrides and sweeps (:func:`.loader.load_spec`)."""
