"""Sources, their licence checks and the recipe helpers of the default library.

Recipes (see :mod:`recipes_v1`, :mod:`recipes_v2`) are plain dicts made by the helpers
below; :mod:`build_default_library` renders them. Times are in seconds, sizes in metres.
"""
from __future__ import annotations

import asset_audio as A

CLIP_SECONDS = 4.0

# ---------------------------------------------------------------------------
# Sources and their licences
# ---------------------------------------------------------------------------

SF2 = {
    "gm": {
        "path": "/usr/share/sounds/sf2/sf_GMbank.sf2",
        "package": "csound-soundfont",
        "license": "public-domain",
        "attribution": "sf_GMbank.sf2 General MIDI SoundFont (public domain), distributed with Csound",
        "check": ("/usr/share/doc/csound-soundfont/copyright",
                  "The file has Public Domain in its license field"),
    },
    "fluid_gm": {
        "path": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        "package": "fluid-soundfont-gm",
        "license": "MIT",
        "attribution": "FluidR3 SoundFont, Copyright (c) 2000-2002, 2008 Frank Wen, "
                       "(c) 2008 Toby Smithe; MIT licence",
        "check": ("/usr/share/doc/fluid-soundfont-gm/copyright", "MIT license"),
    },
    "fluid_gs": {
        "path": "/usr/share/sounds/sf2/FluidR3_GS.sf2",
        "package": "fluid-soundfont-gs",
        "license": "MIT",
        "attribution": "FluidR3 SoundFont, Copyright (c) 2000-2002, 2008 Frank Wen, "
                       "(c) 2008 Toby Smithe; MIT licence",
        "check": ("/usr/share/doc/fluid-soundfont-gs/copyright", "MIT license"),
    },
}

SONIC_PI = "/usr/share/sonic-pi/samples"
SONIC_PI_CHECK = (SONIC_PI + "/README.md", "Creative Commons 0 License")

TTS_NOTE = ("Speech synthesised by this project with espeak-ng {version} (pip espeakng-loader); "
            "the sentence is the project's own. espeak-ng is GPL-3.0-or-later, which does not "
            "extend to the audio it outputs.")

# Sweet Home 3D furniture archives (Debian sweethome3d-furniture) and their licences.
SH3F = {
    "Scopia.sh3f": ("LICENSE.TXT", "Creative Commons Attribution 3.0 Unported"),
    "Reallusion.sh3f": ("LICENSE.TXT", "Creative Commons Attribution 3.0 United States"),
    "BlendSwap-CC-BY.sh3f": ("LICENSE.TXT", "Creative Commons"),
    "BlendSwap-CC-0.sh3f": ("LICENSE.TXT", "Creative Commons Zero"),
    "KatorLegaz.sh3f": ("LICENSE.TXT", "Creative Commons Attribution 3.0 United States"),
}
SCOPIA_CREDIT = "Scopia Visual Interfaces Systems, s.l. (http://www.scopia.es)"
ETEKS_CREDIT = "Emmanuel Puybaret / eTeks"
KATOR_CREDIT = "Andrew Kator & Jennifer Legaz"
MESH_MODIFIED = ("Modified by this project: parts merged, textures baked to vertex colours, "
                 "{decimated}re-oriented (+z up, front +x), uniformly rescaled to {target}, "
                 "centred, stored as GLB.")


# ---------------------------------------------------------------------------
# Recipe helpers
# ---------------------------------------------------------------------------

def hits(times, key, dur=0.4, vel=110, keys=None):
    """Notes at ``times`` (s); ``keys`` (same length) overrides ``key`` per note."""
    keys = keys or [key] * len(times)
    return [A.Note(float(t), int(k), vel, dur) for t, k in zip(times, keys)]


def melody(keys, step, dur=None, vel=100, start=0.0):
    """A monophonic line: one key every ``step`` s (``None`` entries are rests)."""
    out = []
    for i, k in enumerate(keys):
        if k is not None:
            out.append(A.Note(start + i * step, int(k), vel, dur or step * 0.95))
    return out


def chords(chord_list, step, dur=None, vel=90, start=0.0, arpeggio=0.0):
    out = []
    for i, chord in enumerate(chord_list):
        for j, k in enumerate(chord):
            out.append(A.Note(start + i * step + j * arpeggio, int(k), vel, dur or step * 0.98))
    return out


def sf2(font, bank, program, preset, notes, desc, seconds=CLIP_SECONDS):
    return {"kind": "sf2", "font": font, "bank": bank, "program": program, "preset": preset,
            "notes": notes, "desc": desc, "seconds": seconds}


def tts(voice, text, rate=160, pitch=50, pitch_range=50):
    return {"kind": "tts", "voice": voice, "text": text, "rate": rate, "pitch": pitch,
            "range": pitch_range, "seconds": A.MAX_SECONDS,
            "desc": f"speech, espeak-ng voice {voice}, rate {rate}, pitch {pitch}: \"{text}\""}


def sample(name, offsets, credit, desc, gains=None, seconds=CLIP_SECONDS):
    """A CC0 Sonic Pi sample, mixed at ``offsets`` (s) with optional per-copy ``gains``."""
    return {"kind": "sample", "file": f"{SONIC_PI}/{name}.flac", "offsets": offsets,
            "gains": gains or [1.0] * len(offsets), "credit": credit, "desc": desc,
            "seconds": seconds}


def sh3d(archive, obj, target, license, attribution, license_file=None, must_contain=None,
         yaw_deg=0.0, desc="", creator=None):
    """A Sweet Home 3D model; ``creator``, when given, must be the model's ``creator`` in the
    archive's catalogue (for licence files that do not name the author)."""
    return {"kind": "sh3d", "archive": archive, "obj": obj, "target": target,
            "license": license, "attribution": attribution, "license_file": license_file,
            "must_contain": must_contain, "yaw_deg": yaw_deg, "desc": desc, "creator": creator}


def sample_mix(events, desc, seconds=CLIP_SECONDS):
    """Several CC0 Sonic Pi samples mixed: ``events`` = [(name, offset_s, gain), ...]."""
    return {"kind": "sample_mix", "events": [(f"{SONIC_PI}/{n}.flac", float(o), float(g))
                                             for n, o, g in events],
            "desc": desc, "seconds": seconds}


def synth(generator, seed, desc, seconds=CLIP_SECONDS, module="asset_synth", **params):
    """A sound synthesised by ``<module>.GENERATORS[generator](seed=seed, **params)``
    (``module``: ``asset_synth``, ``asset_synth_animals`` or ``asset_synth_machines``)."""
    recipe = {"kind": "synth", "generator": generator, "seed": seed, "params": params,
              "desc": desc, "seconds": seconds}
    if module != "asset_synth":
        recipe["module"] = module
    return recipe


def procedural(generator, target, desc, module="asset_procedural"):
    """A mesh made by ``<module>.GENERATORS[generator]()`` scaled to ``target`` (metres;
    ``module``: ``asset_procedural``, ``asset_procedural_animals`` or
    ``asset_procedural_objects``)."""
    recipe = {"kind": "procedural", "generator": generator, "target": target, "desc": desc}
    if module != "asset_procedural":
        recipe["module"] = module
    return recipe


def beat(bpm, bars, lines, vel=105, swing=0.0):
    """Drum-kit notes (General MIDI percussion keys) from step strings: ``lines`` maps a
    key to a string of 16th-note steps per bar (``x`` hit, ``o`` soft hit, ``.`` rest)."""
    step = 60.0 / bpm / 4.0
    notes = []
    for key, pattern in lines.items():
        for bar in range(bars):
            for i, ch in enumerate(pattern):
                if ch in "xo":
                    t = (bar * len(pattern) + i) * step + (swing * step if i % 2 else 0.0)
                    notes.append(A.Note(t, key, vel if ch == "x" else vel // 2, step * 0.9))
    return sorted(notes, key=lambda n: (n.t, n.key))
