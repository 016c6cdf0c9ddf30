"""Start: the exercises with the leaflet's instructions, the approach and today's dosage."""

from __future__ import annotations

import streamlit as st

from .common import Choices, exercise_picture


def render(ch: Choices) -> None:
    """The start page."""
    prog = ch.programme
    st.title(ch.t("title"))
    st.info(ch.t("choose_in_sidebar"))
    d = prog.dosage
    st.markdown(f"**{ch.t('dosage')}.** "
                + ch.t("dosage_text", sets=d.sets, start=d.reps_start, goal=d.reps_goal,
                       smin=d.sessions_per_day_min, smax=d.sessions_per_day_max)
                + f" **{ch.t('today', sets=ch.sets, reps=ch.reps_per_set)}.**")
    st.markdown(ch.t("calm") + " " + ch.t("reduce"))
    ap = prog.approaches[ch.settings.approach]
    st.markdown(f"**{ch.t('approach_' + ap.id)}:** "
                + (ap.precautions_nl if ch.lang == "nl" else ap.precautions_en))
    st.caption(ch.t("approach_ask") + " " + ch.t("questions"))
    st.subheader(ch.t("exercise_list"))
    for eid, spec in prog.exercises.items():
        if not spec.enabled:
            continue
        with st.expander(spec.title(ch.lang), expanded=eid == ch.exercise):
            left, right = st.columns([3, 2])
            with left:
                st.markdown(f"**{ch.t('how_to')}**")
                st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(spec.steps(ch.lang), 1)))
                if spec.hold_s:
                    st.markdown(ch.t("hold_counts", hold_s=spec.hold_s))
                st.caption(ch.camera_hint(spec))
            with right:
                picture = exercise_picture(eid)
                if picture is not None:
                    st.image(picture, caption=ch.t("picture_caption"))
