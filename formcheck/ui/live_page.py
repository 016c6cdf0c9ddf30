"""Live self-check with the webcam (streamlit-webrtc): overlay, metrics, sets, pain check."""

from __future__ import annotations

import html
import json
import logging
import math
import threading
import time
from typing import Any

import av
import numpy as np
import streamlit as st
import streamlit.components.v1 as components
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from ..i18n import text
from ..live import LiveSession, LiveState
from ..protocol import PatientSettings
from . import safety
from .common import Choices

log = logging.getLogger(__name__)
REFRESH_S = 0.5
LOST_AFTER_S = 3.0     # no frame for this long while playing: the camera was lost
NO_FRAMES_AFTER_S = 8.0
VOICES = {"nl": "nl-NL", "en": "en-GB"}


class StreamHolder:
    """One :class:`LiveSession` per camera stream, shared by the WebRTC thread and the page.

    Reps of ended streams are kept in :attr:`kept`, so nothing counted is lost
    when the camera stops or drops out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: tuple[str, PatientSettings, str, int] | None = None
        self._live: LiveSession | None = None
        self._t0 = 0.0
        self._seen_events = 0
        self.kept: list[dict[str, Any]] = []
        self.set_ends: list[dict[str, Any]] = []
        self.frames = 0
        self.last_frame_at = 0.0
        self.failed = False

    def configure(self, exercise: str, settings: PatientSettings, lang: str, goal: int) -> None:
        """Use these settings; a change ends the current session (its reps are kept)."""
        config = (exercise, settings, lang, goal)
        with self._lock:
            if config != self._config:
                self._end_locked()
                self._config = config

    def process(self, rgb: np.ndarray, t: float) -> np.ndarray:
        """Analyse one frame (WebRTC thread); returns it annotated."""
        with self._lock:
            if self._config is None:
                return rgb
            if self._live is None:
                exercise, settings, lang, goal = self._config
                self._live = LiveSession(exercise, settings, lang, goal=goal)
                self._t0, self._seen_events = t, 0
            out = self._live.process(rgb, t - self._t0)
            new = self._live.all_events[self._seen_events:]
            self._seen_events += len(new)
            self.set_ends.extend(e.data for e in new if e.kind == "set_ended")
            self.frames += 1
            self.last_frame_at = time.monotonic()
            return out

    def end_stream(self) -> None:
        """The camera stopped: keep the reps, free the pose model."""
        with self._lock:
            self._end_locked()

    def _end_locked(self) -> None:
        if self._live is not None:
            exercise = self._config[0] if self._config else ""
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

    def reset(self) -> None:
        """Forget everything (start over)."""
        with self._lock:
            self._end_locked()
            self.kept.clear()
            self.set_ends.clear()
            self.frames = 0


def _holder() -> StreamHolder:
    if "live_holder" not in st.session_state:
        st.session_state["live_holder"] = StreamHolder()
    return st.session_state["live_holder"]


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

def _sets() -> list[dict[str, Any]]:
    return st.session_state.setdefault("live_sets", [])


def _close_set(holder: StreamHolder, goal: int, how: str) -> bool:
    """Close the set: the reps since the last one. False if there were none."""
    reps = holder.reps()
    start = st.session_state.get("live_boundary", 0)
    if len(reps) <= start:
        return False
    sets = _sets()
    sets.append({"index": len(sets) + 1, "reps": reps[start:], "goal": goal, "how": how})
    st.session_state["live_boundary"] = len(reps)
    return True


def _start_over(holder: StreamHolder) -> None:
    holder.reset()
    for key in ("live_sets", "live_boundary", "live_set_ends_seen", "live_reps"):
        st.session_state.pop(key, None)


def _set_summary(ch: Choices, s: dict[str, Any]) -> str:
    done = sum(r["completed"] for r in s["reps"])
    faulty = sum(bool(r["faults"]) for r in s["reps"])
    out = ch.t("set_summary", set=s["index"], reps=done, goal=s["goal"], faulty=faulty)
    codes = list(dict.fromkeys(c for r in s["reps"] for c in r["faults"]))
    if codes:
        out += " " + ch.t("set_faults", faults=" ".join(ch.fault(c) for c in codes))
    return out


# -- the live panel (refreshed) ---------------------------------------------------------

def _speak(lang: str, words: str) -> None:
    """Say ``words`` with the browser's speech synthesis (parent page: it has the user's click)."""
    st.session_state["cue_n"] = st.session_state.get("cue_n", 0) + 1
    components.html(
        f"<script>/*{st.session_state['cue_n']}*/ const w = window.parent || window;"
        f"const u = new w.SpeechSynthesisUtterance({json.dumps(words)});"
        f"u.lang = {json.dumps(VOICES.get(lang, 'nl-NL'))}; w.speechSynthesis.cancel();"
        f"w.speechSynthesis.speak(u);</script>", height=0)


@st.fragment(run_every=REFRESH_S)
def _panel(ch: Choices, holder: StreamHolder, playing: bool) -> None:
    spec = ch.programme.exercise(ch.exercise)
    reps = holder.reps()
    st.session_state["live_reps"] = reps  # a copy that outlives the stream
    seen = st.session_state.get("live_set_ends_seen", 0)
    if len(holder.set_ends) > seen:
        st.session_state["live_set_ends_seen"] = len(holder.set_ends)
        if _close_set(holder, ch.reps_per_set, "rest"):
            st.rerun()
    boundary = st.session_state.get("live_boundary", 0)
    in_set = sum(r["completed"] for r in reps[boundary:])
    if in_set >= ch.reps_per_set and _close_set(holder, ch.reps_per_set, "goal"):
        st.rerun()
    snap = holder.snapshot() if playing else None
    phase = snap.phase if snap else "off"
    st.markdown(f"**{ch.t('phase')}:** {ch.t('phase_' + phase)}")
    st.metric(ch.t("set_label", set=len(_sets()) + 1), f"{in_set} / {ch.reps_per_set}")
    st.caption(ch.t("total_today", count=sum(r["completed"] for r in reps)))
    if snap is not None:
        if spec.hold_s > 0 and snap.hold_s > 0:
            left = max(spec.hold_s - snap.hold_s, 0.0)
            label = (f"{ch.t('hold_left')}: {math.ceil(left)} s" if left > 0
                     else f"{ch.t('hold_done')}: {spec.hold_s:.0f} s")
            st.progress(min(snap.hold_s / spec.hold_s, 1.0), text=label)
        if snap.message:
            shown = (f"### {html.escape(snap.message)}" if snap.phase == "countdown"
                     else snap.message)
            (st.error if snap.message_is_fault else st.info)(shown)
        st.caption(ch.t("speed", fps=snap.fps, ms=snap.latency_ms))
        since = time.monotonic() - holder.last_frame_at
        if holder.frames and since > LOST_AFTER_S:
            st.warning(text("live.camera_lost", ch.lang))
        if st.session_state.get("audio"):
            last = st.session_state.get("cue_last", (None, 0))
            cue = None
            if snap.message and snap.message != last[0]:
                cue = snap.message
            elif snap.rep_count > last[1]:
                cue = str(snap.rep_count)
            st.session_state["cue_last"] = (snap.message, snap.rep_count)
            if cue:
                _speak(ch.lang, cue)
    elif playing:
        started = st.session_state.get("live_started_at", time.monotonic())
        if time.monotonic() - started > NO_FRAMES_AFTER_S:
            st.warning(ch.t("no_frames_yet") + " " + text("live.camera_denied", ch.lang))


def render(ch: Choices) -> None:
    """The live page."""
    spec = ch.programme.exercise(ch.exercise)
    st.header(ch.t("page_live"))
    st.markdown(f"**{spec.title(ch.lang)}** · "
                + ch.t("camera_view", view=text(f"views.{spec.best_view}", ch.lang)))
    st.caption(ch.t("live_intro"))
    holder = _holder()
    holder.configure(ch.exercise, ch.settings, ch.lang, ch.reps_per_set)
    video_col, panel_col = st.columns([3, 2])
    with video_col:
        ctx = webrtc_streamer(
            key="formcheck-live", mode=WebRtcMode.SENDRECV,
            rtc_configuration={"iceServers": []},
            media_stream_constraints={"video": {"width": {"ideal": 640},
                                                "height": {"ideal": 480},
                                                "frameRate": {"ideal": 30}},
                                      "audio": False},
            video_frame_callback=_frame_callback(holder),
            on_video_ended=holder.end_stream,
            async_processing=True,
            translations={"select_device": ch.t("select_camera"),
                          "device_ask_permission": ch.t("ask_camera"),
                          "device_not_available": ch.t("no_camera"),
                          "device_access_denied": text("live.camera_denied", ch.lang),
                          "media_api_not_available": ch.t("no_media_api")},
        )
        if not ctx.state.playing:
            st.caption(ch.t("camera_help") + " " + ch.t("remote_hint"))
    playing = bool(ctx.state.playing)
    was_playing = st.session_state.get("live_playing", False)
    if playing and not was_playing:
        st.session_state["live_started_at"] = time.monotonic()
        st.session_state["live_stopped"] = False
    if was_playing and not playing:
        holder.end_stream()
        st.session_state["live_stopped"] = True
    st.session_state["live_playing"] = playing
    with panel_col:
        _panel(ch, holder, playing)
        st.toggle(ch.t("audio"), key="audio", value=False)
        b1, b2 = st.columns(2)
        b1.button(ch.t("end_set"), on_click=_close_set, args=(holder, ch.reps_per_set, "button"),
                  width="stretch")
        b2.button(ch.t("reset"), on_click=_start_over, args=(holder,), width="stretch")
    kept = st.session_state.get("live_reps", [])
    if not playing and st.session_state.get("live_stopped") and kept:
        st.info(ch.t("kept", count=sum(r["completed"] for r in kept)))
    sets = _sets()
    for s in sets:
        st.markdown(_set_summary(ch, s))
    if sets:
        last = sets[-1]
        st.success(ch.t("sets_done", sets=ch.sets) if len(sets) >= ch.sets else ch.t("set_rest"))
        safety.pain_form(ch, f"live-set-{last['index']}")
