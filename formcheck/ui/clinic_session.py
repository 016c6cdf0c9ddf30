"""A screening session: the patient's programme exercise by exercise, live or from a video.

After each set the pain/swelling question; the set is saved at once (one committed
transaction per set), so closing the tab loses nothing already saved. Live sets use the
live page's camera view (:func:`formcheck.ui.live_page.live_view`) with the patient's side,
approach and limits; a live set not yet saved when the session ends is saved without pain.
An uploaded set is checked (a bad video is refused at once) and queued
(:mod:`formcheck.jobs.uploads`): the worker saves it into the session when done, and the
page follows the job and then asks the pain question. Coming back later (a new tab) resumes
the session whose uploads still wait for that answer.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import streamlit as st

from ..analysis import AnalysisResult
from ..clinic import records
from ..clinic.models import Patient
from ..i18n import text
from ..jobs import uploads
from ..jobs.store import DONE, FAILED, RUNNING, JobState
from ..protocol import PatientSettings
from ..video import VideoError
from . import live_page, report
from .clinic_common import ClinicContext, dosage_text, flash, video_dir
from .common import video_error_message

log = logging.getLogger(__name__)
SESSION_KEY = "clinic_session"
ANALYSIS_KEY = "clinic_analysis"
REFUSED_KEY = "clinic_refused_uploads"


def text_app(ctx: ClinicContext, key: str) -> str:
    """An ``app.*`` text (shared with the patient pages) in the page's language."""
    return text(f"app.{key}", ctx.lang)


def _start_form(ctx: ClinicContext, patient: Patient) -> None:
    with st.form(f"start_{patient.code}"):
        store = st.checkbox(ctx.t("store_video"), value=False, help=ctx.t("store_video_help"),
                            key=f"store_video_{patient.code}")
        if st.form_submit_button(ctx.t("start_session"), type="primary"):
            previous = st.session_state.get(SESSION_KEY)
            if previous:  # another patient's session was still open
                save_unsaved_live_sets(ctx, previous["id"])
            screening = records.start_session(ctx.db, ctx.clinician, patient.code, store)
            st.session_state[SESSION_KEY] = {"id": screening.id, "code": patient.code}
            st.rerun()


def _show_result(ctx: ClinicContext, patient: Patient, result: AnalysisResult) -> None:
    faulty = [r for r in result.reps if r.faults]
    st.markdown(f"**{ctx.t('result_of', exercise=ctx.exercise(result.exercise))}**")
    c = st.columns(3)
    c[0].metric(ctx.t("reps", goal=patient.dosage_reps), result.rep_count)
    c[1].metric(ctx.t("attempts"), len(result.reps))
    c[2].metric(ctx.t("faulty"), len(faulty))
    for w in result.warnings:
        st.warning(w.message)
    for r in faulty:
        st.markdown("- " + ctx.t("rep_faults", index=r.index,
                                 faults=", ".join(ctx.fault(f) for f in r.faults)))
    if result.reps and not faulty:
        st.caption(ctx.t("no_faults"))
    st.pyplot(report.angle_figure(result, 9.0, 2.8), clear_figure=True)


def _submit(ctx: ClinicContext, patient: Patient, session_id: int, store_video: bool,
            exercise: str, n_jobs: int) -> None:
    """The uploader; a video is checked (refused at once if unreadable) and queued."""
    # A fresh uploader after each queued video.
    upload = st.file_uploader(ctx.t("upload"), type=["mp4", "mov", "avi", "mkv", "webm"],
                              key=f"upload_{session_id}_{n_jobs}")
    if upload is None:
        return
    data = upload.getvalue()
    key = hashlib.sha1(data + f"|{exercise}|{session_id}".encode()).hexdigest()[:16]
    refused: dict[str, str] = st.session_state.setdefault(REFUSED_KEY, {})
    if key in refused:
        st.error(refused[key])
        return
    keep = str(video_dir(ctx.url) / f"session_{session_id}") if store_video else None
    try:
        uploads.submit(upload.name, data, None, exercise, _settings(patient), ctx.lang,
                       uploads.RecordUpload(session_id, ctx.clinician.id, keep), ctx.url)
    except VideoError as exc:
        refused[key] = video_error_message(exc, ctx.lang, upload.name)
        st.error(refused[key])
        return
    except Exception:  # noqa: BLE001 - the page must keep working; details go to the log
        log.exception("queueing %s failed", upload.name)
        st.error(text_app(ctx, "unexpected"))
        return
    st.rerun()


@st.fragment(run_every=1.0)
def _progress(ctx: ClinicContext, session_id: int, ids: list[int]) -> None:
    """The queued and running uploads; the whole page reruns when one has finished."""
    jobs = [j for j in uploads.session_jobs(session_id, ctx.url) if j.id in ids]
    if any(j.finished for j in jobs):
        st.rerun()
    for j in jobs:
        st.progress(j.progress, text=ctx.t("job_running" if j.status == RUNNING
                                           else "job_queued", name=j.source))
    st.caption(ctx.t("job_leave"))


def _landed_set(ctx: ClinicContext, patient: Patient, session_id: int, job: JobState,
                store_video: bool) -> None:
    """An upload's set in the record: its result, and the pain question that completes it."""
    rec = st.session_state.get(ANALYSIS_KEY)
    if not rec or rec["job"] != job.id:
        try:
            result: AnalysisResult | None = uploads.analysis(job, ctx.url)
        except Exception:  # noqa: BLE001 - e.g. its pose track was removed; the set is saved
            log.exception("job %s: result unreadable", job.id)
            result = None
        rec = {"job": job.id, "result": result}
        st.session_state[ANALYSIS_KEY] = rec
    if rec["result"] is not None:
        _show_result(ctx, patient, rec["result"])
    with st.form(f"pain_{job.id}"):
        st.markdown(f"**{ctx.t('pain_title')}**")
        pain = st.slider(text_app(ctx, "pain"), 0, 10, 0, key=f"pain_{job.id}")
        swelling = st.radio(text_app(ctx, "swelling"), [False, True], horizontal=True,
                            key=f"swelling_{job.id}",
                            format_func=lambda v: text_app(ctx, "yes" if v else "no"))
        if not st.form_submit_button(ctx.t("save_set"), type="primary"):
            return
    try:
        saved = records.answer_pain(ctx.db, job.set_id or 0, int(pain), bool(swelling),
                                    clinician=ctx.clinician)
    except records.SAVE_ERRORS as exc:
        st.error(ctx.t("not_saved", detail=exc))
        return
    for kind, message in _saved_messages(ctx, saved, job.exercise, bool(swelling)):
        flash(kind, message)
    if store_video:
        flash("info", ctx.t("video_stored"))
    uploads.forget(job)
    st.session_state.pop(ANALYSIS_KEY, None)
    st.rerun()


def _uploaded(ctx: ClinicContext, patient: Patient, session_id: int, store_video: bool,
              exercise: str, unanswered: set[int]) -> None:
    """Upload sets: queue, follow, then ask the pain question of each landed set in turn."""
    jobs = uploads.session_jobs(session_id, ctx.url)
    for j in jobs:
        if j.status == FAILED:
            st.error(ctx.t("job_failed", name=j.source, error=j.error or ""))
    waiting = [j for j in jobs if j.status == DONE and j.set_id in unanswered]
    if waiting:
        _landed_set(ctx, patient, session_id, waiting[0], store_video)
    pending = [j.id for j in jobs if not j.finished]
    if pending:
        _progress(ctx, session_id, pending)
    if not waiting:
        _submit(ctx, patient, session_id, store_video, exercise, len(jobs))


def _settings(patient: Patient) -> PatientSettings:
    return PatientSettings(side=patient.operated_side, approach=patient.approach,
                           overrides=patient.limit_overrides)


def live_key(session_id: int) -> str:
    """The live view's state namespace for screening session ``session_id``."""
    return f"clinic_live_{session_id}"


def _saved_messages(ctx: ClinicContext, saved: Any, exercise: str,
                    swelling: bool) -> list[tuple[str, str]]:
    """The confirmation of a saved set and the pain-rule advice, as ``(kind, message)``."""
    out = [("success", ctx.t("set_saved", number=saved.set_number,
                             exercise=ctx.exercise(exercise), reps=saved.rep_count,
                             pain=saved.pain,
                             swelling=text_app(ctx, "yes" if swelling else "no")))]
    if saved.pain_advice:
        out.append(("error", ctx.t(f"advice_{saved.pain_advice}")))
    return out


def _live_set_form(ctx: ClinicContext, setup: live_page.LiveSetup, session_id: int,
                   s: dict[str, Any]) -> None:
    """A finished live set: its summary, the pain/swelling question; submitting saves it."""
    result = live_page.set_result(setup, s)
    with st.form(f"live_pain_{session_id}_{s['index']}"):
        st.markdown(f"**{ctx.t('live_set_done', exercise=ctx.exercise(s['exercise']))}** "
                    + live_page.set_summary(setup, s))
        for w in result["warnings"]:
            st.warning(w["message"])
        st.markdown(f"**{ctx.t('pain_title')}**")
        key = f"live_{session_id}_{s['index']}"
        pain = st.slider(text_app(ctx, "pain"), 0, 10, 0, key=f"pain_{key}")
        swelling = st.radio(text_app(ctx, "swelling"), [False, True], horizontal=True,
                            key=f"swelling_{key}",
                            format_func=lambda v: text_app(ctx, "yes" if v else "no"))
        if not st.form_submit_button(ctx.t("save_set"), type="primary"):
            return
    try:
        saved = records.save_set(ctx.db, session_id, result, int(pain), bool(swelling),
                                 clinician=ctx.clinician)
    except records.SAVE_ERRORS as exc:
        st.error(ctx.t("not_saved", detail=exc))
        return
    s["saved"] = saved.set_number
    # Shown under the camera until the next set (the camera's reruns would clear a flash).
    st.session_state[setup.k("saved_messages")] = _saved_messages(ctx, saved, s["exercise"],
                                                                  bool(swelling))
    st.rerun()


def _live(ctx: ClinicContext, patient: Patient, session_id: int, exercise: str,
          store_video: bool) -> None:
    """The live camera for ``exercise``; each finished set is asked about and saved."""
    setup = live_page.LiveSetup(live_key(session_id), exercise, _settings(patient), ctx.lang,
                                patient.dosage_reps, patient.dosage_sets)
    st.caption(text_app(ctx, "live_intro") + " " + ctx.t("live_how"))
    if store_video:
        st.caption(ctx.t("live_no_video"))
    sets = live_page.live_view(setup)
    pending = [s for s in sets if not s.get("saved")]
    if pending:
        _live_set_form(ctx, setup, session_id, pending[0])
    else:
        for kind, message in st.session_state.get(setup.k("saved_messages"), []):
            getattr(st, kind)(message)


def save_unsaved_live_sets(ctx: ClinicContext, session_id: int) -> None:
    """Session ends: close the running live set and save every unsaved one without pain."""
    holder = st.session_state.get(f"{live_key(session_id)}_holder")
    if holder is None:
        return
    settings = holder.settings or PatientSettings()
    setup = live_page.LiveSetup(live_key(session_id), holder.exercise or "", settings, ctx.lang,
                                0, 0)
    live_page.close_set(setup, holder, "session_end")
    for s in live_page.sets_of(setup):
        if s.get("saved"):
            continue
        try:
            saved = records.save_set(ctx.db, session_id, live_page.set_result(setup, s), None,
                                     clinician=ctx.clinician)
        except records.SAVE_ERRORS as exc:
            flash("error", ctx.t("not_saved", detail=exc))
            continue
        s["saved"] = saved.set_number
        flash("warning", ctx.t("live_saved_without_pain", number=saved.set_number,
                               exercise=ctx.exercise(s["exercise"]), reps=saved.rep_count))
    live_page.forget(live_key(session_id))


def _resumable(ctx: ClinicContext, patient: Patient) -> int | None:
    """The patient's latest session with uploads of this clinician still to follow, or None."""
    for session_id in uploads.open_sessions(ctx.clinician.id, ctx.url):
        try:
            if records.get_session(ctx.db, ctx.clinician, session_id).patient_id == patient.id:
                return session_id
        except records.NotFoundError:
            continue
    return None


def render(ctx: ClinicContext, patient: Patient) -> None:
    """The screening view for ``patient``."""
    st.subheader(ctx.t("session_title", code=patient.code))
    current = st.session_state.get(SESSION_KEY)
    if not current or current["code"] != patient.code:
        resumed = _resumable(ctx, patient)
        if resumed is None:
            _start_form(ctx, patient)
            return
        current = st.session_state[SESSION_KEY] = {"id": resumed, "code": patient.code}
    session_id = current["id"]
    screening = records.get_session(ctx.db, ctx.clinician, session_id)
    head = st.columns([4, 1])
    head[0].caption(ctx.t("session_running", id=session_id,
                          time=f"{screening.started_at.astimezone():%Y-%m-%d %H:%M}",
                          video=text_app(ctx, "yes" if screening.store_video else "no")))
    if head[1].button(ctx.t("end_session"), key=f"end_{session_id}"):
        save_unsaved_live_sets(ctx, session_id)
        st.session_state.pop(SESSION_KEY, None)
        st.session_state.pop(ANALYSIS_KEY, None)
        st.rerun()
    done = {e: 0 for e in patient.enabled_exercises}
    unanswered = set()
    for r in records.set_records(ctx.db, ctx.clinician, patient.code):
        if r.session_id == session_id and r.exercise in done:
            done[r.exercise] += 1
        if r.session_id == session_id and r.pain is None:
            unanswered.add(r.set_id)
    todo = [e for e in patient.enabled_exercises if done[e] < patient.dosage_sets]
    first = patient.enabled_exercises.index(todo[0]) if todo else 0
    exercise = st.radio(
        ctx.t("programme", dosage=dosage_text(patient)), patient.enabled_exercises, index=first,
        key=f"exercise_{session_id}", format_func=ctx.exercise,
        captions=[ctx.t("sets_done", done=done[e], sets=patient.dosage_sets)
                  for e in patient.enabled_exercises])
    source = st.radio(ctx.t("source"), ("upload", "live"), horizontal=True,
                      key=f"source_{session_id}", format_func=lambda s: ctx.t(f"source_{s}"))
    if source == "live":
        _live(ctx, patient, session_id, exercise, screening.store_video)
        return
    _uploaded(ctx, patient, session_id, screening.store_video, exercise, unanswered)
