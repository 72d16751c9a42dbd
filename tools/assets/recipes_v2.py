"""The recipes added in v2 of the default library (none yet)."""
ADDED: dict = {}
