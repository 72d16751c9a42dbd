"""The spec schema: every key a spec may hold, its type, default and meaning.

This table is the single source of truth: validation walks it and ``docs/spec.md`` is generated
from it (``simulate spec-reference``), so the reference cannot drift from the code.
"""
from __future__ import annotations

from renderers.acoustic.heads import HEADS
from renderers.acoustic.room_kinds import ROOM_KINDS
from renderers.visual.textures import KINDS

from ..conditions import RULES, condition_names
from ..core.scene import ASSET_SPLITS
from ..core.size_bins import SIZE_BINS
from ..core.trajectory import HEAD_TURNS, TRAJECTORIES
from ..image_backends import IMAGE_BACKENDS
from ..sinks import SINKS
from .distributions import Kind
from .limits import MAX_SAMPLES
from .fields import REQUIRED, Field, ListField, MapField, Section, StrMapField, enum, integer, num

TEXTURES = KINDS  #: texture names (renderers.visual.textures.PATTERNS)

F = float("inf")

#: Spec limits of motion: linear speed (m/s), angular speeds (degrees per second), waypoints a path.
MAX_SPEED_M_S = 30.0
MAX_ANGULAR_SPEED_DEG_S = 360.0
MAX_WAYPOINTS = 8
MOTION_NOTE = ("Positions at t = 0 are the sampled ones; audio and image are still rendered at t = 0 "
               "(docs/motion.md). A trajectory that would leave the room (or come nearer the head than "
               "allowed) is re-drawn up to 16 times, then its speeds are scaled down until it stays inside.")


def _motion(doc: str, listener: bool = False) -> Section:
    """The motion block of sources, objects or the listener (simulator/core/trajectory.py)."""
    kinds = [name for name, cls in TRAJECTORIES.items() if cls.for_listener or not listener]
    fields = {
        "kind": Field(enum(*kinds), "static", "`static` (no motion), `linear` (straight line at `speed_m_s` "
                      "towards `azimuth_deg`/`elevation_deg`), " + ("" if listener else "`arc` (about the vertical "
                      "axis through the listener's head at t = 0 at `angular_speed_deg_s`, radius and height "
                      "kept), ") + "`waypoints` (`waypoints` legs of `step_m` each, each leg's direction and "
                      "speed drawn like `linear`'s; it stops at the last).", random=True),
        "speed_m_s": Field(num(0.0, MAX_SPEED_M_S, ol=True), {"uniform": [0.5, 1.5]},
                           "linear, waypoints: speed, m/s.", random=True),
        "azimuth_deg": Field(num(-180.0, 180.0), {"uniform": [-180.0, 180.0]},
                             "linear, waypoints: direction of travel, azimuth in the world frame (degrees, "
                             "positive left).", random=True),
        "elevation_deg": Field(num(-90.0, 90.0), 0.0, "linear, waypoints: direction of travel, elevation "
                               "(degrees, positive up).", random=True),
    }
    if not listener:
        fields["angular_speed_deg_s"] = Field(num(-MAX_ANGULAR_SPEED_DEG_S, MAX_ANGULAR_SPEED_DEG_S),
                                              {"uniform": [-30.0, 30.0]}, "arc: angular speed, degrees per "
                                              "second (positive: counterclockwise seen from above).", random=True)
    fields["waypoints"] = Field(integer(1, MAX_WAYPOINTS), {"int": [1, 3]}, "waypoints: legs of the path.",
                                random=True)
    fields["step_m"] = Field(num(0.0, 20.0, ol=True), {"uniform": [0.5, 2.0]}, "waypoints: length of each "
                             "leg, m.", random=True)
    return Section(doc + " " + MOTION_NOTE, fields)


def _turn() -> Section:
    """The listener's head turn block (simulator/core/trajectory.py, head turns)."""
    return Section("How the listener's head turns (yaw about +z) from `listener.yaw_deg`. Audio and image are "
                   "still rendered at t = 0 (docs/motion.md).", {
        "kind": Field(enum(*HEAD_TURNS.names()), "fixed", "`fixed` (no turn), `rate` (constant `rate_deg_s`) or "
                      "`waypoints` (`waypoints` turns of `step_deg` each at `speed_deg_s`; it keeps the last yaw).",
                      random=True),
        "rate_deg_s": Field(num(-MAX_ANGULAR_SPEED_DEG_S, MAX_ANGULAR_SPEED_DEG_S), {"uniform": [-30.0, 30.0]},
                            "rate: yaw rate, degrees per second (positive: turning left).", random=True),
        "waypoints": Field(integer(1, MAX_WAYPOINTS), {"int": [1, 3]}, "waypoints: turns.", random=True),
        "step_deg": Field(num(-360.0, 360.0), {"uniform": [-90.0, 90.0]}, "waypoints: yaw change of each turn, "
                          "degrees.", random=True),
        "speed_deg_s": Field(num(0.0, MAX_ANGULAR_SPEED_DEG_S, ol=True), {"uniform": [30.0, 90.0]},
                             "waypoints: angular speed of each turn, degrees per second.", random=True),
    })


def build_schema(conditions: tuple[str, ...] | None = None) -> Section:
    """The schema, from what is registered now (conditions, room kinds, head models); ``conditions``
    restricts the conditions a spec may name."""
    if conditions is None:
        conditions = condition_names()
    vec3 = Kind("vec", size=3)
    rgb = Kind("vec", size=3, low=0.0, high=1.0)
    return Section("A dataset spec.", {
        "name": Field(Kind("str"), None, "Dataset name; defaults to the spec file's stem.", nullable=True),
        "seed": Field(integer(0, 2**63 - 1), 0, "Spec seed. Sample i draws from "
                      "SeedSequence(seed, spawn_key=(i, attempt)) (attempt > 0 only when a drawn layout "
                      "cannot be realised), whatever the worker count or order."),
        "samples": Field(integer(1, MAX_SAMPLES), REQUIRED, "Number of samples to generate (at most "
                         f"{MAX_SAMPLES:,} per dataset; use a sweep or several specs for more)."),
        "condition": Field(enum(*conditions), "congruent",
                           "Audio-visual condition (see docs/conditions.md). A choice distribution "
                           "is planned, not drawn: every prefix of the dataset is balanced over the conditions (exact counts where the shares are whole numbers; docs/scale.md, datasets that grow).",
                           random=True),
        "image": Section("The rendered image.", {
            "width": Field(integer(16, 4096), 224, "Image width, pixels."),
            "height": Field(integer(16, 4096), 224, "Image height, pixels."),
            "renderer": Field(enum(*IMAGE_BACKENDS.names()), "mesh",
                              "Image source: `mesh` (pyrender raster of trimesh meshes), `diffusion` (a "
                              "diffusion model paints the sampled layout; image.diffusion, docs/diffusion.md) or "
                              "`photos` (real photos of a COCO-format dataset, `photos.*`, docs/photos.md; "
                              "width/height then apply only with `photos.resize: stretch`)."),
            "diffusion": Section("The diffusion backend (image.renderer: diffusion; needs the `diffusion` extra). "
                                 "Boxes are the objects' silhouette boxes; masks are the boxes.", {
                "model": Field(Kind("str"), None, "Local folder (save_pretrained layout) or hub id of the pipeline "
                               "(required with renderer: diffusion).", nullable=True),
                "mode": Field(enum("gligen", "inpaint"), "gligen",
                              "`gligen`: box-conditioned generation (GLIGEN text-box model); `inpaint`: inpaint "
                              "each box in turn, far to near (Stable Diffusion inpainting model)."),
                "steps": Field(integer(1, 1000), 30, "Denoising steps."),
                "guidance": Field(num(0.0, 50.0), 7.5, "Classifier-free guidance scale (<= 1: none)."),
                "batch_size": Field(integer(1, 1024), 4, "Images generated per model call."),
                "resolution": Field(integer(64, 4096), None, "Longer side of the generated image, pixels (default: "
                                    "the model's native size); resized to image.width x image.height.",
                                    nullable=True),
                "device": Field(Kind("str"), None, "torch device (default: cuda if available, else cpu).",
                                nullable=True),
                "dtype": Field(enum("float16", "bfloat16", "float32"), None,
                               "Model dtype (default: float16 on cuda, float32 on cpu).", nullable=True),
                "phrase_template": Field(Kind("str"), "{article} {name}",
                                         "Phrase of an object: {category}, {name} (underscores as spaces), "
                                         "{article} (a/an)."),
                "prompt_template": Field(Kind("str"), "a photo of {objects}",
                                         "Image prompt ({objects}: the phrases listed); in inpaint mode, the prompt "
                                         "of each box with its own phrase."),
                "negative_prompt": Field(Kind("str"), None, "Negative prompt.", nullable=True),
                "gligen_beta": Field(num(0.0, 1.0), 0.3, "GLIGEN: fraction of the steps the boxes steer."),
                "background": Field(enum("color", "raster"), "color",
                                    "inpaint: the starting image, background.color or the mesh raster."),
            }),
            "antialias": Field(Kind("bool"), True, "4x multisampled colour pass (mesh renderer). Off: about half "
                               "the colour-pass time on CPU rendering, aliased edges that follow the masks."),
            "gray_level": Field(integer(0, 255), 128, "Pixel value of the uniform gray image (audio_only)."),
            "noise_std": Field(num(0.0, 255.0, ol=True), 64.0,
                               "Gaussian-noise image (audio_only): pixel = clip(round(128 + noise_std * N(0, 1))) "
                               "per pixel and channel, i.e. mean 0 and std 1 in units of (p - 128) / noise_std."),
        }),
        "photos": Section("Real photos (`image.renderer: photos`; docs/photos.md). Paths are stored resolved.", {
            "annotations": Field(Kind("str"), None, "COCO instances JSON (images, instance masks, categories).",
                                 nullable=True),
            "images": Field(Kind("str"), None, "Folder the annotations' `file_name` values are relative to.",
                            nullable=True),
            "depth": Field(Kind("str"), None, "Folder of per-photo depth maps `<file stem>.npy` or `.png` (unset: "
                           "estimator or ground-plane prior).", nullable=True),
            "depth_kind": Field(enum("metric", "relative_inverse"), "relative_inverse",
                                "Convention of the depth maps: `metric` (metres along +x; 16-bit PNG in mm) or "
                                "`relative_inverse` (DepthAnything; seeds/000's d_norm = d_max - d_p)."),
            "depth_png_scale": Field(num(0.0, None, ol=True), None, "Map units per PNG step (default: 16-bit metric "
                                     "PNG = mm; relative PNG scaled to 0-10).", nullable=True),
            "category_map": StrMapField({}, "COCO category name -> library category name (null drops the category); "
                                        "built in: motorcycle -> motorbike, cell phone -> telephone."),
            "assumed_hfov_deg": Field(num(1.0, 179.0), 60.0, "Horizontal field of view assumed for the photos (COCO "
                                      "has no intrinsics); replaces camera.hfov_deg."),
            "resize": Field(enum("native", "stretch"), "native", "`native`: each photo at its own size; `stretch`: "
                            "resized to image.width x image.height (masks follow)."),
            "margin": Field(num(0.0, 0.45), 0.0, "Fraction of width/height at each border kept free of sized "
                            "objects' source pixels."),
            "estimator": Field(Kind("str"), None, "Monocular depth model for photos without a map: a local folder or "
                               "hub id for transformers' depth-estimation pipeline.", nullable=True),
            "estimator_kind": Field(enum("metric", "relative_inverse"), "relative_inverse",
                                    "Convention of the estimator's output."),
            "camera_height_m": Field(num(0.1, 100.0), 1.5, "Ground-plane prior: camera height above the ground, m."),
            "default_distance_m": Field(num(0.1, 1000.0), 10.0, "Ground-plane prior: distance of objects above the "
                                        "horizon or hanging from the top edge, m."),
            "min_distance_m": Field(num(0.1, 1000.0), 0.5, "Ground-plane prior: nearest distance, m."),
            "max_distance_m": Field(num(0.1, 1000.0), 50.0, "Ground-plane prior: farthest distance, m."),
            "relative_near_m": Field(num(0.0, 100.0), 0.76, "Pinhole depth (m along +x) of d_norm = 0 for relative "
                                     "depth."),
            "relative_unit_m": Field(num(0.0, 100.0, ol=True), 0.5, "Metres per unit of d_norm for relative depth "
                                     "(pinhole)."),
            "cache": Field(Kind("str"), "auto", "Where the photo index is cached: `auto` (beside the annotations, "
                           "else ~/.cache/avsim/photos), a folder, or `none`."),
        }),
        "audio": Section("The rendered audio.", {
            "sample_rate": Field(integer(8000, 192000), 16000, "Output sample rate, Hz."),
            "duration": Field(num(0.0, 60.0, ol=True), 3.0, "Duration of each sample's audio, seconds."),
            "format": Field(enum("flac", "wav"), "flac", "`flac` (PCM, `bit_depth` bits) or `wav` (32-bit float)."),
            "bit_depth": Field(Kind("int", choices=(16, 24)), 16, "FLAC bit depth: 16 or 24."),
            "noise_rms_db": Field(num(-80.0, 0.0), -20.0,
                                  "RMS of Gaussian-noise audio (vision_only, negatives), dBFS before level_db: the "
                                  "library clips' level. White, independent per channel."),
            "level_db": Field(num(-60.0, 20.0), -12.0,
                              "Gain applied to every sample's mixture, dB. A sample that would still clip "
                              "is scaled down and the scale is recorded (`audio.output_gain_db`)."),
        }),
        "camera": Section("The camera; it sits at the listener's head looking along +x.", {
            "projection": Field(enum("pinhole", "screen"), "pinhole",
                                "How source positions relate to pixels: `pinhole` (sources sit on their 3D "
                                "objects) or `screen` (seeds/000: behind the pixel on a screen at "
                                "`viewing_distance_m`, pushed back by depth x `depth_scale`)."),
            "hfov_deg": Field(num(1.0, 179.0), 60.0, "Horizontal field of view, degrees.", random=True),
            "position_m": Field(vec3, (0.0, 0.0, 0.0), "Camera centre in the head frame, metres."),
            "viewing_distance_m": Field(num(0.05, 10.0), 0.76, "Screen mode: listener-to-screen distance, m."),
            "pixels_per_inch": Field(num(1.0, 1000.0), 90.0, "Screen mode: screen pixel density."),
            "depth_scale": Field(num(0.0, 10.0), 0.5, "Screen mode: metres behind the screen per unit of "
                                 "depth (metric depth of the source pixel, metres)."),
            "min_pitch_deg": Field(num(-89.0, 89.0), -20.0, "Floor support (`objects.support`): the camera's "
                                   "lowest pitch, degrees (negative: looking up). The camera is tipped so that "
                                   "one object (drawn whatever its role), at its drawn pixel and size, rests on "
                                   "the floor "
                                   "(docs/support.md); where its drawn area would need a pitch outside "
                                   "[min_pitch_deg, max_pitch_deg] it is held at the depth the range allows if its "
                                   "size bin still holds there, else the layout is redrawn. The head (audio) stays "
                                   "level."),
            "max_pitch_deg": Field(num(-89.0, 89.0), 60.0, "Floor support: the camera's highest pitch, degrees "
                                   "(positive: looking down). It also bounds how near an object may rest on the "
                                   "floor, so which categories can fill which size bins (the plan's check)."),
        }),
        "listener": Section("The listener's head at the origin.", {
            "head": Field(enum(*HEADS.names()), "spaced",
                          "`spaced`: two omni ears at y = +-ear_spacing_m/2 (seeds/000's set-up); "
                          "`mono`: one omni receiver at the origin (one channel); `hrtf`: binaural through "
                          "a measured HRTF (`sofa`).", random=True),
            "ear_spacing_m": Field(num(0.05, 0.5), 0.17, "Interaural distance of the spaced head, m.", random=True),
            "sofa": Field(Kind("str"), "default", "HRTF of the `hrtf` head: `default` (bundled MIT KEMAR, "
                          "normal pinna) or a SimpleFreeFieldHRIR SOFA file."),
            "yaw_deg": Field(num(-180.0, 180.0), 0.0, "Head yaw relative to the camera, degrees (positive: "
                             "turned left).", random=True),
            "pitch_deg": Field(num(-90.0, 90.0), 0.0, "Head pitch, degrees (positive: tipped down).", random=True),
            "motion": _motion("How the listener's head centre moves (world frame: the head frame at t = 0; "
                              "kept 0.1 m inside the room).", listener=True),
            "turn": _turn(),
        }),
        "room": Section("The acoustic environment (docs/acoustics.md). Room axes are the head's; objects and "
                        "sources must lie inside the room.", {
            "type": Field(enum(*ROOM_KINDS.names()), "free_field",
                          "`free_field`: anechoic; `shoebox`: a box of `size_m`; `polyhedron`: `floor_plan` "
                          "extruded to `height_m`, or a closed `mesh` file.", random=True),
            "speed_of_sound_m_s": Field(num(300.0, 400.0), 343.0, "Speed of sound, m/s."),
            "size_m": Field(Kind("vec", size=3, low=1.0, high=200.0), {"uniform": [[4.0, 3.0, 2.5], [9.0, 7.0, 3.5]]},
                            "Shoebox size (Lx ahead, Ly, Lz), m.", random=True),
            "floor_plan": ListField(Kind("vec", size=2, low=-1000.0, high=1000.0), None,
                                    "Polyhedron: floor polygon [[x, y], ...] in metres (room coordinates).",
                                    min_items=3),
            "height_m": Field(num(1.5, 100.0), 3.0, "Polyhedron from a floor plan: height, m.", random=True),
            "mesh": Field(Kind("str"), None, "Polyhedron: a closed mesh file in room coordinates, metres.",
                          nullable=True),
            "listener_fraction": Field(Kind("vec", size=2, low=0.0, high=1.0),
                                       {"uniform": [[0.1, 0.3], [0.3, 0.7]]},
                                       "Listener x and y as fractions of the room's extent along x and y "
                                       "(x small: near the wall behind, looking into the room).", random=True),
            "listener_height_m": Field(num(0.3, 10.0), {"uniform": [1.2, 1.7]},
                                       "Height of the head centre above the floor, m.", random=True),
            "rt60_s": Field(num(0.05, 20.0), {"uniform": [0.2, 0.8]},
                            "Reverberation time asked for (every wall gets the absorption that gives it, "
                            "inverse Eyring); null to use `materials` instead.", random=True, nullable=True),
            "materials": MapField("Wall materials instead of `rt60_s`: `{wall name | walls | floor | ceiling | "
                                  "all: material}`, a material being a pyroomacoustics name, an absorption "
                                  "coefficient or a list per octave band (docs/acoustics.md)."),
            "max_order": Field(integer(0, 50), 6, "Image-source order of the early reflections."),
            "late": Field(enum("none", "stochastic", "raytrace"), "stochastic",
                          "Late reverberation: none, a binaural stochastic tail matched to the room's decay "
                          "(fast), or directional ray tracing."),
            "air_absorption": Field(Kind("bool"), False, "Frequency-dependent air absorption."),
            "occlusion": Field(Kind("bool"), False,
                               "Objects between a source and the head block its direct sound, which then "
                               "diffracts round them (per-band barrier loss, longer path; docs/acoustics.md)."),
            "noise_snr_db": Field(num(-20.0, 100.0), None, "Diffuse background noise at this SNR, dB (null: none).",
                                  random=True, nullable=True),
        }),
        "objects": Section("The objects in view.", {
            "categories": ListField(Kind("str"), None, "Categories that may appear (default: all in the library)."),
            "count": Field(integer(1, 50), {"int": [1, 4]},
                           "Objects in the image, the target included (one that cannot be placed is left "
                           "out or the layout redrawn: `unplaceable`).", random=True),
            "yaw_deg": Field(num(-360.0, 360.0), {"uniform": [-180.0, 180.0]},
                             "Object yaw about +z, degrees (0: the object's front faces +x, away from the camera).",
                             random=True),
            "min_distance_m": Field(num(0.1, 1000.0), 0.3, "No object's surface is closer to the head than this, m."),
            "max_distance_m": Field(num(0.5, 1000.0), 30.0, "No object is farther than this, m."),
            "max_occlusion": Field(num(0.0, 0.9), 0.25,
                                   "Largest fraction of any object's silhouette other objects may hide "
                                   "(the same rule for targets and distractors)."),
            "unplaceable": Field(enum("leave_out", "redraw"), "leave_out",
                                 "An object that cannot be placed (no free pixel for its size bin, or still hidden "
                                 "after the moves): `leave_out` drops it, so `count` is an upper bound and crowded counts "
                                 "come out rarer; `redraw` places the same objects again at fresh pixels (up to 6 "
                                 "times) and then redraws the sample, so the image holds `count` objects more often "
                                 "(about 40 % slower on the main job; docs/conditions.md)."),
            "support": Field(enum("auto", "floor", "free"), "auto",
                             "What holds the objects up: `floor` (each rests on the room's floor, upright, yaw "
                             "only; the camera at the head is tipped so that size bins and uniform pixels hold, "
                             "`camera.min_pitch_deg`/`max_pitch_deg`; docs/support.md), `free` (placed "
                             "by pixel and size alone, in mid-air if need be) or `auto`: `floor` in a bounded "
                             "room (shoebox, polyhedron) with the mesh raster and a pinhole camera, when every "
                             "condition and size bin can still be planned on the floor; `free` otherwise (free "
                             "field, screen projection, photos, depth objects, diffusion). "
                             "`floor` needs a bounded room; objects on the floor move horizontally only."),
            "motion": _motion("How each object moves, sounding or not (a source on an object moves with it, so "
                              "motion does not tell the sounding object apart): its centre translates, its "
                              "orientation is kept; it stays inside the room and no nearer the head than "
                              "`min_distance_m`."),
        }),
        "target": Section("The audio target (the object the sound comes from).", {
            "category": Field(Kind("str"), None, "Target category (default: uniform over objects.categories).",
                              random=True, nullable=True),
            "size_bin": Field(enum(*SIZE_BINS), {"choice": list(SIZE_BINS)},
                              "Mask-area bin of the target: size1 (0-5 %], size2 (5-15 %], size3 (15-30 %] "
                              "of the image. A choice is planned like `condition` (balanced within each condition).", random=True),
            "min_area_fraction": Field(num(0.0005, 0.05), 0.004,
                                       "Smallest target mask area (fraction of the image) aimed at in size1."),
            "position": Field(enum("uniform"), "uniform",
                              "Where object centres go: `uniform` over the image inside `margin`, the target's and "
                              "every other object's alike; an object that would collide with one placed before it (in a "
                              "random order) is redrawn, so in crowded scenes centres are uniform given the layout fits."),
            "margin": Field(num(0.0, 0.45), 0.1, "Fraction of width/height at each border kept free of object "
                            "centres (targets and the others)."),
        }),
        "conditions": Section("Options of the conditions (used only by samples of that condition).", {
            name: Section(rule.description, dict(rule.options)) for name, rule in RULES.items() if rule.options}),
        "negatives": Section("Negative audio added to every sample with an audio target (seeds/004's IS3+ protocol): "
                             "the same image paired with extra audio files.", {
            "silence": Field(Kind("bool"), False, "Also write the sample's silence (`<id>.neg_silence.<ext>`)."),
            "noise": Field(Kind("bool"), False, "Also write Gaussian noise at audio.noise_rms_db (`neg_noise`)."),
            "offscreen": Field(Kind("bool"), False, "Also write a clip of a category absent from the image, from "
                               "outside the field of view (conditions.offscreen.* draws its place) (`neg_offscreen`)."),
        }),
        "source": Section("The sound sources.", {
            "gain_db": Field(num(-60.0, 40.0), 0.0, "Source gain relative to the clip's normalised level at 1 m, dB.",
                             random=True),
            "motion": _motion("How each source that is not on an object moves (a point or an off-screen source; "
                              "a source on an object moves with its object, objects.motion); it stays inside the "
                              "room and no nearer the head than 0.3 m."),
            "activity": Section("When each source emits (docs/motion.md, onsets and offsets): the dry clip is "
                                "gated to one interval of the clip, with 5 ms raised-cosine ramps inside it.", {
                "kind": Field(enum("always", "gated"), "always", "`always` (the whole clip) or `gated` (from "
                              "`onset_s` for `active_s` seconds, cut at the clip's end), drawn per source.",
                              random=True),
                "onset_s": Field(num(0.0, 60.0), {"uniform": [0.0, 0.5]}, "gated: emission starts, seconds "
                                 "from the clip's start (kept 0.05 s before its end).", random=True),
                "active_s": Field(num(0.0, 60.0, ol=True), {"uniform": [0.5, 2.0]}, "gated: how long it "
                                  "emits, seconds (at least 0.05).", random=True),
            }),
        }),
        "background": Section("Image background (instance id 0, depth 0).", {
            "kind": Field(enum("color", "backdrop", "room"), "color",
                          "`color`: uniform colour; `backdrop`: a textured plane behind all objects filling the "
                          "view; `room`: the walls, floor and ceiling of the shoebox room (needs room.type "
                          "shoebox).", random=True),
            "color": Field(rgb, {"uniform": [[0.15, 0.15, 0.15], [0.85, 0.85, 0.85]]},
                           "Background colour (and backdrop tint), linear RGB in [0, 1].", random=True),
            "texture": Field(enum(*TEXTURES), {"choice": list(TEXTURES)},
                             "Backdrop or wall texture (procedural, seeded per sample).", random=True),
        }),
        "lighting": Section("Raster lighting.", {
            "key_azimuth_deg": Field(num(-180.0, 180.0), {"uniform": [-60.0, 60.0]},
                                     "Direction the key light comes from: azimuth, degrees.", random=True),
            "key_elevation_deg": Field(num(-90.0, 90.0), {"uniform": [20.0, 70.0]}, "... and elevation.",
                                       random=True),
            "key_intensity": Field(num(0.0, 100.0), {"uniform": [2.0, 4.0]}, "Key light intensity.", random=True),
            "ambient": Field(num(0.0, 1.0), {"uniform": [0.25, 0.45]}, "Ambient light level.", random=True),
        }),
        "library": Section("Asset libraries.", {
            "sounds": Field(Kind("str"), "default", "`default` (the embedded library), a folder, or an index file "
                            "(`.json`) written by `simulate assets import sounds` (docs/assets.md)."),
            "meshes": Field(Kind("str"), "default", "`default` (the embedded library), a folder, or an index file "
                            "(`.json`) written by `simulate assets import meshes` (docs/assets.md)."),
            "split": Section("Held-out assets (docs/assets.md, held-out splits): each clip, mesh and photo is dealt to "
                             "train, val or test by a stable hash, per category, and the dataset draws only from "
                             "the share `use` names, so datasets of different shares have no asset in common.", {
                "use": Field(enum(*ASSET_SPLITS), None, "The share this dataset draws its assets from: `train`, "
                             "`val` or `test`; null: every asset (no split).", nullable=True),
                "fractions": Section("Each share's part of every category's assets (they sum to 1). Counts are "
                                     "largest-remainder shares of each category's assets, raised to one for a share "
                                     "of non-zero fraction (a category with fewer assets than such shares is an "
                                     "error).", {
                    name: Field(num(0.0, 1.0), default, f"Fraction of the assets dealt to `{name}`.")
                    for name, default in zip(ASSET_SPLITS, (0.8, 0.1, 0.1))}),
                "salt": Field(Kind("str"), "", "Mixed into every asset's hash: another salt deals the assets anew."),
                "sounds": Field(Kind("bool"), True, "Split the clips (false: every split uses every clip)."),
                "meshes": Field(Kind("bool"), True, "Split the meshes (false: every split uses every mesh; the "
                                "default library has one mesh of some categories)."),
                "photos": Field(Kind("bool"), True, "Split the photos of `image.renderer: photos` (one pool, by "
                                "file name: a photo shows several categories)."),
            }),
        }),
        "output": Section("Where and what to write.", {
            "dir": Field(Kind("str"), None, "Output folder (default: out/<name>).", nullable=True),
            "format": Field(enum(*SINKS.names()), "folder",
                            "How the dataset is stored: `folder` (files per sample, manifest, COCO export; "
                            "docs/dataset-format.md) or `webdataset` (tar shards of the same files in "
                            "`<output.dir>/shards/`, manifest, dataset.json and COCO export beside them; "
                            "docs/scale.md, WebDataset shards)."),
            "shard_samples": Field(integer(1, 1_000_000), 1000,
                                   "webdataset: samples per shard (a shard closes when it holds this many)."),
            "shard_mb": Field(num(0.0, 1_000_000.0, ol=True), None,
                              "webdataset: largest shard, megabytes (10^6 bytes): a shard also closes when the next "
                              "sample would take its tar past this size (a sample larger than it alone gets a shard "
                              "of its own). Default: no size limit.", nullable=True),
            "depth": Field(Kind("bool"), False, "Also write depth (16-bit PNG, millimetres)."),
            "stems": Field(Kind("bool"), False, "Also write each source rendered alone."),
            "rirs": Field(Kind("bool"), False, "Also write the source-to-ear impulse responses (.npz)."),
            "coco": Field(Kind("bool"), True, "Write a COCO-format export (annotations.coco.json)."),
        }),
        "video": Section("A short clip instead of a still (docs/video.md): frames at `fps` of the moving scene "
                         "(frame k at t = k / fps), an H.264 MP4 (needs the `video` extra), per-frame instance ids, "
                         "masks and labels, a DCASE SELD-style CSV, and audio rendered along the trajectories. "
                         "Needs the mesh image renderer and a pinhole camera.", {
            "fps": Field(num(0.1, 120.0), None, "Frames per second; null: stills (no clip).", nullable=True),
            "duration_s": Field(num(0.0, 60.0, ol=True), None, "Clip length, seconds (at most `audio.duration`; "
                                "default: `audio.duration`).", nullable=True),
            "depth": Field(Kind("bool"), False, "Also write each frame's depth (16-bit PNG strip, millimetres)."),
        }),
        "sweep": MapField("Grid of sub-datasets for ablations: `{key.path: [v1, v2], ...}`. Each combination "
                          "becomes a sub-dataset in `<output.dir>/<key>=<value>,.../` with its own resolved spec."),
    })
