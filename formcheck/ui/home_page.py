"""The patient's own programme, opened with their personal link (no account, no name).

The link's token is exchanged for a page session on first use and removed from the address
bar. Everything is read and written through :mod:`formcheck.clinic` with the link's grant,
which reaches this one patient only. Each set is saved the moment it ends (live) or is
analysed (upload); the pain/swelling question then completes the saved set.

An uploaded set goes through the same job queue as a clinic upload
(:mod:`formcheck.jobs.uploads`): a bad video is refused at once, a good one is queued for
the current home sitting and lands in the record when its job is done, whether or not the
page is still open; opening the link again shows the progress or the pain question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ..clinic import links, records
from ..clinic.models import Patient
from ..clinic.progress import SetRecord, daily_progress, day_of, sessions_per_day
from ..clinic.protocol import SESSIONS_PER_DAY_MAX, SESSIONS_PER_DAY_MIN
from ..clinic.texts import exercise_name
from ..i18n import text
from ..jobs import uploads
from ..jobs.store import DONE, FAILED, RUNNING, JobState
from ..protocol import PatientSettings, default_programme
from ..video import VideoError
from . import live_page
from .clinic_common import database, db_url, video_dir
from .common import video_error_message

log = logging.getLogger(__name__)
SESSION_TOKEN_KEY = "home_session_token"
UPLOADS_KEY = "home_uploads"
REFUSED_KEY = "home_refused_uploads"


def is_patient_visit() -> bool:
    """Whether this browser tab came with a patient link (now or earlier in the session)."""
    return links.LINK_PARAM in st.query_params or SESSION_TOKEN_KEY in st.session_state


def _t(key: str, lang: str, **values: Any) -> str:
    return text(f"home.{key}", lang, **values)


def _refused(reason: str, lang: str) -> None:
    st.header(_t("refused_title", lang))
    key = f"refused_{reason}"
    st.info(_t(key if key in _REFUSED else "refused_unknown", lang))


_REFUSED = {f"refused_{r}" for r in ("revoked", "expired", "unknown", "session_expired",
                                     "no_link")}


def _grant(db: Any, lang: str) -> records.LinkGrant | None:
    """The link's grant: a token in the address is exchanged (and removed) first."""
    token = st.query_params.get(links.LINK_PARAM)
    if token:
        del st.query_params[links.LINK_PARAM]
        st.session_state.pop(SESSION_TOKEN_KEY, None)
        try:
            st.session_state[SESSION_TOKEN_KEY] = links.open_link(db, token)
        except records.LinkRefused as exc:
            _refused(exc.reason, lang)
            return None
    session_token = st.session_state.get(SESSION_TOKEN_KEY)
    if not session_token:
        _refused("no_link", lang)
        return None
    try:
        return links.authenticate_link(db, session_token)
    except records.LinkRefused as exc:
        _refused(exc.reason, lang)
        return None


def _settings(patient: Patient) -> PatientSettings:
    return PatientSettings(side=patient.operated_side, approach=patient.approach,
                           overrides=patient.limit_overrides)


def _programme(patient: Patient, lang: str, today: list[SetRecord]) -> None:
    """Side, approach with its precautions, own limits, today's dosage and sessions."""
    approach = default_programme().approaches[patient.approach]
    st.markdown(_t("side", lang, side=text(f"app.side_{patient.operated_side}", lang)) + " · "
                + text(f"app.approach_{patient.approach}", lang))
    st.caption(f"**{text('app.precautions', lang)}:** "
               + (approach.precautions_nl if lang == "nl" else approach.precautions_en))
    st.markdown(_t("dosage", lang, sets=patient.dosage_sets, reps=patient.dosage_reps,
                   low=SESSIONS_PER_DAY_MIN, high=SESSIONS_PER_DAY_MAX))
    if patient.limit_overrides:
        st.caption(_t("own_limits", lang))
    st.markdown(_t("today_sessions", lang,
                   count=len({r.session_id for r in today}), low=SESSIONS_PER_DAY_MIN,
                   high=SESSIONS_PER_DAY_MAX))


def _save(db: Any, grant: records.LinkGrant, result: dict[str, Any], lang: str,
          store_video: bool = False) -> Any:
    """Save one finished set into the current home sitting; None (and a message) on failure."""
    try:
        screening = records.home_session(db, grant, store_video)
        return records.save_set(db, screening.id, result, None, clinician=grant)
    except records.SAVE_ERRORS as exc:
        st.error(_t("not_saved", lang, detail=exc))
        return None


def _pain_form(db: Any, grant: records.LinkGrant, record: SetRecord, lang: str) -> None:
    """Ask pain and swelling about a saved set; the answer completes it (with the advice)."""
    with st.form(f"home_pain_{record.set_id}"):
        st.markdown("**" + _t("pain_question", lang, exercise=exercise_name(lang,
                    record.exercise), reps=record.rep_count) + "**")
        pain = st.slider(text("app.pain", lang), 0, 10, 0, key=f"home_pain_v_{record.set_id}")
        swelling = st.radio(text("app.swelling", lang), [False, True], horizontal=True,
                            key=f"home_swelling_{record.set_id}",
                            format_func=lambda v: text("app.yes" if v else "app.no", lang))
        if not st.form_submit_button(_t("answer", lang), type="primary"):
            return
    uploaded = [j for j in uploads.home_jobs(grant.patient_id, db_url())
                if j.set_id == record.set_id]
    try:
        answered = records.answer_pain(db, record.set_id, int(pain), bool(swelling),
                                       clinician=grant)
    except records.SAVE_ERRORS as exc:
        st.error(_t("not_saved", lang, detail=exc))
        return
    for job in uploaded:
        uploads.forget(job)  # the set is complete: its pose track is no longer needed
    messages = [("success", _t("answered", lang, pain=answered.pain,
                               swelling=text("app.yes" if answered.swelling else "app.no",
                                             lang)))]
    if answered.pain_advice:
        messages.append(("error", text(f"clinic_ui.advice_{answered.pain_advice}", lang)))
    st.session_state["home_messages"] = messages
    st.rerun()


def _live(db: Any, grant: records.LinkGrant, patient: Patient, exercise: str,
          lang: str) -> None:
    """The live camera with the patient's settings; each finished set is saved at once."""
    setup = live_page.LiveSetup(f"home_live_{grant.link_id}", exercise, _settings(patient),
                                lang, patient.dosage_reps, patient.dosage_sets)
    st.caption(_t("live_note", lang))
    saved_now = False
    for s in live_page.live_view(setup):
        if not s.get("saved"):
            saved = _save(db, grant, live_page.set_result(setup, s), lang)
            if saved is not None:
                s["saved"] = saved.id
                saved_now = True
    if saved_now:
        st.rerun()  # the pain question for the set just saved


def _upload(db: Any, url: str, grant: records.LinkGrant, patient: Patient, exercise: str,
            lang: str) -> None:
    """An uploaded video of one set: checked, then queued with the patient's settings."""
    consent = False
    if patient.home_video_allowed:
        consent = st.checkbox(_t("video_consent", lang), value=False, key="home_video_consent")
    st.caption(_t("video_kept" if consent else "video_not_kept", lang))
    queued = st.session_state.setdefault(UPLOADS_KEY, 0)
    # A fresh uploader after each queued video.
    upload = st.file_uploader(_t("upload", lang), type=["mp4", "mov", "avi", "mkv", "webm"],
                              key=f"home_upload_{queued}")
    if upload is None:
        return
    data = upload.getvalue()
    key = hashlib.sha1(data + f"|{exercise}".encode()).hexdigest()[:16]
    refused: dict[str, str] = st.session_state.setdefault(REFUSED_KEY, {})
    if key in refused:
        st.error(refused[key])
        return
    try:
        sitting = records.home_session(db, grant, store_video=consent)
        keep = str(video_dir(url) / f"session_{sitting.id}") if consent else None
        uploads.submit(upload.name, data, None, exercise, _settings(patient), lang,
                       uploads.RecordUpload(sitting.id, None, keep, link_id=grant.link_id), url)
    except VideoError as exc:
        refused[key] = video_error_message(exc, lang, upload.name)
        st.error(refused[key])
        return
    except records.SAVE_ERRORS as exc:
        st.error(_t("not_saved", lang, detail=exc))
        return
    except Exception:  # noqa: BLE001 - the page must keep working; details go to the log
        log.exception("queueing a home upload failed")
        st.error(text("app.unexpected", lang))
        return
    st.session_state[UPLOADS_KEY] = queued + 1
    st.rerun()


@st.fragment(run_every=1.0)
def _progress(patient_id: int, url: str, ids: list[int], lang: str) -> None:
    """The queued and running uploads; the whole page reruns when one has finished."""
    jobs = [j for j in uploads.home_jobs(patient_id, url) if j.id in ids]
    if len(jobs) < len(ids) or any(j.finished for j in jobs):
        st.rerun()
    for j in jobs:
        st.progress(j.progress, text=_t("job_running" if j.status == RUNNING else "job_queued",
                                        lang, exercise=exercise_name(lang, j.exercise)))
    st.caption(_t("job_leave", lang))


def _follow(jobs: list[JobState], patient_id: int, url: str, lang: str) -> None:
    """What became of the patient's uploads: failures, and the progress of those in work."""
    for j in jobs:
        if j.status == FAILED:
            st.error(_t("job_failed", lang, exercise=exercise_name(lang, j.exercise),
                        error=j.error or ""))
    pending = [j.id for j in jobs if not j.finished]
    if pending:
        _progress(patient_id, url, pending, lang)


def _today_and_progress(records_: list[SetRecord], lang: str) -> None:
    today = dt.date.today()
    mine = [r for r in records_ if day_of(r.performed_at) == today]
    st.subheader(_t("today_title", lang))
    if not mine:
        st.caption(_t("no_sets_today", lang))
    else:
        st.dataframe([{
            _t("col_time", lang): f"{r.performed_at.astimezone():%H:%M}",
            _t("col_exercise", lang): exercise_name(lang, r.exercise),
            _t("col_reps", lang): f"{r.rep_count}/{r.target_reps}",
            _t("col_pain", lang): "-" if r.pain is None else f"{r.pain}/10",
        } for r in reversed(mine)], hide_index=True)
    if not records_:
        return
    st.subheader(_t("progress_title", lang))
    days = {d.day: d.sessions for d in sessions_per_day(records_)}
    st.dataframe([{
        _t("col_day", lang): d.day.isoformat(),
        _t("col_exercise", lang): exercise_name(lang, d.exercise),
        _t("col_sessions", lang): days.get(d.day, 0),
        _t("col_sets", lang): d.sets,
        _t("col_peak", lang): "-" if d.peak_rom_deg is None else f"{d.peak_rom_deg:.0f}°",
        _t("col_pain", lang): "-" if d.mean_pain is None else f"{d.mean_pain:.1f}",
    } for d in reversed(daily_progress(records_))], hide_index=True)


def render(lang: str) -> None:
    """The patient page: refused-link page, or the programme with live/upload sets."""
    url = db_url()
    try:
        db = database(url)
        grant = _grant(db, lang)
        if grant is None:
            return
        patient = records.link_patient(db, grant)
        sets = records.set_records(db, grant, patient.code)
    except records.LinkRefused as exc:
        _refused(exc.reason, lang)
        return
    except SQLAlchemyError:
        log.exception("patient page: store at %s", url)
        st.error(_t("db_error", lang))
        return
    st.header(_t("title", lang))
    st.caption(_t("intro", lang))
    today = [r for r in sets if day_of(r.performed_at) == dt.date.today()]
    _programme(patient, lang, today)
    for kind, message in st.session_state.pop("home_messages", []):
        getattr(st, kind)(message)
    try:
        jobs = uploads.home_jobs(grant.patient_id, url)
    except SQLAlchemyError:
        log.exception("patient page: jobs at %s", url)
        jobs = []
    _follow(jobs, grant.patient_id, url, lang)
    landed = {j.set_id for j in jobs if j.status == DONE}
    unanswered = [r for r in sets if r.source == "home" and r.pain is None
                  and (day_of(r.performed_at) == dt.date.today() or r.set_id in landed)]
    if unanswered:
        _pain_form(db, grant, unanswered[-1], lang)
    done = {e: sum(1 for r in today if r.exercise == e) for e in patient.enabled_exercises}
    exercise = st.radio(_t("pick", lang), patient.enabled_exercises, key="home_exercise",
                        format_func=lambda e: exercise_name(lang, e),
                        captions=[_t("sets_today", lang, done=done[e], sets=patient.dosage_sets)
                                  for e in patient.enabled_exercises])
    how = st.radio(_t("how", lang), ("live", "upload"), horizontal=True, key="home_how",
                   format_func=lambda h: _t(f"how_{h}", lang))
    if how == "live":
        _live(db, grant, patient, exercise, lang)
    else:
        _upload(db, url, grant, patient, exercise, lang)
    _today_and_progress(sets, lang)
