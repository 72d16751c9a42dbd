"""Acoustic rendering: free field (:mod:`.free_field`) and rooms with spaced, mono and HRTF heads
(:mod:`.room_renderer`). ``make_acoustic_renderer(sample_rate)`` returns the renderer that
handles every ``room.type`` and ``listener.head`` (see docs/acoustics.md)."""

__all__ = ["make_acoustic_renderer", "RoomRenderer"]


def __getattr__(name):  # lazy: importing the package does not load the room renderer
    if name in __all__:
        from . import room_renderer

        return getattr(room_renderer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
