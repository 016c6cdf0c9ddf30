"""What every page shares: the sidebar choices, translated texts, the sample clips."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from ..i18n import fault_text, has, text
from ..protocol import APPROACHES, ExerciseSpec, PatientSettings, Programme, default_programme
from ..video import VideoError, read_frames

LANG_NAMES = {"nl": "Nederlands", "en": "English"}
SAMPLES_DIR = Path(os.environ.get("FORMCHECK_SAMPLES",
                                  Path(__file__).resolve().parents[2] / "sample_videos"))


@dataclass(frozen=True)
class Choices:
    """The sidebar's answers: language, exercise, patient settings, today's dosage."""

    lang: str
    exercise: str
    settings: PatientSettings
    sets: int
    reps_per_set: int

    def t(self, key: str, **values: Any) -> str:
        """The app text ``app.<key>`` in the chosen language."""
        return text(f"app.{key}", self.lang, **values)

    @property
    def programme(self) -> Programme:
        """The bundled exercise programme."""
        return default_programme()

    def camera_hint(self, spec: ExerciseSpec) -> str:
        """Where to put the camera for ``spec`` (and its support, if it has one)."""
        hint = self.t("camera_view", view=text(f"views.{spec.best_view}", self.lang))
        return hint + (" " + self.t("support_placement") if spec.support else "")

    def fault(self, code: str) -> str:
        """A fault code as the sentence the patient reads."""
        return fault_text(code, self.programme.exercise(self.exercise), self.lang)


def video_error_message(exc: VideoError, lang: str, name: str) -> str:
    """The ``errors.*`` message for a :class:`VideoError`, in ``lang``."""
    key = f"errors.{exc.code}"
    if not has(key):
        key = "errors.not_a_video"
    return text(key, lang, detail=name)


def _apply_query_params() -> None:
    """First run only: presets from the link, e.g. ``?lang=en&exercise=bridge&side=right``."""
    if st.session_state.get("_query_applied"):
        return
    st.session_state["_query_applied"] = True
    q = st.query_params
    allowed = {"lang": LANG_NAMES, "exercise": default_programme().exercises,
               "side": ("left", "right"), "approach": APPROACHES}
    for key, options in allowed.items():
        if q.get(key) in options:
            st.session_state[key] = q[key]


def current_lang() -> str:
    """The language chosen so far (from the link or the sidebar), before the sidebar is drawn."""
    _apply_query_params()
    lang = st.session_state.get("lang")
    return lang if lang in LANG_NAMES else "nl"


def sidebar(clinic: bool = False, patient: bool = False) -> Choices:
    """Draw the sidebar; returns what the user chose.

    On the clinic page and a patient's own page (``patient``) only the language is asked:
    the patient's record gives the rest.
    """
    _apply_query_params()
    prog = default_programme()
    dosage = prog.dosage
    with st.sidebar:
        lang = st.radio("Taal / Language", list(LANG_NAMES), format_func=LANG_NAMES.get,
                        key="lang", horizontal=True)
        if clinic:
            if not patient:
                st.caption(text("clinic_ui.sidebar_note", lang))
            return Choices(lang, next(iter(prog.exercises)), PatientSettings(), dosage.sets,
                           dosage.reps_start)

        def t(key: str, **values: Any) -> str:
            return text(f"app.{key}", lang, **values)

        ids = [e for e, spec in prog.exercises.items() if spec.enabled]
        exercise = st.selectbox(t("exercise"), ids, key="exercise",
                                format_func=lambda e: prog.exercises[e].title(lang))
        side = st.radio(t("side"), ["left", "right"], key="side", horizontal=True,
                        format_func=lambda s: t(f"side_{s}"))
        approach = st.radio(t("approach"), list(APPROACHES), key="approach",
                            format_func=lambda a: t(f"approach_{a}"))
        ap = prog.approaches[approach]
        st.caption(f"**{t('precautions')}:** "
                   + (ap.precautions_nl if lang == "nl" else ap.precautions_en))
        st.caption(t("approach_ask"))
        st.divider()
        st.markdown(f"**{t('dosage')}**")
        reps = st.number_input(t("reps_per_set"), min_value=1, max_value=dosage.reps_goal,
                               value=dosage.reps_start, step=1, key="reps_per_set")
        st.caption(t("today", sets=dosage.sets, reps=int(reps)))
    return Choices(lang, exercise, PatientSettings(side=side, approach=approach),
                   dosage.sets, int(reps))


# -- sample clips -------------------------------------------------------------------------

def sample_clips() -> list[Path]:
    """The sample videos that come with a ``.truth.json`` (what the clip shows)."""
    if not SAMPLES_DIR.is_dir():
        return []
    return [p for p in sorted(SAMPLES_DIR.glob("*.mp4"))
            if p.with_suffix(".truth.json").is_file() and p.stat().st_size > 1024]


@st.cache_data(show_spinner=False)
def sample_truth(path: str) -> dict[str, Any]:
    """The few truth fields the app uses: exercise, side, view, rep_count, reps' faults."""
    raw = json.loads(Path(path).with_suffix(".truth.json").read_text(encoding="utf-8"))
    return {"exercise": raw.get("exercise"), "side": raw.get("side"), "view": raw.get("view"),
            "rep_count": raw.get("rep_count"),
            "reps": [{"start_s": r.get("start_s"), "end_s": r.get("end_s"),
                      "faults": r.get("faults", [])} for r in raw.get("reps", [])]}


@st.cache_data(show_spinner=False)
def exercise_picture(exercise: str) -> np.ndarray | None:
    """A frame of the exercise mid-movement from a sample clip (clean clips first), or None."""
    clips = [p for p in sample_clips() if sample_truth(str(p))["exercise"] == exercise]
    clips.sort(key=lambda p: "clean" not in p.name)
    for clip in clips:
        reps = sample_truth(str(clip))["reps"]
        at = (reps[0]["start_s"] + reps[0]["end_s"]) / 2 if reps else 0.0
        try:
            for t, rgb in read_frames(clip, max_side=480):
                if t >= at:
                    return rgb
        except VideoError:
            continue
    return None
