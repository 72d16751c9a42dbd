"""``simulate study DIR --out RESULTS``: serve the human localization study of seeds/000 on
127.0.0.1 with the standard library's HTTP server, and record the clicks in RESULTS.

    simulate study DIR --out RESULTS [--port P] [--participant ID] [--trials N] [--practice K]
                   [--seed S] [--screening antiphase|none] [--viewing-distance-m D] [--screen-ppi P]
                   [--time-limit-s T] [--fixation-ms F] [--break-every B]

The server answers only on 127.0.0.1 (nothing leaves the machine); it reads the dataset and never
writes into it. It prints one line with the page's address and runs until interrupted (Ctrl-C,
exit status 0). Bad input (DIR not a folder dataset, RESULTS existing and not a results file of
this tool or of another dataset or study seed, a bad port or one in use, bad counts): one line
naming the path or key on stderr, exit status 2, nothing written.

HTTP interface (JSON unless said otherwise; ``participant`` a query parameter or a body field):

* ``GET /`` the page (:mod:`.pages`); ``GET /api/state`` where a participant is (phase ``setup``,
  ``screening``, ``practice``, ``trial``, ``done`` or ``excluded``) and what to show next;
* ``POST /api/start`` (consent and set-up), ``POST /api/screening`` (one screening answer),
  ``POST /api/response`` (one trial's click or time-out): each answers the new state; a request
  that does not fit the participant's state is refused with status 409 and changes nothing;
* ``GET /media/ID/image`` and ``GET /media/ID/audio``: a study sample's files (only samples of
  the study); ``GET /screening/calibration.wav`` and ``GET /screening/PARTICIPANT/K.wav``: the
  screening sounds (:mod:`.screening`).
"""
from __future__ import annotations

import json
import math
import mimetypes
import re
import signal
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from ..cli_parser import ArgumentParser
from ..record_files import BadFile, read_record
from . import geometry as G
from .pages import page
from .plan import PlanError, Stimulus, load_stimuli, participant_order, read_camera, record_screen, study_samples
from .results import FORMAT, VERSION, ResultsError, ResultsFile, check_place, manifest_sha256, now_iso
from .screening import SCREENINGS, Screening, calibration_noise, triplet, wav_bytes

PARTICIPANT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DEFAULT_PORT = 8765
#: seeds/000: "click ... within 20 seconds", a 500 ms fixation cross.
TIME_LIMIT_S = 20.0
FIXATION_MS = 500
FEEDBACK_MS = 1500
BREAK_EVERY = 60
#: A rough trial length (s) for the consent page's estimate of the study's duration.
SECONDS_PER_TRIAL = 6.0
MAX_BODY = 1 << 16


class Conflict(Exception):
    """A request that does not fit the participant's state (HTTP 409)."""


class BadRequest(Exception):
    """A malformed request (HTTP 400)."""


@dataclass
class Participant:
    """A participant's plan and progress, rebuilt from the results file at start."""

    id: str
    session: dict[str, Any]
    practice: list[Stimulus]
    trials: list[Stimulus]
    screening_orders: list[str]
    screening: dict[str, Any] | None = None
    answers: list[tuple[int, float]] = field(default_factory=list)   # screening answers so far (memory)
    done_practice: int = 0
    done_trials: int = 0

    @property
    def setup(self) -> G.ParticipantSetup:
        return G.ParticipantSetup.from_json(self.session["setup"])


class Study:
    """The study's state: dataset, settings, results file and participants (thread-safe)."""

    def __init__(self, root: Path, results: ResultsFile, settings: dict[str, Any], stimuli: list[Stimulus],
                 default_setup: G.ParticipantSetup, participant: str | None):
        self.root = root
        self.results = results
        self.settings = settings
        self.screening: Screening = SCREENINGS[settings["screening"]]
        self.default_setup = default_setup
        self.participant = participant
        self.practice, self.main = study_samples(stimuli, settings["seed"], settings["practice"], settings["trials"])
        self.by_id = {s.id: s for s in self.practice + self.main}
        self.cameras = {s.id: read_camera(root, s) for s in self.practice + self.main}
        self.lock = threading.RLock()
        self.participants: dict[str, Participant] = {}
        self._replay(results.lines)

    # -- state ------------------------------------------------------------------------------
    def _new_participant(self, pid: str, session: dict[str, Any]) -> Participant:
        seed = self.settings["seed"]
        return Participant(pid, session, participant_order(self.practice, seed, pid, 1),
                           participant_order(self.main, seed, pid, 2), self.screening.trials(seed, pid))

    def _replay(self, lines: list[dict[str, Any]]) -> None:
        for obj in lines[1:]:
            pid = obj.get("participant")
            if obj.get("kind") == "session":
                self.participants[pid] = self._new_participant(pid, obj)
            elif pid in self.participants:
                p = self.participants[pid]
                if obj.get("kind") == "screening":
                    p.screening = obj["outcome"]
                elif obj.get("kind") == "trial":
                    if obj.get("practice"):
                        p.done_practice += 1
                    else:
                        p.done_trials += 1

    def phase(self, p: Participant | None) -> str:
        if p is None:
            return "setup"
        if p.screening_orders and p.screening is None:
            return "screening"
        if p.screening is not None and not p.screening["passed"]:
            return "excluded"
        if p.done_practice < len(p.practice):
            return "practice"
        if p.done_trials < len(p.trials):
            return "trial"
        return "done"

    def display(self, stim: Stimulus, setup: G.ParticipantSetup) -> dict[str, Any]:
        return G.display(self.cameras[stim.id], record_screen(self.cameras[stim.id]), setup)

    def state(self, pid: str) -> dict[str, Any]:
        with self.lock:
            p = self.participants.get(pid)
            phase = self.phase(p)
            out: dict[str, Any] = {"participant": pid, "phase": phase}
            if phase == "setup":
                first = self.practice[0] if self.practice else self.main[0]
                distance, _ = record_screen(self.cameras[first.id])
                out["setup"] = {**self.default_setup.to_json(), "default_viewing_distance_m": round(distance, 3)}
                n = len(self.practice) + len(self.main)
                out["minutes"] = max(1, math.ceil((n * SECONDS_PER_TRIAL + 120) / 60))
            elif phase == "screening":
                k = len(p.answers)
                out["screening"] = {"k": k, "of": len(p.screening_orders),
                                    "wav": f"/screening/{pid}/{k}.wav"}
            elif phase in ("practice", "trial"):
                practice = phase == "practice"
                n = p.done_practice if practice else p.done_trials
                stims = p.practice if practice else p.trials
                stim = stims[n]
                every = self.settings["break_every"]
                out["trial"] = {"n": n, "of": len(stims), "sample_id": stim.id,
                                "image": f"/media/{stim.id}/image", "audio": f"/media/{stim.id}/audio",
                                "display": self.display(stim, p.setup),
                                "break_before": (not practice) and n > 0 and every > 0 and n % every == 0}
            return out

    # -- actions ----------------------------------------------------------------------------
    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        pid = _participant(body)
        with self.lock:
            if pid in self.participants:
                return self.state(pid)
            if body.get("consent") is not True:
                raise BadRequest("consent: the participant has not agreed")
            try:
                setup = G.check_setup(body.get("viewing_distance_m"), body.get("screen_ppi", G.CSS_PX_PER_INCH))
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            t = now_iso()
            probe = self._new_participant(pid, {})
            session = {"kind": "session", "participant": pid, "setup": setup.to_json(),
                       "screening": self.screening.name, "practice": [s.id for s in probe.practice],
                       "trials": [s.id for s in probe.trials], "settings": self.settings, "t": t}
            self.results.append(session, {"kind": "consent", "participant": pid, "t": t})
            self.participants[pid] = self._new_participant(pid, session)
            return self.state(pid)

    def screening_answer(self, body: dict[str, Any]) -> dict[str, Any]:
        pid = _participant(body)
        with self.lock:
            p = self.participants.get(pid)
            if self.phase(p) != "screening":
                raise Conflict(f"participant {pid} is not in the headphone screening")
            k, answer, rt = body.get("k"), body.get("answer"), _number(body.get("rt_ms"), "rt_ms")
            if k != len(p.answers):
                raise Conflict(f"k: screening trial {len(p.answers)} is next, not {k!r}")
            if answer not in (1, 2, 3):
                raise BadRequest("answer: 1, 2 or 3")
            p.answers.append((answer, rt))
            if len(p.answers) == len(p.screening_orders):
                outcome = self.screening.outcome(p.screening_orders, [a for a, _ in p.answers],
                                                 [r for _, r in p.answers])
                self.results.append({"kind": "screening", "participant": pid, "outcome": outcome, "t": now_iso()})
                p.screening = outcome
            return self.state(pid)

    def response(self, body: dict[str, Any]) -> dict[str, Any]:
        pid = _participant(body)
        with self.lock:
            p = self.participants.get(pid)
            phase = self.phase(p)
            if phase not in ("practice", "trial") or body.get("phase") != phase:
                raise Conflict(f"participant {pid} is in phase {phase}, not {body.get('phase')!r}")
            practice = phase == "practice"
            n = p.done_practice if practice else p.done_trials
            stim = (p.practice if practice else p.trials)[n]
            if body.get("n") != n or body.get("sample_id") != stim.id:
                raise Conflict(f"n: trial {n} (sample {stim.id}) is next, not {body.get('n')!r}")
            shown = body.get("shown") if isinstance(body.get("shown"), dict) else {}
            disp = self.display(stim, p.setup)
            click = body.get("click_px")
            if click is not None:
                if not (isinstance(click, list) and len(click) == 2):
                    raise BadRequest("click_px: [u, v] in image pixels, or null for a time-out")
                u, v = _number(click[0], "click_px"), _number(click[1], "click_px")
                if not (0 <= u <= disp["width_px"] and 0 <= v <= disp["height_px"]):
                    raise BadRequest(f"click_px: {click} is outside the {disp['width_px']} x {disp['height_px']} image")
                click = [u, v]
            rt = None if click is None else _number(body.get("rt_ms"), "rt_ms")
            css_w = _number(shown.get("css_width"), "shown.css_width")
            css_h = _number(shown.get("css_height"), "shown.css_height")
            if css_w <= 0 or css_h <= 0:
                raise BadRequest("shown.css_width: the image was not shown")
            geometry = {"width_px": disp["width_px"], "height_px": disp["height_px"],
                        "viewing_distance_m": disp["viewing_distance_m"], "screen_ppi": disp["screen_ppi"],
                        "image_ppi": disp["image_ppi"], "planned_css_width": disp["css_width"],
                        "shown_css_width": css_w, "shown_css_height": css_h,
                        "device_pixel_ratio": _optional_number(shown.get("device_pixel_ratio")),
                        "window_css": _pair(shown.get("window_css")), "screen_css": _pair(shown.get("screen_css"))}
            distance, shown_ppi = G.shown_screen(geometry)
            geometry["shown_hfov_deg"] = math.degrees(2 * math.atan(0.5 * disp["width_px"] / shown_ppi * 0.0254 / distance))
            scr = p.screening
            line = {"kind": "trial", "participant": pid, "practice": practice, "trial": n, "sample_id": stim.id,
                    "index": stim.index, "condition": stim.condition, "size_bin": stim.size_bin,
                    "category": stim.category, "click_px": click, "rt_ms": rt, "timed_out": click is None,
                    "screening": {"test": self.screening.name, "passed": None if scr is None else scr["passed"],
                                  "correct": None if scr is None else scr["correct"],
                                  "of": None if scr is None else scr["of"]},
                    "geometry": geometry, "t": now_iso()}
            self.results.append(line)
            if practice:
                p.done_practice += 1
            else:
                p.done_trials += 1
            out = self.state(pid)
            if practice:
                out["feedback"] = self.feedback(stim, click)
            return out

    def feedback(self, stim: Stimulus, click: list[float] | None) -> dict[str, Any]:
        """Practice feedback: the audio target's pixel and whether the click hit its mask."""
        from ..core.masks import decode_rle

        try:
            rec = read_record(self.root / stim.record)
            target = (rec.get("targets") or {}).get("audio") or []
            target = target[0] if target else {}
            obj = next((o for o in rec.get("objects") or [] if o.get("id") == target.get("object_id")), None)
            hit = None
            if click is not None and obj is not None and isinstance(obj.get("mask"), dict):
                mask = decode_rle(obj["mask"])
                r, c = int(click[1]), int(click[0])
                hit = bool(mask[min(r, mask.shape[0] - 1), min(c, mask.shape[1] - 1)])
            return {"target_px": target.get("pixel"), "hit": hit}
        except (BadFile, KeyError, TypeError, ValueError, AttributeError):
            return {"target_px": None, "hit": None}

    def page_config(self) -> dict[str, Any]:
        """What the page needs before its first request (:func:`simulator.study.pages.page`)."""
        return {"participant": self.participant or "", "time_limit_s": self.settings["time_limit_s"],
                "fixation_ms": self.settings["fixation_ms"], "feedback_ms": FEEDBACK_MS}

    # -- files ------------------------------------------------------------------------------
    def media(self, sample_id: str, what: str) -> tuple[bytes, str]:
        stim = self.by_id.get(sample_id)
        if stim is None or what not in ("image", "audio"):
            raise KeyError(sample_id)
        path = self.root / (stim.image if what == "image" else stim.audio)
        ctype = {".flac": "audio/flac", ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}.get(
            path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return path.read_bytes(), ctype

    def screening_wav(self, pid: str, k: int) -> bytes:
        with self.lock:
            p = self.participants.get(pid)
            if p is None or not (0 <= k < len(p.screening_orders)):
                raise KeyError(k)
            return wav_bytes(triplet(p.screening_orders[k]))


def _participant(body: dict[str, Any]) -> str:
    pid = body.get("participant")
    if not isinstance(pid, str) or not PARTICIPANT_ID.match(pid):
        raise BadRequest("participant: letters, digits, dot, dash and underscore (1 to 64)")
    return pid


def _number(x: Any, key: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise BadRequest(f"{key}: not a number") from None
    if not math.isfinite(v) or v < 0:
        raise BadRequest(f"{key}: not a finite number >= 0")
    return v


def _optional_number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


def _pair(x: Any) -> list[float] | None:
    if isinstance(x, list) and len(x) == 2 and all(isinstance(t, (int, float)) and math.isfinite(t) for t in x):
        return [float(x[0]), float(x[1])]
    return None


class Handler(BaseHTTPRequestHandler):
    """The study's HTTP handler; ``server.study`` is the :class:`Study`."""

    server_version = "avsim-study/1"

    def log_message(self, format: str, *args: Any) -> None:   # quiet: the terminal shows the one address line
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def do_GET(self) -> None:   # noqa: N802 (http.server's name)
        study: Study = self.server.study   # type: ignore[attr-defined]
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            if not parts:
                self._send(200, page(study.page_config()).encode(), "text/html; charset=utf-8")
            elif parts == ["api", "state"]:
                pid = _participant({"participant": (parse_qs(url.query).get("participant") or [""])[0]})
                self._json(200, study.state(pid))
            elif len(parts) == 3 and parts[0] == "media":
                body, ctype = study.media(parts[1], parts[2])
                self._send(200, body, ctype)
            elif parts == ["screening", "calibration.wav"]:
                self._send(200, wav_bytes(calibration_noise(study.settings["seed"])), "audio/wav")
            elif len(parts) == 3 and parts[0] == "screening" and re.fullmatch(r"\d{1,2}\.wav", parts[2]):
                self._send(200, study.screening_wav(parts[1], int(parts[2][:-4])), "audio/wav")
            elif parts == ["favicon.ico"]:
                self._send(204, b"", "image/x-icon")
            else:
                self._json(404, {"error": f"{url.path}: not found"})
        except KeyError:
            self._json(404, {"error": f"{url.path}: not found"})
        except BadRequest as exc:
            self._json(400, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_HEAD = do_GET

    def do_POST(self) -> None:   # noqa: N802
        study: Study = self.server.study   # type: ignore[attr-defined]
        actions = {"/api/start": study.start, "/api/screening": study.screening_answer,
                   "/api/response": study.response}
        action = actions.get(urlsplit(self.path).path)
        try:
            if action is None:
                self._json(404, {"error": f"{self.path}: not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                raise BadRequest("body: a JSON object of at most 64 kB")
            try:
                body = json.loads(self.rfile.read(length))
            except (ValueError, RecursionError):
                raise BadRequest("body: not JSON") from None
            if not isinstance(body, dict):
                raise BadRequest("body: not a JSON object")
            self._json(200, action(body))
        except BadRequest as exc:
            self._json(400, {"error": str(exc)})
        except Conflict as exc:
            self._json(HTTPStatus.CONFLICT, {"error": str(exc)})
        except OSError as exc:   # the results file could not be written: say so, keep serving
            self._json(500, {"error": f"{study.results.path}: cannot be written ({exc.strerror or exc})"})


# -- the command --------------------------------------------------------------------------------

class StudyInputError(Exception):
    """Bad input: exit status 2 with one line."""


def _settings(args: Any, header: dict[str, Any] | None) -> dict[str, Any]:
    """The study-wide settings: from the command line, or for an existing results file from its
    header (an option given with another value than the file's is refused, naming it)."""
    given = {"seed": args.seed, "practice": args.practice, "trials": args.trials, "screening": args.screening,
             "time_limit_s": args.time_limit_s, "fixation_ms": args.fixation_ms, "break_every": args.break_every}
    defaults = {"seed": 0, "practice": 3, "trials": None, "screening": "antiphase", "time_limit_s": TIME_LIMIT_S,
                "fixation_ms": FIXATION_MS, "break_every": BREAK_EVERY}
    if header is None:
        return {k: defaults[k] if v is None else v for k, v in given.items()}
    stored = header.get("study") or {}
    for k, v in given.items():
        if v is not None and k in stored and stored[k] != v:
            raise StudyInputError(f"--{k.replace('_', '-')} {v}: {args.out} was started with {stored[k]!r}; "
                                  "use the same value (or another results file)")
    return {k: stored.get(k, defaults[k]) for k in given}


def _check_settings(s: dict[str, Any]) -> None:
    if not (isinstance(s["seed"], int) and s["seed"] >= 0):
        raise StudyInputError("--seed: a whole number >= 0")
    if s["screening"] not in SCREENINGS:
        raise StudyInputError(f"--screening {s['screening']}: one of {', '.join(SCREENINGS)}")
    if not (isinstance(s["time_limit_s"], (int, float)) and 1 <= s["time_limit_s"] <= 600):
        raise StudyInputError("--time-limit-s: between 1 and 600 seconds")
    if not (isinstance(s["fixation_ms"], int) and 0 <= s["fixation_ms"] <= 10000):
        raise StudyInputError("--fixation-ms: between 0 and 10000")
    if not (isinstance(s["break_every"], int) and s["break_every"] >= 0):
        raise StudyInputError("--break-every: a whole number >= 0 (0: no breaks)")


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(prog="simulate study", description="The human sound-localization study of seeds/000 as a "
                        "local web page (127.0.0.1 only); clicks recorded as JSON lines in RESULTS.")
    ap.add_argument("dataset", help="dataset folder (folder format)")
    ap.add_argument("--out", required=True, metavar="RESULTS",
                    help="results file (JSON lines); an existing one of this tool is resumed, never overwritten")
    ap.add_argument("--port", default=str(DEFAULT_PORT),
                    help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port)")
    ap.add_argument("--participant", help="participant id (letters, digits, . - _); default: asked by the page")
    ap.add_argument("--trials", type=int, help="main trials per participant (default: every sample left after practice)")
    ap.add_argument("--practice", type=int, help="practice trials (default 3)")
    ap.add_argument("--seed", type=int, help="seed of the sample draw and of each participant's order (default 0)")
    ap.add_argument("--screening", help=f"headphone screening: {', '.join(SCREENINGS)} (default antiphase)")
    ap.add_argument("--viewing-distance-m", help="participant's viewing distance in metres (default: the records' "
                    "screen, 0.76 m as in seeds/000); the set-up page can change it")
    ap.add_argument("--screen-ppi", default=str(G.CSS_PX_PER_INCH),
                    help="CSS pixels per physical inch of the participant's display (default 96); the set-up page "
                    "shows a ruler to check it")
    ap.add_argument("--time-limit-s", type=float, help=f"seconds to respond (default {TIME_LIMIT_S:g}, seeds/000)")
    ap.add_argument("--fixation-ms", type=int, help=f"fixation cross before each trial (default {FIXATION_MS})")
    ap.add_argument("--break-every", type=int, help=f"a break every B main trials (default {BREAK_EVERY}; 0: none)")
    ap.add_argument("--quiet", action="store_true", help="no address line")
    return ap


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise StudyInputError(f"--port {text}: not a port number") from None
    if not 0 <= port <= 65535:
        raise StudyInputError(f"--port {text}: not between 0 and 65535")
    return port


def prepare(args: Any) -> tuple[Study, ThreadingHTTPServer]:
    """Check every input, bind the port and open RESULTS; StudyInputError (or PlanError,
    ResultsError) before anything is written."""
    root = Path(args.dataset)
    port = _port(args.port)
    if args.participant is not None and not PARTICIPANT_ID.match(args.participant):
        raise StudyInputError(f"--participant {args.participant}: letters, digits, dot, dash and underscore (1 to 64)")
    try:
        default_setup = G.check_setup(args.viewing_distance_m, args.screen_ppi)
    except ValueError as exc:
        key = str(exc).split(":")[0].replace("_", "-")
        raise StudyInputError(f"--{key}{str(exc)[len(key):]}") from None
    info, stimuli = load_stimuli(root)
    out = Path(args.out)
    lines = check_place(out, root)
    sha = manifest_sha256(root)
    header = lines[0] if lines else None
    if header is not None and (header.get("dataset") or {}).get("manifest_sha256") != sha:
        raise ResultsError(f"{out}: holds the results of another dataset "
                           f"({(header.get('dataset') or {}).get('path')}), not of {root}")
    settings = _settings(args, header)
    _check_settings(settings)
    results = ResultsFile(out, lines or [])
    study = Study(root, results, settings, stimuli, default_setup, args.participant)   # may raise PlanError
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        raise StudyInputError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})") from None
    httpd.daemon_threads = True
    httpd.study = study   # type: ignore[attr-defined]
    try:
        results.acquire()
        if header is None:
            results.append({"kind": "header", "format": FORMAT, "version": VERSION,
                            "dataset": {"path": str(Path(root).resolve()), "name": info.get("name"),
                                        "manifest_sha256": sha, "samples": len(stimuli)},
                            "study": settings, "created": now_iso()})
    except BaseException:
        httpd.server_close()
        raise
    return study, httpd


def main(argv: Sequence[str] | None = None) -> int:
    """``simulate study``: 0 after an interrupt, 2 bad input, 1 the results file cannot be written."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        study, httpd = prepare(args)
    except (StudyInputError, PlanError, ResultsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {args.out}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return 1
    host, port = httpd.server_address[:2]
    query = f"?participant={study.participant}" if study.participant else ""
    if not args.quiet:
        print(f"study: http://{host}:{port}/{query}  ({len(study.practice)} practice + {len(study.main)} trials, "
              f"screening {study.screening.name}; results -> {study.results.path}; Ctrl-C stops)", flush=True)
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        study.results.release()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
