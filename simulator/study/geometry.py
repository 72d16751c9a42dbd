"""How large the image is shown and from how far: the visual angles of the study.

Units: metres (viewing distance), inches (physical sizes), CSS pixels (the browser's layout unit),
image pixels (the dataset's pixel coordinates, docs/conventions.md: u right, v down, pixel (i, j)
covers [i, i+1) x [j, j+1)).

A sample's image is meant to be seen as ``evaluate --angles screen`` assumes (its
``training.evaluate.screen_geometry``, read by :func:`simulator.study.plan.record_screen`): a screen-mode record on its own screen (its
``viewing_distance_m`` and ``pixels_per_inch``), any other record as seeds/000 showed its pictures,
7.1 inches wide at 0.76 m. The page therefore shows the image ``width / image_ppi`` inches wide,
i.e. ``width / image_ppi * screen_ppi`` CSS pixels, where ``screen_ppi`` is the participant's
display in CSS pixels per physical inch (96 on a display whose CSS inch is a true inch; measure
it on the set-up page's ruler) and ``image_ppi`` the record's image pixels per inch.

Each trial records what was actually shown (the image's CSS size on the page, the display's
``screen_ppi``, the viewing distance), so ``evaluate --human`` measures each click's angles on the
screen that participant saw: a screen of ``width / shown_width_in`` image pixels per inch at the
participant's viewing distance.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: CSS pixels per inch of the CSS reference display (CSS Values and Units: 1in = 96px).
CSS_PX_PER_INCH = 96.0


@dataclass(frozen=True)
class ParticipantSetup:
    """A participant's viewing set-up: ``viewing_distance_m`` (metres, eye to screen; None: each
    record's own, 0.76 m for seeds/000) and ``screen_ppi`` (CSS pixels per physical inch of their
    display)."""

    viewing_distance_m: float | None = None
    screen_ppi: float = CSS_PX_PER_INCH

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> "ParticipantSetup":
        return ParticipantSetup(d.get("viewing_distance_m"), float(d.get("screen_ppi", CSS_PX_PER_INCH)))


def check_setup(viewing_distance_m: Any, screen_ppi: Any) -> ParticipantSetup:
    """A ParticipantSetup from user input; ValueError naming the key for a bad value."""
    d = None
    if viewing_distance_m not in (None, ""):
        try:
            d = float(viewing_distance_m)
        except (TypeError, ValueError):
            raise ValueError(f"viewing_distance_m: {viewing_distance_m!r} is not a number of metres") from None
        if not (math.isfinite(d) and 0.1 <= d <= 10.0):
            raise ValueError(f"viewing_distance_m: {viewing_distance_m!r} is not between 0.1 and 10 metres")
    try:
        ppi = float(screen_ppi)
    except (TypeError, ValueError):
        raise ValueError(f"screen_ppi: {screen_ppi!r} is not a number of pixels per inch") from None
    if not (math.isfinite(ppi) and 20.0 <= ppi <= 1000.0):
        raise ValueError(f"screen_ppi: {screen_ppi!r} is not between 20 and 1000 pixels per inch")
    return ParticipantSetup(d, ppi)


def display(camera: dict[str, Any], screen: tuple[float, float], setup: ParticipantSetup) -> dict[str, Any]:
    """How a record's image is to be shown to a participant, given the record's ``screen``
    (viewing distance in metres, image pixels per inch: :func:`simulator.study.plan.record_screen`):
    ``width_px``/``height_px`` (image pixels), ``css_width``/``css_height`` (CSS pixels),
    ``width_in`` (inches), ``image_ppi`` (image pixels per inch), ``viewing_distance_m``,
    ``screen_ppi``, ``hfov_deg`` (the horizontal visual angle the image subtends)."""
    distance, image_ppi = screen
    if setup.viewing_distance_m is not None:
        distance = setup.viewing_distance_m
    w, h = int(camera["width"]), int(camera["height"])
    width_in = w / image_ppi
    return {"width_px": w, "height_px": h, "image_ppi": image_ppi, "width_in": width_in,
            "css_width": width_in * setup.screen_ppi, "css_height": h / image_ppi * setup.screen_ppi,
            "viewing_distance_m": distance, "screen_ppi": setup.screen_ppi,
            "hfov_deg": math.degrees(2 * math.atan(0.5 * width_in * 0.0254 / distance))}


def shown_screen(geometry: dict[str, Any]) -> tuple[float, float]:
    """(viewing distance in metres, image pixels per inch) of the screen a trial's image was
    actually seen on, from the geometry the trial recorded: the image ``shown_css_width`` CSS
    pixels wide on a display of ``screen_ppi`` CSS pixels per inch, ``width_px`` image pixels."""
    shown_in = float(geometry["shown_css_width"]) / float(geometry["screen_ppi"])
    return float(geometry["viewing_distance_m"]), float(geometry["width_px"]) / shown_in
