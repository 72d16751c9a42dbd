"""The recipes added in v2 of the default library: 7 more clips for every category (12 in
all) and the meshes that bring every category to at least 3.

:data:`ADDED` is appended to :data:`recipes_v1.CATEGORIES` per category, so the new files
are ``<cat>_06`` ... ``<cat>_12`` (sounds) and the next mesh numbers; v1 files keep their
names and contents. Times in seconds, sizes in metres.
"""
from __future__ import annotations

from asset_recipes import (SCOPIA_CREDIT, beat, chords, hits, melody, procedural,
                           sample, sample_mix, sf2, sh3d, synth, tts)

ANIMALS, OBJECTS = "asset_procedural_animals", "asset_procedural_objects"
SYN_ANIMALS, SYN_MACHINES = "asset_synth_animals", "asset_synth_machines"
REALLUSION = "(C) Reallusion (http://www.reallusion.com), CC BY 3.0 US, from the Sweet Home 3D furniture library"


def _scopia(name, obj, target, desc):
    """A Scopia model (CC BY 3.0, the catalogue names Scopia as its creator)."""
    return sh3d("Scopia.sh3f", f"scopia/{obj}/{obj}.obj", target, "CC-BY-3.0",
                f"\"{name}\" 3D model by {SCOPIA_CREDIT}, CC BY 3.0, from the Sweet Home 3D furniture library",
                creator="Scopia", desc=desc)


def _sm(generator, seed, kind, desc):
    return synth(generator, seed, desc, module=SYN_MACHINES, kind=kind)


def _sa(generator, seed, kind, desc):
    return synth(generator, seed, desc, module=SYN_ANIMALS, kind=kind)


ADDED = {
    "person": {
        "sounds": [
            tts("en-029+m2", "Hey there! Is this the bus for the city centre, or do I need the next one?",
                rate=150, pitch=42),
            tts("en-gb-x-rp+f4", "I have read the report twice, and I still think the numbers do not add up.",
                rate=158, pitch=62),
            tts("en-us-nyc+m4", "Okay everybody, listen up. We leave in ten minutes, so grab your coats.",
                rate=170, pitch=48),
            tts("en-gb-x-gbcwmd+m6", "Could you pass me the salt, please? Thank you very much.",
                rate=145, pitch=40),
            tts("de+m2", "Guten Tag! Wie komme ich bitte zum Bahnhof?",
                rate=150, pitch=45),
            sf2("gm", 1, 126, "Laughing", hits([0.0, 1.9], 60, 1.8), "people laughing"),
            sf2("fluid_gs", 1, 126, "Laughs", hits([0.0, 2.1], 60, 2.0), "laughter (FluidR3 'Laughs')"),
        ],
        "meshes": [
            sh3d("Reallusion.sh3f", "reallusion/male02/male02.obj", {"height": 1.78}, "CC-BY-3.0-US",
                 f"\"Male\" 3D model (male02), {REALLUSION}", creator="Reallusion",
                 desc="standing man in casual clothes"),
            sh3d("Reallusion.sh3f", "reallusion/girlStanding/girlStanding.obj", {"height": 1.52},
                 "CC-BY-3.0-US", f"\"Girl\" 3D model (girlStanding), {REALLUSION}", creator="Reallusion",
                 desc="standing girl"),
        ],
    },
    "dog": {
        "sounds": [
            sf2("gm", 1, 123, "Dog", hits([0, 1.1, 1.45, 2.9], 57, 0.45), "slow barks, key 57"),
            sf2("fluid_gs", 1, 123, "Dog", hits([0, 0.3, 0.6, 0.9, 2.2, 2.5, 2.8], 65, 0.25),
                "rapid barking bursts (key 65)"),
            sf2("fluid_gs", 1, 123, "Dog", hits([0, 1.3, 2.6], 55, 0.6), "single deep barks (key 55)"),
            _sa("dog", 1301, "growl_bark", "dog growling, then barking"),
            _sa("dog", 1302, "howl", "dog howling"),
            _sa("dog", 1303, "whine", "dog whimpering"),
            _sa("dog", 1304, "big_barks", "large dog, slow deep barks"),
        ],
        "meshes": [procedural("dog_spotted", {"height": 0.72}, "standing spotted dog (Dalmatian-like)", ANIMALS)],
    },
    "bird": {
        "sounds": [
            sf2("gm", 127, 124, "Bird Tweet", hits([0, 1.4, 2.8], 62, 1.2), "bird tweets (MT bank)"),
            sf2("gm", 3, 123, "Bird  2", hits([0, 0.8, 1.9, 2.5, 3.3], 60, 0.6, keys=[60, 63, 60, 58, 62]),
                "bird calls ('Bird 2')"),
            sf2("fluid_gm", 0, 123, "Bird Tweet", hits([0, 2.0], 57, 1.9), "slower, lower tweets (key 57)"),
            sample("misc_crow", [0.0, 0.5, 1.0, 2.4, 2.9], "davidworksonline "
                   "(https://freesound.org/people/davidworksonline/sounds/54973/)",
                   "crow cawing in two bursts (recording)", gains=[0.8, 1.0, 0.9, 1.0, 0.8]),
            _sa("bird", 1401, "blackbird", "blackbird-like fluty song"),
            _sa("bird", 1402, "trill", "warbler trills"),
            _sa("bird", 1403, "dove", "dove cooing"),
        ],
        "meshes": [procedural("pigeon", {"length": 0.32}, "standing rock pigeon", ANIMALS)],
    },
    "car": {
        "sounds": [
            sf2("gm", 2, 125, "Car-Stop", hits([0.0], 60, 3.5), "car braking to a stop"),
            sf2("fluid_gs", 2, 125, "Car-Stop", hits([0.0], 58, 3.5), "car braking, tyres squealing (FluidR3)"),
            sf2("gm", 3, 125, "Car-Pass", hits([0.0, 2.1], 60, 2.0, keys=[60, 63]), "cars passing (gm font)"),
            _sm("car", 1501, "start_idle", "car starting, then idling"),
            _sm("car", 1502, "rev", "car engine revving in neutral"),
            _sm("car", 1503, "pass_by", "car passing at about 60 km/h"),
            _sm("car", 1504, "accelerate", "car pulling away through the gears"),
        ],
        "meshes": [_scopia("Seat Leon", "seat_leon", {"length": 4.19}, "hatchback car")],
    },
    "piano": {
        "sounds": [
            sf2("gm", 0, 1, "Piano 2", melody([64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, 64, 62, 62],
                                              0.26, dur=0.3, vel=92), "piano melody (Ode to Joy)"),
            sf2("gm", 0, 2, "Piano 3", melody([60, 60, 67, 67, 69, 69, 67, None, 65, 65, 64, 64, 62, 62, 60],
                                              0.27, dur=0.3), "piano, 'Twinkle, twinkle' tune"),
            sf2("gm", 0, 3, "Honky Tonk", chords([[36, 48], [52, 55, 60], [43, 55], [52, 55, 60],
                                                 [41, 53], [53, 57, 60], [43, 55], [53, 55, 59]], 0.45,
                                                vel=95), "honky-tonk piano, stride bass"),
            sf2("fluid_gm", 0, 3, "Honky Tonk", melody([60, 63, 65, 66, 67, 70, 72, 70, 67, 66, 65, 63],
                                                      0.3, dur=0.35), "honky-tonk piano, blues lick"),
            sf2("gm", 127, 1, "Acou Piano 2", chords([[45, 52, 57, 60], [40, 52, 55, 59], [41, 53, 57, 60],
                                                     [38, 50, 53, 57]], 0.95, vel=80, arpeggio=0.12),
                "rolled piano chords Am-Em-F-Dm"),
            sf2("fluid_gm", 0, 1, "Bright Yamaha Grand",
                melody([76, 75, 76, 75, 76, 71, 74, 72, 69, None, 60, 64, 69, 71], 0.25, dur=0.3, vel=88),
                "bright piano, a classical opening phrase"),
            sample_mix([("ambi_piano", 0.0, 1.0), ("ambi_piano", 1.4, 0.8)],
                       "soft piano chord, struck twice (recording)"),
        ],
        "meshes": [procedural("upright_piano", {"width": 1.5}, "walnut upright piano", OBJECTS)],
    },
    "telephone": {
        "sounds": [
            sf2("gm", 127, 123, "Telephone MT", hits([0.0, 2.4], 60, 1.6), "telephone ringing (MT bank)"),
            sf2("fluid_gs", 1, 124, "Telephone 2", hits([0.0, 1.8], 55, 1.3), "old telephone, lower ring (key 55)"),
            sf2("gm", 1, 124, "Telephone 2", hits([0.0, 0.5, 1.0, 2.5, 3.0], 62, 0.35), "short rings (key 62)"),
            _sm("telephone", 1601, "bell_double", "bell telephone, British double ring"),
            _sm("telephone", 1602, "bell_long", "bell telephone, one long ring"),
            _sm("telephone", 1603, "trill", "electronic desk phone warbling"),
            _sm("telephone", 1604, "ringtone", "mobile phone ringtone tune"),
        ],
        "meshes": [procedural("rotary_phone", {"width": 0.2}, "black rotary-dial desk telephone", OBJECTS)],
    },
    "motorbike": {
        "sounds": [
            _sm("motorbike", 1701, "start_idle", "motorcycle starting, V-twin idle"),
            _sm("motorbike", 1702, "gear_shifts", "sport bike accelerating through the gears"),
            _sm("motorbike", 1703, "chopper_cruise", "big V-twin cruising"),
            _sm("motorbike", 1704, "moped", "moped buzzing along"),
            _sm("motorbike", 1705, "decel", "motorcycle slowing, downshifting"),
            _sm("motorbike", 1706, "thumper", "single-cylinder bike idling with a rev"),
            _sm("motorbike", 1707, "race_pass", "racing motorcycle passing at speed"),
        ],
        "meshes": [_scopia("Scooter", "scooter2", {"length": 1.73}, "motor scooter")],
    },
    "train": {
        "sounds": [
            sf2("fluid_gs", 6, 125, "Train", hits([0.0], 52, 4.5), "train running, lower (key 52)"),
            sf2("gm", 6, 125, "Train", hits([0.0], 64, 4.5), "train running, faster (key 64)"),
            _sm("train", 1801, "electric", "electric train accelerating, motors whining"),
            _sm("train", 1802, "brakes", "train braking with squealing brakes"),
            _sm("train", 1803, "horn_pass", "train passing, sounding its horn"),
            _sm("train", 1804, "level_crossing", "level crossing bell, a train arriving"),
            _sm("train", 1805, "freight", "slow freight train, couplings banging"),
        ],
        "meshes": [
            procedural("steam_locomotive", {"length": 12.5}, "black steam locomotive with tender", OBJECTS),
            procedural("diesel_locomotive", {"length": 20.0}, "yellow-and-blue diesel locomotive", OBJECTS),
        ],
    },
    "boat": {
        "sounds": [
            _sm("boat", 1901, "jetski", "jet ski racing past"),
            _sm("boat", 1902, "sailing", "sailing: wind, flapping sail, water"),
            _sm("boat", 1903, "tugboat", "tugboat diesel and a deep horn"),
            _sm("boat", 1904, "ship_bell", "ship's bell struck in pairs"),
            _sm("boat", 1905, "inboard_idle", "inboard diesel idling, water gurgling"),
            _sm("boat", 1906, "danger_blasts", "five short blasts of a ship's horn"),
            _sm("boat", 1907, "kayak", "kayak paddle strokes"),
        ],
        "meshes": [procedural("sailing_dinghy", {"length": 4.2}, "sailing dinghy with mainsail and jib", OBJECTS)],
    },
    "elephant": {
        "sounds": [
            synth("elephant", 406, "three rising trumpets", calls=[(0.0, 0.9, 450.0, 1.5), (1.2, 0.9, 470.0, 1.6),
                                                                     (2.4, 1.4, 490.0, 1.8)]),
            synth("elephant", 407, "one very long trumpet", calls=[(0.0, 3.4, 400.0, 1.55)]),
            synth("elephant", 408, "rumbling herd", calls=[(2.9, 0.8, 520.0, 1.4)], rumble_at=(0.0, 3.0)),
            synth("elephant", 409, "squeaky calf calls", calls=[(0.0, 0.5, 780.0, 1.3), (0.8, 0.4, 820.0, 1.3),
                                                                (1.5, 0.6, 760.0, 1.4), (2.6, 0.5, 800.0, 1.3)]),
            synth("elephant", 410, "angry blasts, low pitch", calls=[(0.0, 0.6, 330.0, 1.9), (0.8, 0.6, 340.0, 1.9),
                                                                     (1.8, 1.8, 320.0, 2.0)]),
            synth("elephant", 411, "two elephants answering", calls=[(0.0, 1.2, 430.0, 1.6),
                                                                    (1.0, 1.5, 560.0, 1.5)],
                  rumble_at=(2.6, 1.8)),
            synth("elephant", 412, "short trumpet, long rumble", calls=[(0.0, 0.8, 400.0, 1.7)],
                  rumble_at=(0.9, 3.0)),
        ],
        "meshes": [
            procedural("elephant_asian", {"height": 2.7}, "Asian elephant with small ears and short tusks", ANIMALS),
            procedural("elephant_calf", {"height": 1.1}, "elephant calf", ANIMALS),
        ],
    },
    "cat": {
        "sounds": [
            synth("cat", 506, "short chirpy meows", calls=[(0.0, 0.35, 700.0, 1.2, 0.95), (0.5, 0.35, 720.0, 1.25, 0.9),
                                                          (1.9, 0.4, 690.0, 1.2, 0.9), (2.5, 0.35, 740.0, 1.2, 0.95)]),
            synth("cat", 507, "low yowl", calls=[(0.0, 2.6, 380.0, 1.6, 0.65)]),
            synth("cat", 508, "purring only, slow", purr_s=4.6, calls=[]),
            synth("cat", 509, "demanding meow, then purr", purr_s=2.4,
                  calls=[(2.4, 1.1, 600.0, 1.45, 0.7)]),
            synth("cat", 510, "two cats meowing", calls=[(0.0, 0.9, 520.0, 1.35, 0.8), (0.7, 0.7, 760.0, 1.25, 0.85),
                                                         (2.2, 1.0, 540.0, 1.4, 0.75), (3.1, 0.6, 780.0, 1.2, 0.9)]),
            synth("cat", 511, "questioning rising meows", calls=[(0.0, 0.7, 520.0, 1.6, 1.1),
                                                                 (1.5, 0.8, 540.0, 1.7, 1.15)]),
            synth("cat", 512, "kitten crying", calls=[(0.0, 0.5, 950.0, 1.3, 0.85), (0.7, 0.6, 980.0, 1.25, 0.8),
                                                      (1.5, 0.5, 940.0, 1.3, 0.85), (2.3, 0.6, 1000.0, 1.3, 0.8),
                                                      (3.1, 0.7, 960.0, 1.35, 0.8)]),
        ],
        "meshes": [procedural("cat_ginger", {"height": 0.62}, "standing ginger cat, tail up", ANIMALS)],
    },
    "horse": {
        "sounds": [
            sf2("gm", 2, 123, "Horse Gallop", hits([0.0], 54, 4.5), "slower gallop (key 54)"),
            sf2("fluid_gs", 2, 123, "Horse Gallop", hits([0.0], 66, 4.5), "fast gallop (key 66)"),
            _sa("horse", 2001, "walk", "horse walking on a hard road"),
            _sa("horse", 2002, "trot", "horse trotting on cobbles"),
            _sa("horse", 2003, "gallop_whinny", "galloping horse whinnying"),
            _sa("horse", 2004, "snorts", "horse snorting and blowing"),
            _sa("horse", 2005, "whinny_long", "long whinny, answered"),
        ],
        "meshes": [procedural("horse_grey", {"height": 1.65}, "standing grey horse", ANIMALS)],
    },
    "sheep": {
        "sounds": [
            synth("sheep", 706, "single long ewe bleat", calls=[(0.0, 1.4, 310.0, 8.0)]),
            synth("sheep", 707, "lambs calling", calls=[(0.0, 0.5, 620.0, 12.0), (0.7, 0.5, 650.0, 12.5),
                                                        (1.6, 0.6, 600.0, 11.5), (2.6, 0.5, 640.0, 12.0),
                                                        (3.3, 0.6, 610.0, 12.0)]),
            synth("sheep", 708, "ram and ewe", calls=[(0.0, 1.2, 200.0, 7.0), (1.6, 0.9, 350.0, 9.0),
                                                      (3.0, 1.0, 210.0, 7.0)]),
            synth("sheep", 709, "slow quavering bleats", calls=[(0.0, 1.1, 280.0, 5.0), (1.8, 1.2, 300.0, 5.5)]),
            synth("sheep", 710, "fast nervous bleats", calls=[(0.0, 0.4, 420.0, 13.0), (0.55, 0.4, 430.0, 13.0),
                                                              (1.1, 0.45, 410.0, 13.0), (2.0, 0.4, 440.0, 14.0),
                                                              (2.6, 0.5, 420.0, 13.0)]),
            synth("sheep", 711, "large flock", calls=[(0.0, 0.8, 300.0, 8.0), (0.3, 0.6, 480.0, 11.0),
                                                      (0.9, 0.9, 260.0, 7.0), (1.4, 0.6, 560.0, 12.0),
                                                      (2.0, 0.8, 330.0, 9.0), (2.5, 0.7, 420.0, 10.0),
                                                      (3.2, 0.9, 290.0, 8.0)]),
            synth("sheep", 712, "ewe and answering lamb", calls=[(0.0, 1.0, 320.0, 8.5), (1.4, 0.6, 600.0, 12.0),
                                                                 (2.5, 1.0, 330.0, 8.0), (3.7, 0.6, 620.0, 12.0)]),
        ],
        "meshes": [
            procedural("ram", {"height": 1.0}, "woolly ram with curled horns", ANIMALS),
            procedural("lamb", {"height": 0.7}, "young lamb with long legs", ANIMALS),
        ],
    },
    "cow": {
        "sounds": [
            synth("cow", 806, "three short moos", calls=[(0.0, 0.8, 140.0), (1.1, 0.8, 135.0), (2.2, 1.2, 128.0)]),
            synth("cow", 807, "bull, very low moo", calls=[(0.0, 3.0, 85.0)]),
            synth("cow", 808, "calf calling", calls=[(0.0, 0.9, 240.0), (1.3, 1.0, 230.0), (2.6, 1.2, 250.0)]),
            synth("cow", 809, "long rising moo", calls=[(0.0, 2.2, 115.0), (2.8, 1.2, 125.0)]),
            synth("cow", 810, "herd, several cows", calls=[(0.0, 1.4, 125.0), (0.9, 1.6, 150.0), (2.2, 1.5, 110.0),
                                                           (3.2, 1.0, 175.0)]),
            synth("cow", 811, "cow and calf", calls=[(0.0, 1.8, 120.0), (2.1, 0.9, 235.0), (3.2, 1.0, 225.0)]),
            synth("cow", 812, "mid-pitched moo", calls=[(0.0, 2.6, 160.0)]),
        ],
        "meshes": [
            procedural("cow_jersey", {"height": 1.35}, "brown Jersey-like cow", ANIMALS),
            procedural("cow_highland", {"height": 1.4}, "shaggy Highland-like cow with long horns", ANIMALS),
        ],
    },
    "keyboard": {
        "sounds": [
            synth("typing", 906, "typing on linear mechanical switches", kind="linear"),
            synth("typing", 907, "quiet membrane keyboard", kind="membrane_quiet"),
            synth("typing", 908, "slow typing on clicky switches", kind="clicky_slow"),
            synth("typing", 909, "deep 'thocky' keyboard", kind="thock"),
            synth("typing", 910, "fast typing on low-profile keys", kind="low_profile"),
            synth("typing", 911, "entering numbers with Enter presses", kind="numpad_entry"),
            synth("typing", 912, "steady medium-speed typing", kind="steady_medium"),
        ],
        "meshes": [procedural("keyboard_tenkeyless", {"width": 0.36}, "dark grey tenkeyless keyboard", OBJECTS)],
    },
    "car_horn": {
        "sounds": [
            _sm("car_horn", 1021, "single_long", "one long car horn"),
            _sm("car_horn", 1022, "triple_honk", "triple honks"),
            _sm("car_horn", 1023, "bus_horn", "bus horn, low three-tone"),
            _sm("car_horn", 1024, "van_horn", "van honking in a rhythm"),
            _sm("car_horn", 1025, "pass_by", "car honking as it passes"),
            _sm("car_horn", 1026, "melody", "musical car horn"),
            _sm("car_horn", 1027, "weak", "weak, failing car horn"),
        ],
        "meshes": [_scopia("SUV", "suv", {"length": 4.63}, "sport utility vehicle")],
    },
    "siren": {
        "sounds": [
            sf2("gm", 5, 125, "Siren", hits([0.0], 57, 4.5), "siren, lower (key 57)"),
            sf2("fluid_gs", 5, 125, "Siren", hits([0.0], 66, 4.5), "siren, higher (FluidR3, key 66)"),
            synth("siren", 1104, "mechanical rotor siren winding up and down", kind="mechanical"),
            _sm("siren", 1111, "hyperyelp", "very fast yelping siren"),
            _sm("siren", 1112, "wail_fast", "fast wailing siren"),
            _sm("siren", 1113, "wail_pass", "wailing emergency vehicle passing"),
            _sm("siren", 1114, "hilo_wide", "two-tone siren, a fourth apart"),
        ],
        "meshes": [procedural("fire_engine", {"length": 8.0}, "red fire engine with roof ladder", OBJECTS)],
    },
    "alarm_clock": {
        "sounds": [
            _sm("alarm_clock", 1211, "buzzer", "alarm clock buzzer"),
            _sm("alarm_clock", 1212, "escalating", "beeping getting faster"),
            _sm("alarm_clock", 1213, "single_bell", "single-bell alarm ringing"),
            _sm("alarm_clock", 1214, "chime_melody", "chime alarm tune"),
            _sm("alarm_clock", 1215, "triple_tone", "three-tone beep groups"),
            _sm("alarm_clock", 1216, "tick_buzz", "ticking, then the buzzer"),
            _sm("alarm_clock", 1217, "slow_beep", "low slow beeps"),
        ],
        "meshes": [procedural("travel_alarm", {"width": 0.095}, "silver folding travel alarm clock", OBJECTS)],
    },
    "guitar": {
        "sounds": [
            sf2("gm", 0, 25, "Steel Guitar", melody([40, 52, 55, 59, 64, 59, 55, 52, 45, 52, 57, 60, 64, 60, 57, 52],
                                                    0.25, dur=0.6, vel=95), "steel-string fingerpicking"),
            sf2("gm", 0, 26, "Jazz Guitar", chords([[43, 53, 57, 62], [48, 52, 58, 62], [41, 52, 57, 60],
                                                    [41, 51, 56, 60]], 0.95, vel=85, arpeggio=0.03),
                "jazz guitar chords"),
            sf2("fluid_gm", 0, 28, "Palm Muted Guitar", melody([40, 40, 40, 43, 40, 40, 45, 43] * 2, 0.2, dur=0.15,
                                                              vel=110), "palm-muted rock riff"),
            sf2("gm", 0, 29, "Overdrive Guitar", chords([[40, 47, 52], [43, 50, 55], [45, 52, 57], [43, 50, 55]],
                                                        0.9, vel=105), "overdriven power chords"),
            sf2("fluid_gm", 0, 30, "Distortion Guitar", melody([52, 55, 57, 52, 55, 58, 57, None, 52, 55, 57, 55, 52],
                                                               0.3, dur=0.32, vel=105), "distorted guitar riff"),
            sf2("fluid_gm", 8, 25, "12 String Guitar", chords([[50, 57, 62, 66], [45, 52, 57, 61], [47, 54, 59, 62],
                                                               [43, 50, 55, 59]], 0.95, vel=95, arpeggio=0.02),
                "12-string guitar strumming"),
            sample_mix([("guit_harmonics", 0.0, 1.0)], "electric guitar harmonics (recording)"),
        ],
        "meshes": [
            procedural("electric_guitar", {"height": 1.0}, "blue solid-body electric guitar", OBJECTS),
            procedural("bass_guitar", {"height": 1.18}, "red four-string bass guitar", OBJECTS),
        ],
    },
    "drums": {
        "sounds": [
            sf2("gm", 128, 0, "Standard", beat(100, 2, {36: "x..x..x...x..x..", 38: "....x..o....x...",
                                                        42: "xxxxxxxxxxxxxxxx"}), "funk groove, standard kit"),
            sf2("fluid_gm", 128, 8, "Room", beat(120, 2, {36: "x.....x.x.......", 38: "....x.......x...",
                                                          46: "..x...x...x...x.", 42: "x...x...x...x..."}),
                "shuffle on a room kit"),
            sf2("fluid_gm", 128, 24, "Electronic", beat(124, 2, {36: "x...x...x...x...", 39: "....x.......x...",
                                                                 42: "..x...x...x...x."}),
                "dance beat on an electronic kit"),
            sf2("fluid_gm", 128, 32, "Jazz", beat(150, 3, {51: "x..xx..xx..xx..x", 36: "x.......o.......",
                                                           38: "......o.......o.", 44: "....x.......x..."}, vel=90),
                "jazz ride pattern"),
            sf2("gm", 128, 8, "Room", beat(90, 2, {36: "x.........x.....", 38: "........x.......",
                                                   42: "x.x.x.x.x.x.x.x.", 45: "............xxxx"}),
                "half-time groove with a tom fill, room kit"),
            sample_mix([("drum_roll", 0.0, 1.0), ("drum_splash_hard", 3.0, 0.9), ("drum_bass_hard", 3.0, 1.0)],
                       "snare roll into a crash (recordings)"),
            sample_mix([("drum_bass_hard", 0.0, 1.0), ("drum_cymbal_pedal", 0.0, 0.5), ("drum_snare_soft", 0.33, 0.5),
                        ("drum_cymbal_pedal", 0.66, 0.5), ("drum_bass_soft", 0.83, 0.8),
                        ("drum_snare_hard", 1.0, 0.9), ("drum_cymbal_pedal", 1.33, 0.5),
                        ("drum_bass_hard", 1.66, 1.0), ("drum_cymbal_pedal", 1.66, 0.5),
                        ("drum_snare_soft", 2.0, 0.5), ("drum_cymbal_pedal", 2.33, 0.5),
                        ("drum_snare_hard", 2.66, 0.9), ("drum_bass_soft", 3.0, 0.8),
                        ("drum_cymbal_soft", 3.33, 0.6), ("drum_snare_hard", 3.66, 0.9)],
                       "triplet-feel groove from single drum hits (recordings)"),
        ],
        "meshes": [
            procedural("jazz_kit", {"width": 1.35}, "blue four-piece jazz drum kit", OBJECTS),
            procedural("electronic_kit", {"width": 1.25}, "electronic drum kit on a rack", OBJECTS),
        ],
    },
}
