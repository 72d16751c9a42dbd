"""The recipes of the default library v1: 20 categories, 5 clips and 1-2 meshes each.

File numbers follow list order (``<cat>_01`` ... ``<cat>_05``); :mod:`recipes_v2` appends
to these lists, so v1 files keep their names.
"""
from __future__ import annotations

from asset_recipes import (CLIP_SECONDS, ETEKS_CREDIT, KATOR_CREDIT, SCOPIA_CREDIT, beat, chords,
                           hits, melody, procedural, sample, sample_mix, sf2, sh3d, synth, tts)


CATEGORIES = {
    "person": {
        "sounds": [
            tts("en-us", "Hello, can you hear me? I am standing right over here, by the window."),
            tts("en+f1", "Good morning. The meeting starts at nine, so please do not be late.",
                rate=150, pitch=60),
            tts("en-us+m3", "Excuse me, does anyone know where the nearest train station is?",
                rate=155, pitch=38),
            tts("en-us+f4", "Look at this! The weather is lovely, let us go for a walk outside.",
                rate=165, pitch=66, pitch_range=70),
            tts("en-gb-scotland+m1", "Right, I will put the kettle on. Would you like some tea?",
                rate=150, pitch=45),
        ],
        "meshes": [
            sh3d("Reallusion.sh3f", "reallusion/male01/male01.obj", {"height": 1.80},
                 "CC-BY-3.0-US",
                 "\"Male\" 3D model (male01), (C) Reallusion (http://www.reallusion.com), "
                 "CC BY 3.0 US, from the Sweet Home 3D furniture library",
                 desc="standing man"),
            sh3d("Reallusion.sh3f", "reallusion/female01/female01.obj", {"height": 1.66},
                 "CC-BY-3.0-US",
                 "\"Female\" 3D model (female01), (C) Reallusion (http://www.reallusion.com), "
                 "CC BY 3.0 US, from the Sweet Home 3D furniture library",
                 desc="standing woman"),
        ],
    },
    "dog": {
        "sounds": [
            sf2("gm", 1, 123, "Dog", hits([0, 0.42, 1.55, 1.93, 2.31, 3.30], 60, 0.35),
                "barking, medium dog"),
            sf2("fluid_gs", 1, 123, "Dog", hits([0, 0.36, 0.72, 2.00, 2.45, 3.45], 60, 0.35,
                                                keys=[60, 61, 60, 59, 60, 61]),
                "barking, medium dog (FluidR3 sample)"),
            sf2("gm", 1, 123, "Dog", hits([0, 0.60, 1.70, 2.35, 3.30], 53, 0.5),
                "deep barks, large dog (key 53)"),
            sf2("fluid_gs", 1, 123, "Dog", hits([0, 0.22, 0.44, 1.30, 1.52, 1.74, 2.80, 3.02, 3.24],
                                                67, 0.2),
                "yapping, small dog (key 67)"),
            sf2("gm", 1, 123, "Dog", hits([0, 0.30, 0.95, 1.25, 2.10, 2.40, 2.70, 3.55], 63, 0.3,
                                          keys=[63, 64, 63, 62, 64, 63, 62, 63]),
                "excited barking (key 62-64)"),
        ],
        "meshes": [
            sh3d("Scopia.sh3f", "scopia/dog/dog.obj", {"height": 0.75}, "CC-BY-3.0",
                 f"\"Dog\" 3D model by {SCOPIA_CREDIT} and {ETEKS_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="sitting Labrador-like dog"),
            sh3d("BlendSwap-CC-BY.sh3f", "blendswap-cc-by/bulldog/bulldog.obj", {"height": 0.47},
                 "CC-BY-3.0",
                 "\"Bulldog\" 3D model by Priide (http://www.blendswap.com/blends/view/53182), "
                 "CC BY 3.0, converted by Emmanuel Puybaret for the Sweet Home 3D furniture "
                 "library",
                 license_file="blendswap-cc-by/bulldog/BLENDSWAP_LICENSE.txt",
                 must_contain=["\"Bulldog\" by Priide", "Creative Commons Attribution 3.0"],
                 desc="standing bulldog"),
        ],
    },
    "bird": {
        "sounds": [
            sf2("gm", 0, 123, "Bird", hits([0, 1.45, 2.90], 60, 1.3), "songbird chirps"),
            sf2("fluid_gm", 0, 123, "Bird Tweet", hits([0, 1.6, 2.7], 64, 1.0,
                                                        keys=[64, 66, 64]),
                "bird tweets (FluidR3 sample)"),
            sf2("fluid_gs", 3, 123, "Bird 2", hits([0, 0.9, 1.5, 2.6, 3.3], 62, 0.6,
                                                   keys=[62, 65, 62, 64, 62]),
                "bird calls (FluidR3 'Bird 2')"),
            sf2("gm", 0, 123, "Bird", hits([0, 1.2, 2.4], 70, 1.1), "small bird, high chirps (key 70)"),
            sample("misc_crow", [0.0, 0.62, 1.85, 2.45, 3.05], "davidworksonline "
                   "(https://freesound.org/people/davidworksonline/sounds/54973/)",
                   "crow caws (recording)", gains=[1.0, 0.9, 1.0, 0.85, 0.95]),
        ],
        "meshes": [
            procedural("songbird", {"length": 0.20}, "perching robin-like songbird"),
            sh3d("BlendSwap-CC-0.sh3f", "blendswap-cc-0/chicken/chicken.obj", {"height": 0.40},
                 "CC0-1.0",
                 "\"Chicken\" 3D model by CDmir230 (http://www.blendswap.com/blends/view/79670), "
                 "CC0 1.0, converted by Emmanuel Puybaret for the Sweet Home 3D furniture library "
                 "(credit not required)",
                 license_file="blendswap-cc-0/chicken/79670 - LICENSE.html",
                 must_contain=["Creative Commons Zero 1.0"],
                 desc="standing hen"),
        ],
    },
    "car": {
        "sounds": [
            sf2("gm", 1, 125, "Car-Engine", hits([0], 60, CLIP_SECONDS + 0.5), "idling engine"),
            sf2("fluid_gs", 1, 125, "Car-Engine", hits([0], 60, CLIP_SECONDS + 0.5),
                "running engine (FluidR3 sample)"),
            sf2("fluid_gs", 3, 125, "Car-Pass", hits([0, 2.0], 60, 1.8, keys=[60, 58]),
                "two cars passing by"),
            sf2("gm", 1, 125, "Car-Engine", hits([0], 67, CLIP_SECONDS + 0.5),
                "engine at higher revs (key 67)"),
            sf2("fluid_gs", 1, 125, "Car-Engine", hits([0], 54, CLIP_SECONDS + 0.5),
                "large, low engine (key 54)"),
        ],
        "meshes": [
            sh3d("Scopia.sh3f", "scopia/peugeot-308/peugeot-308.obj", {"length": 4.40},
                 "CC-BY-3.0",
                 f"\"Peugeot 308 CC\" 3D model by {SCOPIA_CREDIT} and {ETEKS_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="white convertible"),
            sh3d("Scopia.sh3f", "scopia/chevrolet/chevrolet.obj", {"length": 4.46}, "CC-BY-3.0",
                 f"\"Chevrolet\" 3D model by {SCOPIA_CREDIT} and {ETEKS_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="red sports car"),
        ],
    },
    "piano": {
        "sounds": [
            sf2("gm", 0, 0, "Piano 1", melody([60, 62, 64, 65, 67, 65, 64, 62, 60, None], 0.4, vel=95),
                "piano, five-note scale up and down"),
            sf2("fluid_gm", 0, 0, "Yamaha Grand Piano",
                chords([[48, 55, 64], [45, 52, 60], [41, 48, 57], [43, 50, 59]], 0.95, vel=85),
                "grand piano chords C-Am-F-G"),
            sf2("fluid_gm", 0, 1, "Bright Yamaha Grand",
                melody([57, 60, 64, 69, 72, 69, 64, 60, 57, 60, 64, 69], 0.3, dur=0.5, vel=90),
                "bright piano, A minor arpeggios"),
            sf2("gm", 127, 0, "Acou Piano 1",
                melody([67, 67, 69, 67, 72, 71, None, 67, 67, 69, 67, 74, 72], 0.3, dur=0.32,
                       vel=100),
                "acoustic piano melody"),
            sf2("fluid_gm", 0, 0, "Yamaha Grand Piano",
                chords([[36, 43, 52, 60], [38, 45, 53, 62], [41, 48, 57, 65]], 1.2, vel=80,
                       arpeggio=0.07),
                "low rolled chords"),
        ],
        "meshes": [
            sh3d("BlendSwap-CC-BY.sh3f", "blendswap-cc-by/piano/piano.obj", {"width": 1.45},
                 "CC-BY-3.0",
                 "\"vertical piano with material\" 3D model by LVlittering "
                 "(http://www.blendswap.com/blends/view/41527), CC BY 3.0, converted by Emmanuel "
                 "Puybaret for the Sweet Home 3D furniture library",
                 license_file="blendswap-cc-by/piano/BLENDSWAP_LICENSE.txt",
                 must_contain=["by LVlittering", "Creative Commons Attribution 3.0"],
                 desc="black upright piano"),
            sh3d("BlendSwap-CC-0.sh3f", "blendswap-cc-0/pianoAQueue/pianoAQueue.obj",
                 {"length": 1.70}, "CC0-1.0",
                 "\"piano\" 3D model by Dante (http://www.blendswap.com/blends/view/67782), CC0, "
                 "converted by Emmanuel Puybaret for the Sweet Home 3D furniture library "
                 "(credit not required)",
                 license_file="blendswap-cc-0/pianoAQueue/BLENDSWAP_LICENSE.txt",
                 must_contain=["by Dante", "Creative Commons Zero"],
                 desc="black grand piano, lid open"),
        ],
    },
    "telephone": {
        "sounds": [
            sf2("gm", 0, 124, "Telephone", hits([0.0, 3.0], 60, 2.0), "telephone ringing"),
            sf2("gm", 1, 124, "Telephone 2", hits([0.0, 2.6], 60, 1.6), "telephone 2 ringing"),
            sf2("fluid_gm", 0, 124, "Telephone", hits([0.0, 0.6, 2.0, 2.6], 60, 0.4),
                "double ring (FluidR3 sample)"),
            sf2("fluid_gs", 1, 124, "Telephone 2", hits([0.0, 0.75, 2.2, 2.95], 60, 0.6),
                "old bell telephone (FluidR3 'Telephone 2')"),
            sf2("gm", 0, 124, "Telephone", hits([0.0, 0.55, 2.1, 2.65], 65, 0.4),
                "higher pitched double ring (key 65)"),
        ],
        "meshes": [
            sh3d("Scopia.sh3f", "scopia/phone/phone.obj", {"width": 0.20}, "CC-BY-3.0",
                 f"\"Phone\" 3D model by {SCOPIA_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="grey desk telephone with keypad"),
            sh3d("BlendSwap-CC-BY.sh3f",
                 "blendswap-cc-by/wirelessOfficePhone3/wirelessOfficePhone3.obj",
                 {"height": 0.171}, "CC-BY-3.0",
                 "\"Low-Poly office phone\" 3D model by DennisH2010 "
                 "(http://www.blendswap.com/blends/view/69957), CC BY 3.0, converted by Emmanuel "
                 "Puybaret for the Sweet Home 3D furniture library",
                 license_file="blendswap-cc-by/wirelessOfficePhone3/BLENDSWAP_LICENSE.txt",
                 must_contain=["by DennisH2010", "Creative Commons Attribution 3.0"],
                 desc="cordless office phone in its base"),
        ],
    },
    # ---- categories added in v1 (seeds/000's twelve plus common others) --------------------
    "motorbike": {
        "sounds": [
            synth("motorbike", 101, "V-twin motorcycle idling with throttle blips", kind="vtwin_idle"),
            synth("motorbike", 102, "sport bike, inline four revving hard", kind="sport_rev"),
            synth("motorbike", 103, "two-stroke dirt bike revving", kind="dirt_2stroke"),
            synth("motorbike", 104, "small scooter pulling away", kind="scooter"),
            synth("motorbike", 105, "motorcycle passing at speed (Doppler)", kind="pass_by"),
        ],
        "meshes": [
            sh3d("Scopia.sh3f", "scopia/yamaha-yzr-r6/yamaha-yzr-r6.obj", {"length": 2.03},
                 "CC-BY-3.0",
                 f"\"Yamaha YZR R6\" 3D model by {SCOPIA_CREDIT} and {ETEKS_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="red sport motorcycle"),
            sh3d("KatorLegaz.sh3f", "katorlegaz/scooter/scooter.obj", {"length": 1.75},
                 "CC-BY-3.0-US",
                 f"\"Scooter\" 3D model by {KATOR_CREDIT}, CC BY 3.0 US, "
                 "from the Sweet Home 3D furniture library",
                 creator="Kator Legaz", desc="yellow motor scooter"),
        ],
    },
    "train": {
        "sounds": [
            sf2("fluid_gs", 6, 125, "Train", hits([0.0], 60, 4.5), "passing train (FluidR3 'Train')"),
            sf2("gm", 6, 125, "Train", hits([0.0], 55, 4.5), "train running (key 55)"),
            synth("train", 201, "wheels clattering over rail joints, rumble", kind="clatter"),
            synth("train", 202, "diesel locomotive three-chime horn over rumble", kind="diesel_horn"),
            synth("train", 203, "steam locomotive chuffing, then its whistle", kind="steam"),
        ],
        "meshes": [
            procedural("locomotive", {"length": 19.0}, "leading car of a red-and-white passenger train"),
        ],
    },
    "boat": {
        "sounds": [
            synth("boat", 301, "ship's fog horn over lapping water", kind="foghorn"),
            synth("boat", 302, "ferry: diesel throb and a two-tone horn", kind="ferry"),
            synth("boat", 303, "outboard motor idling, then opening up", kind="outboard"),
            synth("boat", 304, "speedboat passing (Doppler) with its wake", kind="speedboat"),
            synth("boat", 305, "rowing boat: oar splashes, oarlock creak, drips", kind="rowing"),
        ],
        "meshes": [
            sh3d("BlendSwap-CC-BY.sh3f", "blendswap-cc-by/rowboat/rowboat.obj", {"length": 3.09},
                 "CC-BY-3.0",
                 "\"Kayak and Rowboat (Dinghy)\" 3D model (rowboat) by Asterlil "
                 "(http://www.blendswap.com/blends/view/92570), CC BY 3.0, converted by Emmanuel "
                 "Puybaret for the Sweet Home 3D furniture library",
                 license_file="blendswap-cc-by/rowboat/92570 - LICENSE.html",
                 must_contain=["Kayak and Rowboat", "Creative Commons Attribution 3.0"],
                 creator="Asterlil", desc="green wooden rowing boat"),
            procedural("motorboat", {"length": 5.5}, "small open motorboat with outboard motor"),
        ],
    },
    "elephant": {
        "sounds": [
            synth("elephant", 401, "elephant trumpeting, one long call",
                  calls=[(0.0, 1.6, 420.0, 1.6), (2.3, 1.2, 380.0, 1.5)]),
            synth("elephant", 402, "short excited trumpet blasts",
                  calls=[(0.0, 0.7, 500.0, 1.5), (0.9, 0.6, 520.0, 1.4), (2.0, 1.3, 460.0, 1.7)]),
            synth("elephant", 403, "low rumble, then a trumpet", calls=[(1.7, 1.8, 360.0, 1.5)],
                  rumble_at=(0.0, 2.0)),
            synth("elephant", 404, "young elephant, high trumpet",
                  calls=[(0.0, 1.0, 640.0, 1.5), (1.6, 1.4, 600.0, 1.6)]),
            synth("elephant", 405, "deep, long trumpet with rumble",
                  calls=[(0.0, 2.4, 300.0, 1.7)], rumble_at=(2.4, 1.8)),
        ],
        "meshes": [
            procedural("elephant", {"height": 3.2}, "African elephant with tusks"),
        ],
    },
    "cat": {
        "sounds": [
            synth("cat", 501, "two meows", calls=[(0.0, 0.9, 560.0, 1.35, 0.8),
                                                  (1.8, 1.1, 600.0, 1.3, 0.75)]),
            synth("cat", 502, "kitten mewing", calls=[(0.0, 0.45, 850.0, 1.25, 0.9),
                                                      (0.8, 0.5, 900.0, 1.2, 0.85),
                                                      (1.7, 0.4, 820.0, 1.3, 0.9),
                                                      (2.6, 0.6, 880.0, 1.25, 0.8)]),
            synth("cat", 503, "long plaintive meow", calls=[(0.0, 1.9, 480.0, 1.5, 0.7),
                                                            (2.6, 0.8, 520.0, 1.3, 0.8)]),
            synth("cat", 504, "purring with a short chirp meow", purr_s=4.6,
                  calls=[(2.2, 0.5, 650.0, 1.2, 0.95)]),
            synth("cat", 505, "insistent meowing", calls=[(0.0, 0.6, 620.0, 1.3, 0.85),
                                                          (0.9, 0.6, 640.0, 1.35, 0.8),
                                                          (1.9, 0.8, 600.0, 1.4, 0.75),
                                                          (3.0, 0.7, 660.0, 1.3, 0.8)]),
        ],
        "meshes": [
            sh3d("Scopia.sh3f", "scopia/cat/cat.obj", {"height": 0.46}, "CC-BY-3.0",
                 f"\"Cat\" 3D model by {SCOPIA_CREDIT} and {ETEKS_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="sitting grey tabby cat"),
            sh3d("BlendSwap-CC-BY.sh3f", "blendswap-cc-by/siameseCat/siameseCat.obj",
                 {"height": 0.30}, "CC-BY-3.0",
                 "\"Lowpoly Siamese Cat\" 3D model by Gwinna "
                 "(http://www.blendswap.com/blends/view/57118), CC BY 3.0, converted by Emmanuel "
                 "Puybaret for the Sweet Home 3D furniture library",
                 license_file="blendswap-cc-by/siameseCat/BLENDSWAP_LICENSE.txt",
                 must_contain=["by Gwinna", "Creative Commons Attribution 3.0"],
                 desc="standing Siamese cat"),
        ],
    },
    "horse": {
        "sounds": [
            sf2("gm", 2, 123, "Horse Gallop", hits([0.0], 60, 4.5), "horse galloping"),
            sf2("fluid_gs", 2, 123, "Horse Gallop", hits([0.0, 2.2], 60, 2.2),
                "horse galloping, two runs (FluidR3 sample)"),
            synth("horse", 601, "horse whinnying and snorting", kind="whinny"),
            synth("horse", 602, "cantering hooves on hard ground, a snort", kind="canter"),
            synth("horse", 603, "nickering, snort and a short whinny", kind="nicker"),
        ],
        "meshes": [
            sh3d("BlendSwap-CC-BY.sh3f", "blendswap-cc-by/horse/horse.obj", {"height": 1.70},
                 "CC-BY-3.0",
                 "\"Horse\" 3D model by b2przemo (http://www.blendswap.com/blends/view/76528), "
                 "CC BY 3.0, converted by Emmanuel Puybaret for the Sweet Home 3D furniture library",
                 license_file="blendswap-cc-by/horse/76528 - Horse  - License.html",
                 must_contain=["Horse  by b2przemo", "Creative Commons Attribution 3.0"],
                 desc="standing chestnut horse"),
            sh3d("BlendSwap-CC-0.sh3f", "blendswap-cc-0/horse2/horse2.obj", {"height": 1.70},
                 "CC0-1.0",
                 "\"Low Poly Horse\" 3D model by twin97 (http://www.blendswap.com/blends/view/78140), "
                 "CC0 1.0, converted by Emmanuel Puybaret for the Sweet Home 3D furniture library "
                 "(credit not required)",
                 license_file="blendswap-cc-0/horse2/78140 - Low Poly Horse - License.html",
                 must_contain=["Low Poly Horse by twin97", "Creative Commons Zero"],
                 desc="walking bay horse"),
        ],
    },
    "sheep": {
        "sounds": [
            synth("sheep", 701, "ewe bleating twice", calls=[(0.0, 0.8, 330.0, 9.0),
                                                            (1.5, 0.9, 300.0, 8.0)]),
            synth("sheep", 702, "lamb bleating", calls=[(0.0, 0.55, 560.0, 11.0),
                                                        (0.9, 0.6, 590.0, 12.0),
                                                        (2.2, 0.7, 540.0, 11.0)]),
            synth("sheep", 703, "small flock, overlapping bleats",
                  calls=[(0.0, 0.9, 310.0, 8.5), (0.5, 0.7, 420.0, 10.0), (1.6, 1.0, 280.0, 7.5),
                         (2.4, 0.6, 520.0, 11.0), (3.1, 0.8, 340.0, 9.0)]),
            synth("sheep", 704, "ram, low long bleat", calls=[(0.0, 1.3, 210.0, 7.0),
                                                              (2.1, 1.1, 200.0, 6.5)]),
            synth("sheep", 705, "bleats with a wide quaver", calls=[(0.0, 1.0, 380.0, 6.0),
                                                                    (1.6, 0.9, 400.0, 6.5),
                                                                    (3.0, 0.8, 360.0, 6.0)]),
        ],
        "meshes": [
            procedural("sheep", {"height": 0.95}, "woolly sheep with dark face and legs"),
            procedural("sheep_white", {"height": 0.85}, "woolly white-faced sheep"),
        ],
    },
    "cow": {
        "sounds": [
            synth("cow", 801, "cow mooing twice", calls=[(0.0, 1.8, 130.0), (2.4, 1.6, 120.0)]),
            synth("cow", 802, "one long low moo", calls=[(0.0, 3.2, 105.0)]),
            synth("cow", 803, "calf mooing", calls=[(0.0, 1.1, 210.0), (1.5, 1.2, 200.0),
                                                    (3.0, 1.0, 220.0)]),
            synth("cow", 804, "two cows answering", calls=[(0.0, 1.6, 140.0), (1.4, 2.0, 110.0)]),
            synth("cow", 805, "short moos", calls=[(0.0, 0.9, 150.0), (1.2, 0.9, 145.0),
                                                   (2.4, 1.4, 135.0)]),
        ],
        "meshes": [
            procedural("cow", {"height": 1.55}, "black-and-white dairy cow"),
        ],
    },
    "keyboard": {
        "sounds": [
            synth("typing", 901, "typing on a clicky mechanical keyboard", kind="mechanical"),
            synth("typing", 902, "typing on a laptop keyboard", kind="laptop"),
            synth("typing", 903, "office keyboard typing with space bar", kind="office"),
            synth("typing", 904, "slow hunt-and-peck typing", kind="hunt_peck"),
            synth("typing", 905, "fast bursts of typing", kind="burst"),
        ],
        "meshes": [
            procedural("keyboard_full", {"width": 0.44}, "black full-size computer keyboard"),
            procedural("keyboard_compact", {"width": 0.32}, "white compact computer keyboard"),
        ],
    },
    "car_horn": {
        "sounds": [
            synth("car_horn", 1001, "two-tone car horn, long and short", kind="two_tone_long"),
            synth("car_horn", 1002, "double honks", kind="double_honk"),
            synth("car_horn", 1003, "small car beeping", kind="small_beeps"),
            synth("car_horn", 1004, "truck air horn", kind="truck_air"),
            synth("car_horn", 1005, "impatient honking", kind="impatient"),
        ],
        "meshes": [
            sh3d("KatorLegaz.sh3f", "katorlegaz/VW-new-beetle/VW-new-beetle.obj",
                 {"length": 4.09}, "CC-BY-3.0-US",
                 f"\"VW new beetle\" 3D model by {KATOR_CREDIT}, CC BY 3.0 US, "
                 "from the Sweet Home 3D furniture library",
                 creator="Kator Legaz", desc="yellow compact car"),
            sh3d("Scopia.sh3f", "scopia/smart-car/smart-car.obj", {"length": 2.70}, "CC-BY-3.0",
                 f"\"Smart car\" 3D model by {SCOPIA_CREDIT} and {ETEKS_CREDIT}, CC BY 3.0, "
                 "from the Sweet Home 3D furniture library",
                 desc="grey two-seater city car"),
        ],
    },
    "siren": {
        "sounds": [
            sf2("fluid_gs", 5, 125, "Siren", hits([0.0], 60, 4.5), "siren (FluidR3 'Siren')"),
            sf2("gm", 5, 125, "Siren", hits([0.0], 64, 4.5), "siren (key 64)"),
            synth("siren", 1101, "wailing siren", kind="wail"),
            synth("siren", 1102, "yelping siren", kind="yelp"),
            synth("siren", 1103, "two-tone (hi-lo) European siren", kind="hilo"),
        ],
        "meshes": [
            procedural("ambulance", {"length": 5.8}, "white box ambulance with blue light bar"),
            procedural("police_car", {"length": 4.85}, "police car with red and blue light bar"),
        ],
    },
    "alarm_clock": {
        "sounds": [
            synth("alarm_clock", 1201, "digital alarm, groups of four beeps", kind="digital_quad"),
            synth("alarm_clock", 1202, "digital alarm, fast beeping", kind="digital_fast"),
            synth("alarm_clock", 1203, "mechanical twin-bell alarm ringing", kind="twin_bell"),
            synth("alarm_clock", 1204, "ticking, then the bell rings", kind="tick_ring"),
            synth("alarm_clock", 1205, "clock radio double beeps", kind="radio_beep"),
        ],
        "meshes": [
            procedural("twin_bell_clock", {"height": 0.18}, "red twin-bell wind-up alarm clock"),
            procedural("digital_clock", {"width": 0.16}, "black digital alarm clock"),
        ],
    },
    "guitar": {
        "sounds": [
            sf2("gm", 0, 24, "Nylon Guitar",
                chords([[45, 52, 57, 60, 64], [48, 52, 55, 60, 64], [43, 50, 55, 59, 62],
                        [40, 47, 52, 56, 59]], 1.0, vel=95, arpeggio=0.14),
                "nylon-string guitar, arpeggiated Am-C-G-E"),
            sf2("fluid_gm", 0, 25, "Steel String Guitar",
                chords([[40, 47, 52, 55, 59, 64], [40, 47, 52, 55, 59, 64], [45, 52, 57, 60, 64],
                        [43, 47, 50, 55, 59, 67], [43, 47, 50, 55, 59, 67], [48, 52, 55, 60, 64],
                        [50, 57, 62, 66], [40, 47, 52, 55, 59, 64]], 0.5, vel=100, arpeggio=0.015),
                "steel-string guitar strumming Em-Am-G-C-D"),
            sf2("fluid_gm", 0, 27, "Clean Guitar",
                melody([64, 67, 69, 71, 69, 67, 64, 62, 64, None, 67, 64, 62, 59, 57, None], 0.25),
                "clean electric guitar melody"),
            sample_mix([("guit_em9", 0.0, 1.0)], "electric guitar, Em9 chord (recording)"),
            sample_mix([("guit_e_fifths", 0.0, 1.0)], "electric guitar, fifths on E (recording)"),
        ],
        "meshes": [
            procedural("acoustic_guitar", {"height": 1.0}, "acoustic guitar standing upright"),
        ],
    },
    "drums": {
        "sounds": [
            sf2("fluid_gm", 128, 0, "Standard",
                beat(110, 2, {36: "x.......x.x.....", 38: "....x.......x...",
                              42: "x.x.x.x.x.x.x.x.", 49: "x..............."}),
                "rock beat on a standard drum kit"),
            sf2("gm", 128, 16, "Power",
                beat(96, 2, {36: "x..x..x...x.....", 38: "....x.......x..o",
                             46: "x...x...x...x...", 45: "............x.x."}),
                "heavier beat with toms (power kit)"),
            sf2("fluid_gm", 128, 40, "Brush",
                beat(140, 3, {36: "x.......x.......", 38: "....o.......o..o",
                              51: "x...x.x.x...x.x.", 44: "....x.......x..."},
                     vel=95),
                "jazz swing with brushes and ride"),
            sample_mix([("drum_heavy_kick", 0.0, 1.0), ("drum_cymbal_closed", 0.0, 0.6),
                        ("drum_cymbal_closed", 0.27, 0.5), ("drum_snare_hard", 0.54, 0.9),
                        ("drum_cymbal_closed", 0.54, 0.5), ("drum_cymbal_closed", 0.81, 0.5),
                        ("drum_heavy_kick", 1.08, 1.0), ("drum_heavy_kick", 1.35, 0.8),
                        ("drum_cymbal_closed", 1.08, 0.6), ("drum_cymbal_closed", 1.35, 0.5),
                        ("drum_snare_hard", 1.62, 0.9), ("drum_cymbal_closed", 1.62, 0.5),
                        ("drum_cymbal_open", 1.89, 0.5), ("drum_heavy_kick", 2.16, 1.0),
                        ("drum_cymbal_closed", 2.16, 0.6), ("drum_cymbal_closed", 2.43, 0.5),
                        ("drum_snare_hard", 2.70, 0.9), ("drum_cymbal_closed", 2.97, 0.5),
                        ("drum_heavy_kick", 3.24, 1.0), ("drum_snare_soft", 3.51, 0.6),
                        ("drum_snare_hard", 3.78, 0.9), ("drum_cymbal_hard", 3.78, 0.5)],
                       "kick, snare and hi-hat groove assembled from single drum hits "
                       "(recordings)"),
            sample_mix([("drum_tom_hi_hard", 0.0, 1.0), ("drum_tom_hi_soft", 0.18, 0.8),
                        ("drum_tom_mid_hard", 0.36, 1.0), ("drum_tom_mid_soft", 0.54, 0.8),
                        ("drum_tom_lo_hard", 0.72, 1.0), ("drum_tom_lo_soft", 0.9, 0.8),
                        ("drum_bass_hard", 1.08, 1.0), ("drum_splash_hard", 1.08, 0.7),
                        ("drum_tom_mid_hard", 2.0, 0.9), ("drum_tom_lo_hard", 2.25, 1.0),
                        ("drum_bass_hard", 2.5, 1.0), ("drum_cymbal_hard", 2.5, 0.7),
                        ("drum_bass_soft", 3.2, 0.8), ("drum_snare_hard", 3.45, 0.9)],
                       "tom fill into cymbal crashes (recordings)"),
        ],
        "meshes": [
            procedural("drum_kit", {"width": 1.65}, "red five-piece drum kit with cymbals"),
        ],
    },
}
