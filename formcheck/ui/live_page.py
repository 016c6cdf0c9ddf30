"""Live self-check with the webcam (streamlit-webrtc): overlay, metrics, sets, pain check.

:func:`live_view` (camera, live panel, sets) is shared by the live page and the clinic's
screening section; each caller decides what happens with a finished set.
"""

from __future__ import annotations

import html
import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import av
import numpy as np
import streamlit as st
import streamlit.components.v1 as components
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from .. import browser_live
from ..analysis import session_warnings
from ..i18n import fault_text, text
from ..live import LiveSession, LiveState, Measured, MeasureKey
from ..pose import PoseEstimator, PoseFrame
from ..protocol import ExerciseSpec, PatientSettings, apply_overrides, default_programme
from . import safety
from .common import Choices

log = logging.getLogger(__name__)
REFRESH_S = 0.5
LOST_AFTER_S = 3.0     # no frame for this long while playing: the camera was lost
NO_FRAMES_AFTER_S = 8.0
MAX_GAP_S = 1.0        # longer gaps between frames do not count as time watched
VOICES = {"nl": "nl-NL", "en": "en-GB"}
# Fewer analysed frames a second cannot follow a repetition: the page says so. Measured on
# the rendered hip-abduction clip's landmarks, thinned: counts and faults right down to 3.75
# frames/s, spurious faults at 3, nothing counted at 2 (the 2 fps set that said nothing).
MIN_JUDGE_FPS = 6.0
WARMUP_FRAMES = 30     # the frame rate is judged after this many frames
MODES = ("browser", "server")
IFRAME_PX = 480        # the in-browser camera view: a 4:3 picture and its status lines
# Texts the in-browser page shows (its overlay and status line), sent when its socket opens.
BROWSER_TEXTS = {k: f"app.{k}" for k in ("mode_running_browser", "too_slow", "browser_loading",
                                         "browser_failed", "browser_no_runtime", "socket_lost")}
BROWSER_TEXTS |= {k: f"ui.{k}" for k in ("reps", "set", "hold", "good")}
BROWSER_TEXTS["camera_denied"] = "live.camera_denied"


def patient_spec(exercise: str, settings: PatientSettings) -> ExerciseSpec:
    """``exercise`` with the patient's own limits (``settings.overrides``)."""
    return apply_overrides(default_programme().exercise(exercise),
                           settings.overrides.get(exercise))


@dataclass(frozen=True)
class LiveSetup:
    """What one live view runs: its state namespace ``key``, the exercise, who, the dosage."""

    key: str
    exercise: str
    settings: PatientSettings
    lang: str
    goal: int      # repetitions per set
    sets: int

    @classmethod
    def from_choices(cls, ch: Choices, key: str = "live") -> LiveSetup:
        """The live page's setup from the sidebar."""
        return cls(key, ch.exercise, ch.settings, ch.lang, ch.reps_per_set, ch.sets)

    def t(self, key: str, **values: Any) -> str:
        """The app text ``app.<key>`` in the chosen language."""
        return text(f"app.{key}", self.lang, **values)

    def k(self, name: str) -> str:
        """The ``st.session_state`` key of ``name`` in this view."""
        return f"{self.key}_{name}"

    @property
    def spec(self) -> ExerciseSpec:
        """The exercise with the patient's own limits."""
        return patient_spec(self.exercise, self.settings)

    def fault(self, code: str) -> str:
        """A fault code as the sentence the patient reads."""
        return fault_text(code, self.spec, self.lang)


@dataclass(frozen=True)
class Mark:
    """The stream counters at a set boundary (what a set saw is the difference of two)."""

    frames: int = 0
    detected: int = 0
    watched_s: float = 0.0
    wrong_leg: int = 0


class _CountingEstimator:
    """The pose model, counting the frames with a person in them for the holder."""

    def __init__(self, holder: StreamHolder) -> None:
        self._inner = PoseEstimator(count_people_every_s=None)
        self._holder = holder

    def detect(self, rgb: np.ndarray, t: float) -> PoseFrame | None:
        frame = self._inner.detect(rgb, t)
        if frame is not None:
            self._holder.detected += 1
        return frame

    def close(self) -> None:
        self._inner.close()


class StreamHolder:
    """One :class:`LiveSession` per camera stream, shared by the WebRTC thread and the page.

    Reps of ended streams are kept in :attr:`kept`, so nothing counted is lost
    when the camera stops or drops out. Frames, frames with a person, seconds watched and
    wrong-leg movements are counted over all streams (see :meth:`mark`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: tuple[str, PatientSettings, str, int] | None = None
        self._live: LiveSession | None = None
        self._t0 = 0.0
        self._prev_t: float | None = None
        self._seen_events = 0
        self.kept: list[dict[str, Any]] = []
        self.set_ends: list[dict[str, Any]] = []
        self.frames = 0
        self.detected = 0
        self.watched_s = 0.0
        self.wrong_leg: list[tuple[float, float]] = []
        self.view = "unknown"
        self.unchecked: tuple[str, ...] = ()
        self.camera_roll_deg: float | None = None  # the live session's, when it turned frames
        self.last_frame_at = 0.0
        self.failed = False
        self.streaming = False     # a browser's landmark socket is open
        self._live_model = False   # the running session finds poses itself (server mode)
        self.boundary = 0          # the page's set boundary (index into reps()), for the overlay
        self.sets_closed = 0

    @property
    def exercise(self) -> str | None:
        """The exercise configured last."""
        return self._config[0] if self._config else None

    @property
    def settings(self) -> PatientSettings | None:
        """The patient settings configured last."""
        return self._config[1] if self._config else None

    def configure(self, exercise: str, settings: PatientSettings, lang: str, goal: int) -> None:
        """Use these settings; a change ends the current session (its reps are kept)."""
        config = (exercise, settings, lang, goal)
        with self._lock:
            if config != self._config:
                self._end_locked()
                if self._config is not None and config[:2] != self._config[:2]:
                    self.view, self.unchecked = "unknown", ()
                    self.camera_roll_deg = None
                self._config = config

    def process(self, rgb: np.ndarray, t: float) -> np.ndarray:
        """Analyse one frame (WebRTC thread); returns it annotated."""
        with self._lock:
            live = self._live_locked(t, model=True)
            if live is None:
                return rgb
            out = live.process(rgb, t - self._t0)
            self._after_frame_locked(t)
            return out

    def process_pose(self, frame: PoseFrame | None, t: float) -> dict[str, Any]:
        """Advance on landmarks found in the patient's browser; the state its overlay shows."""
        return self.process_poses([(frame, t)])

    def process_poses(self, frames: list[tuple[PoseFrame | None, float]],
                      measured: Measured | None = None) -> dict[str, Any]:
        """:meth:`process_pose` on frames that arrived together (in order); the state after.

        ``measured``: their measures taken together with other streams' (see
        :meth:`measure_key`).
        """
        with self._lock:
            live = self._live_locked(frames[0][1], model=False)
            if live is None:
                return {"phase": "off"}
            self.detected += sum(frame is not None for frame, _ in frames)
            snap = live.process_poses([(frame, t - self._t0) for frame, t in frames], measured)
            for _, t in frames:
                self._after_frame_locked(t)
            count, set_no = self._shown_counts_locked()
            return {"phase": snap.phase, "count": count, "set": set_no, "goal": self.goal,
                    "hold_s": round(snap.hold_s, 2), "message": snap.message,
                    "fault": snap.message_is_fault, "fps": round(snap.fps, 1),
                    "frames": self.frames}

    def measure_key(self) -> MeasureKey | None:
        """The running browser stream's :meth:`LiveSession.measure_key` (None: none yet)."""
        with self._lock:
            live = self._live
            return live.measure_key() if live is not None and not self._live_model else None

    def start_stream(self) -> dict[str, Any]:
        """A browser's landmark socket opened: what its page needs once."""
        from ..pose import SKELETON_EDGES

        with self._lock:
            if self._config is None:
                return {}
            exercise, settings, lang, goal = self._config
            spec = patient_spec(exercise, settings)
            self.last_frame_at = time.monotonic()
            self.streaming = True
            return {"title": spec.title(lang), "goal": goal, "hold_required": spec.hold_s,
                    "side": settings.side, "edges": SKELETON_EDGES, "lang": lang,
                    "min_fps": MIN_JUDGE_FPS,
                    "texts": {k: text(key, lang) for k, key in BROWSER_TEXTS.items()}}

    def _live_locked(self, t: float, model: bool) -> LiveSession | None:
        """The running session (started at ``t``; ``model``: it finds poses in images)."""
        if self._config is None:
            return None
        if self._live is not None and self._live_model != model:
            self._end_locked()      # the other mode's stream ends; its reps are kept
        if self._live is None:
            self._live_model = model
            exercise, settings, lang, goal = self._config
            estimator = _CountingEstimator(self) if model else None
            self._live = LiveSession(exercise, settings, lang, goal=goal, estimator=estimator)
            self._live.shown_counts = self._shown_counts_locked
            self._t0, self._seen_events, self._prev_t = t, 0, None
        return self._live

    def _after_frame_locked(self, t: float) -> None:
        live = self._live
        assert live is not None
        new = live.all_events[self._seen_events:]
        self._seen_events += len(new)
        self.set_ends.extend(e.data for e in new if e.kind == "set_ended")
        self.wrong_leg.extend((e.data["start_s"], e.data["end_s"])
                              for e in new if e.kind == "wrong_leg")
        if self._prev_t is not None and 0 < t - self._prev_t <= MAX_GAP_S:
            self.watched_s += t - self._prev_t
        self._prev_t = t
        if live.state.view != "unknown":
            self.view = live.state.view
        if live.session is not None:
            self.unchecked = tuple(live.session.unchecked)
            self.camera_roll_deg = live.camera_roll_deg
        self.frames += 1
        self.last_frame_at = time.monotonic()

    def _shown_counts_locked(self) -> tuple[int, int]:
        """(repetitions done in the current set, its number) as the page counts them."""
        live = self._live
        current = [r.completed for r in live.session.reps] if live and live.session else []
        done = sum(([bool(r["completed"]) for r in self.kept] + current)[self.boundary:])
        return done, self.sets_closed + 1

    def close_set(self, boundary: int, sets_closed: int) -> None:
        """The page closed a set: count the overlay's set from repetition ``boundary`` on."""
        with self._lock:
            self.boundary, self.sets_closed = boundary, sets_closed

    @property
    def goal(self) -> int:
        """Repetitions per set, as configured."""
        return self._config[3] if self._config else 0

    def end_stream(self) -> None:
        """The camera stopped: keep the reps, free the pose model."""
        with self._lock:
            self.streaming = False
            self._end_locked()

    def end_pose_stream(self) -> None:
        """The browser's landmark socket closed: end its stream (not a server-mode one)."""
        with self._lock:
            self.streaming = False
            if self._live is not None and not self._live_model:
                self._end_locked()

    def _end_locked(self) -> None:
        if self._live is not None:
            exercise = self._config[0] if self._config else ""
            self._live.finish()  # a last rep on its way back when the stream stopped counts
            self.kept.extend({**r, "exercise": exercise} for r in self._live.reps())
            self._live.close()
            self._live = None

    def snapshot(self) -> LiveState | None:
        """The running session's state, or None between streams."""
        with self._lock:
            return self._live.snapshot() if self._live is not None else None

    def reps(self) -> list[dict[str, Any]]:
        """Every rep so far, kept ones first."""
        with self._lock:
            current = self._live.reps() if self._live is not None else []
            exercise = self._config[0] if self._config else ""
            return self.kept + [{**r, "exercise": exercise} for r in current]

    def mark(self) -> Mark:
        """The counters now."""
        with self._lock:
            return Mark(self.frames, self.detected, self.watched_s, len(self.wrong_leg))

    def reset(self) -> None:
        """Forget everything (start over)."""
        with self._lock:
            self._end_locked()
            self.kept.clear()
            self.set_ends.clear()
            self.wrong_leg.clear()
            self.frames = self.detected = 0
            self.watched_s = 0.0
            self.boundary = self.sets_closed = 0

    def release(self) -> None:
        """Stop for good: free the pose model; frames still arriving pass through unanalysed."""
        with self._lock:
            self._end_locked()
            self._config = None


def _holder(setup: LiveSetup) -> StreamHolder:
    key = setup.k("holder")
    if key not in st.session_state:
        st.session_state[key] = StreamHolder()
    return st.session_state[key]


def forget(key: str) -> None:
    """Drop the live view ``key``'s stream and sets (e.g. when its session ends)."""
    holder = st.session_state.get(f"{key}_holder")
    if isinstance(holder, StreamHolder):
        holder.release()
    token = st.session_state.get(f"{key}_token")
    if token:
        browser_live.TOKENS.revoke(token)
    for name in [k for k in st.session_state if str(k).startswith(f"{key}_")]:
        del st.session_state[name]


def _frame_callback(holder: StreamHolder):  # noqa: ANN202 - the webrtc callback
    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        rgb = frame.to_ndarray(format="rgb24")
        t = float(frame.time) if frame.time is not None else time.monotonic()
        try:
            out = holder.process(rgb, t)
        except Exception:  # noqa: BLE001 - never break the stream; show the raw frame
            if not holder.failed:
                log.exception("live processing failed")
            holder.failed = True
            out = rgb
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    return callback


# -- sets -------------------------------------------------------------------------------

def sets_of(setup: LiveSetup) -> list[dict[str, Any]]:
    """The view's finished sets, oldest first (callers may add their own fields)."""
    return st.session_state.setdefault(setup.k("sets"), [])


def close_set(setup: LiveSetup, holder: StreamHolder, how: str) -> bool:
    """Close the set: the reps since the last one. False if there were none."""
    reps = holder.reps()
    start = st.session_state.get(setup.k("boundary"), 0)
    if len(reps) <= start:
        return False
    mark, before = holder.mark(), st.session_state.get(setup.k("mark"), Mark())
    sets = sets_of(setup)
    sets.append({
        "index": len(sets) + 1, "reps": reps[start:], "goal": setup.goal, "how": how,
        "exercise": reps[start]["exercise"], "settings": holder.settings or setup.settings,
        "frames": mark.frames - before.frames, "detected": mark.detected - before.detected,
        "watched_s": mark.watched_s - before.watched_s,
        "wrong_leg": holder.wrong_leg[before.wrong_leg:mark.wrong_leg],
        "view": holder.view, "unchecked": holder.unchecked,
        "camera_roll_deg": holder.camera_roll_deg,
    })
    st.session_state[setup.k("boundary")] = len(reps)
    st.session_state[setup.k("mark")] = mark
    holder.close_set(len(reps), len(sets))
    return True


def _start_over(setup: LiveSetup, holder: StreamHolder) -> None:
    holder.reset()
    for name in ("sets", "boundary", "mark", "set_ends_seen", "reps"):
        st.session_state.pop(setup.k(name), None)


def set_summary(setup: LiveSetup, s: dict[str, Any]) -> str:
    """``Set 2: 4 of 5 repetitions done, 1 with a point to watch.`` plus the faults."""
    done = sum(r["completed"] for r in s["reps"])
    faulty = sum(bool(r["faults"]) for r in s["reps"])
    out = setup.t("set_summary", set=s["index"], reps=done, goal=s["goal"], faulty=faulty)
    codes = list(dict.fromkeys(c for r in s["reps"] for c in r["faults"]))
    if codes:
        out += " " + setup.t("set_faults", faults=" ".join(setup.fault(c) for c in codes))
    return out


def set_result(setup: LiveSetup, s: dict[str, Any]) -> dict[str, Any]:
    """A finished live set as the engine's JSON result (what ``analyze`` gives for a video).

    Reps are numbered within the set; their times are seconds since their stream started.
    """
    lang, settings = setup.lang, s["settings"]
    reps = [{k: v for k, v in r.items() if k != "exercise"} | {"index": i}
            for i, r in enumerate(s["reps"], start=1)]
    detection = s["detected"] / s["frames"] if s["frames"] else 0.0
    min_rate = default_programme().tracking.min_detection_rate if s["frames"] else 0.0
    warnings = [w.to_dict() for w in session_warnings(
        lang, settings.side, detection, min_rate, s["unchecked"],
        [(a, b) for a, b in s["wrong_leg"]], patient_spec(s["exercise"], settings).hold_s,
        s.get("camera_roll_deg"))]
    return {
        "source": "live", "exercise": s["exercise"], "side": settings.side,
        "approach": settings.approach, "lang": lang,
        "rep_count": sum(bool(r["completed"]) for r in reps), "attempts": len(reps),
        "reps": reps, "detection_rate": round(detection, 4), "view": s["view"],
        "duration_s": round(s["watched_s"], 3), "warnings": warnings, "ended_by": s["how"],
    }


# -- the live panel (refreshed) ---------------------------------------------------------

def _speak(setup: LiveSetup, words: str) -> None:
    """Say ``words`` with the browser's speech synthesis (parent page: it has the user's click)."""
    n = st.session_state[setup.k("cue_n")] = st.session_state.get(setup.k("cue_n"), 0) + 1
    components.html(
        f"<script>/*{n}*/ const w = window.parent || window;"
        f"const u = new w.SpeechSynthesisUtterance({json.dumps(words)});"
        f"u.lang = {json.dumps(VOICES.get(setup.lang, 'nl-NL'))}; w.speechSynthesis.cancel();"
        f"w.speechSynthesis.speak(u);</script>", height=0)


@st.fragment(run_every=REFRESH_S)
def _panel(setup: LiveSetup, holder: StreamHolder, playing: bool, mode: str) -> None:
    ss, spec = st.session_state, setup.spec
    reps = holder.reps()
    ss[setup.k("reps")] = reps  # a copy that outlives the stream
    seen = ss.get(setup.k("set_ends_seen"), 0)
    if len(holder.set_ends) > seen:
        ss[setup.k("set_ends_seen")] = len(holder.set_ends)
        if close_set(setup, holder, "rest"):
            st.rerun()
    boundary = ss.get(setup.k("boundary"), 0)
    in_set = sum(r["completed"] for r in reps[boundary:])
    if in_set >= setup.goal and close_set(setup, holder, "goal"):
        st.rerun()
    if mode == "browser":   # the page's socket, not a Streamlit rerun, says when it plays
        playing = holder.streaming
    snap = holder.snapshot() if playing else None
    phase = snap.phase if snap else "off"
    st.markdown(f"**{setup.t('phase')}:** {setup.t('phase_' + phase)}")
    st.metric(setup.t("set_label", set=len(sets_of(setup)) + 1), f"{in_set} / {setup.goal}")
    st.caption(setup.t("total_today", count=sum(r["completed"] for r in reps)))
    if snap is not None:
        if spec.hold_s > 0 and snap.hold_s > 0:
            left = max(spec.hold_s - snap.hold_s, 0.0)
            label = (f"{setup.t('hold_left')}: {math.ceil(left)} s" if left > 0
                     else f"{setup.t('hold_done')}: {spec.hold_s:.0f} s")
            st.progress(min(snap.hold_s / spec.hold_s, 1.0), text=label)
        if snap.message:
            shown = (f"### {html.escape(snap.message)}" if snap.phase == "countdown"
                     else snap.message)
            (st.error if snap.message_is_fault else st.info)(shown)
        st.caption(setup.t(f"mode_running_{mode}", fps=f"{snap.fps:.0f}")
                   + f" · {snap.latency_ms:.0f} ms")
        if holder.frames >= WARMUP_FRAMES and snap.fps < MIN_JUDGE_FPS:
            st.warning(setup.t("too_slow", fps=f"{snap.fps:.0f}"))
        since = time.monotonic() - holder.last_frame_at
        if holder.frames and since > LOST_AFTER_S:
            st.warning(text("live.camera_lost", setup.lang))
        if ss.get(setup.k("audio")):
            last = ss.get(setup.k("cue_last"), (None, 0))
            cue = None
            if snap.message and snap.message != last[0]:
                cue = snap.message
            elif snap.rep_count > last[1]:
                cue = str(snap.rep_count)
            ss[setup.k("cue_last")] = (snap.message, snap.rep_count)
            if cue:
                _speak(setup, cue)
    elif playing:
        started = ss.get(setup.k("started_at"), time.monotonic())
        if time.monotonic() - started > NO_FRAMES_AFTER_S:
            st.warning(setup.t("no_frames_yet") + " " + text("live.camera_denied", setup.lang))


def _mode(setup: LiveSetup, holder: StreamHolder) -> str:
    """Where the pose is found: in the browser (default; ``?mode=server`` preselects) or here."""
    asked = st.query_params.get("mode")
    mode = st.radio(setup.t("mode"), MODES, index=MODES.index(asked) if asked in MODES else 0,
                    format_func=lambda m: setup.t(f"mode_{m}"), horizontal=True,
                    key=setup.k("mode"))
    if st.session_state.get(setup.k("mode_was"), mode) != mode:
        holder.end_stream()   # the other mode's stream ends; its reps are kept
    st.session_state[setup.k("mode_was")] = mode
    return mode


def _browser_camera(setup: LiveSetup, holder: StreamHolder) -> bool:
    """The in-browser pose page (camera, model, overlay); True while its socket streams."""
    if not browser_live.runtime_installed():
        st.error(setup.t("browser_no_runtime"))
        return False
    token = st.session_state.get(setup.k("token"))
    if token is None:
        token = st.session_state[setup.k("token")] = browser_live.TOKENS.issue(holder)
    spec = setup.spec
    cfg = {"token": token, "socket": browser_live.SOCKET_PATH, "title": spec.title(setup.lang),
           "goal": setup.goal, "hold_required": spec.hold_s, "min_fps": MIN_JUDGE_FPS,
           "texts": {k: text(key, setup.lang) for k, key in BROWSER_TEXTS.items()}}
    st.iframe(f"{browser_live.PREFIX}/index.html#{quote(json.dumps(cfg))}", height=IFRAME_PX)
    st.caption(setup.t("camera_help"))
    return holder.streaming


def _server_camera(setup: LiveSetup, holder: StreamHolder) -> bool:
    """The webcam streamed to the server (streamlit-webrtc); True while it plays."""
    ctx = webrtc_streamer(
        key=f"formcheck-{setup.key}", mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": []},
        media_stream_constraints={"video": {"width": {"ideal": 640},
                                            "height": {"ideal": 480},
                                            "frameRate": {"ideal": 30}},
                                  "audio": False},
        video_frame_callback=_frame_callback(holder),
        on_video_ended=holder.end_stream,
        async_processing=True,
        translations={"select_device": setup.t("select_camera"),
                      "device_ask_permission": setup.t("ask_camera"),
                      "device_not_available": setup.t("no_camera"),
                      "device_access_denied": text("live.camera_denied", setup.lang),
                      "media_api_not_available": setup.t("no_media_api")},
    )
    if not ctx.state.playing:
        st.caption(setup.t("camera_help") + " " + setup.t("remote_hint"))
    return bool(ctx.state.playing)


def live_view(setup: LiveSetup) -> list[dict[str, Any]]:
    """The camera with the overlay and the live panel; returns the finished sets.

    A set ends after the engine's rest pause, at the goal, with the "End the set" button,
    or when the exercise changes. Reps counted before the camera stopped or was lost stay.
    """
    ss = st.session_state
    holder = _holder(setup)
    if holder.exercise not in (None, setup.exercise):
        close_set(setup, holder, "switch")
    holder.configure(setup.exercise, setup.settings, setup.lang, setup.goal)
    mode = _mode(setup, holder)
    video_col, panel_col = st.columns([3, 2])
    with video_col:
        playing = (_browser_camera(setup, holder) if mode == "browser"
                   else _server_camera(setup, holder))
    was_playing = ss.get(setup.k("playing"), False)
    if playing and not was_playing:
        ss[setup.k("started_at")] = time.monotonic()
        ss[setup.k("stopped")] = False
    if was_playing and not playing:
        holder.end_stream()
        ss[setup.k("stopped")] = True
    ss[setup.k("playing")] = playing
    with panel_col:
        _panel(setup, holder, playing, mode)
        st.toggle(setup.t("audio"), key=setup.k("audio"), value=False)
        b1, b2 = st.columns(2)
        b1.button(setup.t("end_set"), on_click=close_set, args=(setup, holder, "button"),
                  width="stretch", key=setup.k("end_set"))
        b2.button(setup.t("reset"), on_click=_start_over, args=(setup, holder),
                  width="stretch", key=setup.k("reset"))
    kept = ss.get(setup.k("reps"), [])
    if not playing and ss.get(setup.k("stopped")) and kept:
        st.info(setup.t("kept", count=sum(r["completed"] for r in kept)))
    return sets_of(setup)


def render(ch: Choices) -> None:
    """The live page."""
    setup = LiveSetup.from_choices(ch)
    st.header(ch.t("page_live"))
    st.markdown(f"**{setup.spec.title(ch.lang)}** · "
                + ch.camera_hint(setup.spec))
    st.caption(ch.t("live_intro"))
    sets = live_view(setup)
    for s in sets:
        st.markdown(set_summary(setup, s))
    if sets:
        last = sets[-1]
        st.success(ch.t("sets_done", sets=ch.sets) if len(sets) >= ch.sets else ch.t("set_rest"))
        safety.pain_form(ch, f"live-set-{last['index']}")
