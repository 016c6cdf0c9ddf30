"""Clinic mode: clinician login, patients and their protocol; screening, progress, reports.

The session token lives in ``st.session_state``; everything is read and written through
:mod:`formcheck.clinic`, which keeps each clinician to their own clinic's patients.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ..clinic import auth, links, records
from ..clinic.models import Clinician, Patient
from ..clinic.protocol import APPROACHES, DOSAGE_STAGES, EXERCISE_IDS, SIDES
from ..i18n import text
from ..protocol import ExerciseSpec, default_programme
from . import clinic_progress, clinic_session
from .clinic_common import (
    ClinicContext,
    database,
    db_url,
    dosage_text,
    flash,
    show_flashes,
    shown_url,
)

log = logging.getLogger(__name__)
TOKEN_KEY = "clinic_token"
PATIENT_KEY = "clinic_patient"
VIEWS = ("patients", "session", "progress", "reports")


def _t(key: str, lang: str, **values: Any) -> str:
    return text(f"clinic_ui.{key}", lang, **values)


def _logged_in(db: Any, lang: str) -> Clinician | None:
    """The clinician of the session token, or None (an expired token is dropped, with a note)."""
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    try:
        return auth.authenticate(db, token)
    except auth.AuthError:
        del st.session_state[TOKEN_KEY]
        st.warning(_t("expired", lang))
        return None


def _login_form(db: Any, url: str, lang: str) -> None:
    st.subheader(_t("login_title", lang))
    if auth.count_clinics(db) == 0:
        st.info(_t("first_run", lang))
    with st.form("clinic_login"):
        user = st.text_input(_t("username", lang), key="clinic_user")
        password = st.text_input(_t("password", lang), type="password", key="clinic_password")
        if st.form_submit_button(_t("login", lang), type="primary"):
            try:
                st.session_state[TOKEN_KEY] = auth.login(db, user, password)
            except auth.LockedOutError:
                minutes = round(auth.LOCKOUT_WINDOW.total_seconds() / 60)
                st.error(_t("login_locked", lang, minutes=minutes))
            except auth.AuthError:
                st.error(_t("login_failed", lang))
            else:
                st.rerun()
    st.caption(_t("db_where", lang, url=shown_url(url)))


def _logout(ctx: ClinicContext) -> None:
    current = st.session_state.get(clinic_session.SESSION_KEY)
    if current:
        clinic_session.save_unsaved_live_sets(ctx, current["id"])
    auth.logout(ctx.db, st.session_state.pop(TOKEN_KEY, ""))
    for key in (PATIENT_KEY, clinic_session.SESSION_KEY, clinic_session.ANALYSIS_KEY):
        st.session_state.pop(key, None)


# -- patients -------------------------------------------------------------------------------

def _add_patient(ctx: ClinicContext) -> None:
    """Form callback: register the patient and make them the current one."""
    s = st.session_state
    code = (s.get("new_code") or "").strip()
    try:
        records.add_patient(ctx.db, ctx.clinician, code, s["new_approach"], s["new_side"],
                            s.get("new_surgery"), s.get("new_exercises") or EXERCISE_IDS)
    except ValueError as exc:
        flash("error", ctx.t("not_saved", detail=exc))
        return
    s[PATIENT_KEY] = code
    s["new_code"] = ""
    flash("success", ctx.t("added", code=code))


def _patients_table(ctx: ClinicContext, patients: list[Patient]) -> None:
    st.dataframe([{
        ctx.t("col_code"): p.code,
        ctx.t("col_approach"): ctx.approach(p.approach),
        ctx.t("col_side"): ctx.side(p.operated_side),
        ctx.t("col_surgery"): p.surgery_date.isoformat() if p.surgery_date else "",
        ctx.t("col_dosage"): dosage_text(p),
        ctx.t("col_exercises"): ", ".join(ctx.exercise(e).split(".")[0]
                                          for e in p.enabled_exercises),
    } for p in patients], hide_index=True)


def _add_form(ctx: ClinicContext, expanded: bool) -> None:
    with st.expander(ctx.t("add_patient"), expanded=expanded), st.form("clinic_add_patient"):
        st.text_input(ctx.t("code"), key="new_code", max_chars=64)
        c = st.columns(3)
        c[0].radio(text("app.approach", ctx.lang), APPROACHES, key="new_approach",
                   format_func=ctx.approach)
        c[1].radio(ctx.t("col_side"), SIDES, key="new_side", horizontal=True,
                   format_func=ctx.side)
        c[2].date_input(ctx.t("surgery_date"), value=None, key="new_surgery",
                        max_value=dt.date.today())
        st.multiselect(ctx.t("protocol_exercises"), EXERCISE_IDS, default=EXERCISE_IDS,
                       key="new_exercises", format_func=ctx.exercise)
        st.form_submit_button(ctx.t("add"), type="primary", on_click=_add_patient,
                              args=(ctx,))


def _first_upper(words: str) -> str:
    return words[:1].upper() + words[1:]


def _default_limit(spec: ExerciseSpec, name: str) -> float:
    """The programme's value of a limit named like an override (``code.max`` or a field)."""
    code, _, kind = name.partition(".")
    if not kind:
        return float(getattr(spec, name))
    return float(next(getattr(r, kind) for r in spec.faults if r.code == code))


def _limit_inputs(ctx: ClinicContext, patient: Patient, exercise: str) -> dict[str, float]:
    """Number inputs for one exercise's limits; returns the values set (empty = default)."""
    spec = default_programme().exercise(exercise)
    current = patient.limit_overrides.get(exercise, {})
    fields = [("target_deg", ctx.t("target_deg", default=spec.target_deg), spec.start_deg + 1.0)]
    if spec.hold_s > 0:
        fields.append(("hold_s", ctx.t("hold_s", default=spec.hold_s), 0.0))
    for rule in spec.faults:
        kind = "max" if rule.max is not None else "min"
        fields.append((f"{rule.code}.{kind}",
                       ctx.t("fault_limit", fault=_first_upper(ctx.fault(rule.code)),
                             kind=ctx.t(f"limit_{kind}"), default=getattr(rule, kind)), None))
    values = {}
    cols = st.columns(3)
    for i, (name, label, minimum) in enumerate(fields):
        default = _default_limit(spec, name)
        fine = "." in name and abs(default) < 5  # a ratio limit, not degrees
        value = cols[i % 3].number_input(
            label, value=None if name not in current else float(current[name]),
            min_value=None if minimum is None else float(minimum),
            step=0.05 if fine else 1.0, format="%.2f" if fine else "%.0f",
            key=f"limit_{patient.code}_{exercise}_{name}")
        if value is not None:
            values[name] = float(value)
    return values


def _protocol_form(ctx: ClinicContext, patient: Patient) -> None:
    st.subheader(ctx.t("protocol_title", code=patient.code))
    with st.form(f"protocol_{patient.code}"):
        st.markdown(f"**{ctx.t('protocol_exercises')}**")
        cols = st.columns(3)
        chosen = [e for i, e in enumerate(EXERCISE_IDS)
                  if cols[i % 3].checkbox(ctx.exercise(e), value=e in patient.enabled_exercises,
                                          key=f"proto_{patient.code}_{e}")]
        st.markdown(f"**{ctx.t('limits')}**")
        overrides = {}
        for exercise in EXERCISE_IDS:
            with st.expander(ctx.exercise(exercise)):
                limits = _limit_inputs(ctx, patient, exercise)
            if limits:
                overrides[exercise] = limits
        current = records.dosage_of(patient)
        stage = st.select_slider(ctx.t("dosage_stage"), DOSAGE_STAGES, value=current,
                                 format_func=dosage_text, key=f"dosage_{patient.code}")
        if not st.form_submit_button(ctx.t("save_protocol"), type="primary"):
            return
    try:
        records.update_protocol(ctx.db, ctx.clinician, patient.code, chosen, overrides)
        if stage != current:
            records.apply_dosage(ctx.db, ctx.clinician, patient.code, stage)
            flash("info", ctx.t("dosage_set", dosage=dosage_text(stage)))
    except ValueError as exc:
        st.error(ctx.t("not_saved", detail=exc))
        return
    flash("success", ctx.t("protocol_saved"))
    st.rerun()


NEW_LINK_KEY = "clinic_new_link"


def _app_base_url() -> str:
    """Where patients reach this app: ``$FORMCHECK_BASE_URL``, else the address in use."""
    if os.environ.get(links.BASE_URL_ENV):
        return links.base_url()
    try:
        here = urlsplit(st.context.url)
        return links.base_url(f"{here.scheme}://{here.netloc}")
    except (AttributeError, ValueError):
        return links.base_url()


def _make_link(ctx: ClinicContext, code: str, renew: bool) -> None:
    days = int(st.session_state.get(f"link_days_{code}") or links.DEFAULT_DAYS)
    make = links.renew_link if renew else links.create_link
    token, link = make(ctx.db, ctx.clinician, code, days)
    st.session_state[NEW_LINK_KEY] = {
        "code": code, "url": links.link_url(token, _app_base_url()),
        "until": f"{link.expires_at.astimezone():%Y-%m-%d %H:%M}"}


def _revoke(ctx: ClinicContext, code: str) -> None:
    st.session_state.pop(NEW_LINK_KEY, None)
    count = links.revoke_links(ctx.db, ctx.clinician, code)
    flash("info", ctx.t("link_revoked", count=count, code=code))


def _links_section(ctx: ClinicContext, patient: Patient) -> None:
    """The patient's personal link for home: create, renew, revoke; video from home."""
    code = patient.code
    st.subheader(ctx.t("links_title"))
    st.caption(ctx.t("links_help", code=code))
    existing = links.list_links(ctx.db, ctx.clinician, code)
    if existing:
        st.dataframe([{
            ctx.t("link_col_created"): f"{x.created_at.astimezone():%Y-%m-%d %H:%M}",
            ctx.t("link_col_until"): f"{x.expires_at.astimezone():%Y-%m-%d %H:%M}",
            ctx.t("link_col_used"): (f"{x.last_used_at.astimezone():%Y-%m-%d %H:%M}"
                                     if x.last_used_at else "-"),
            ctx.t("link_col_status"): ctx.t(f"link_status_{links.link_status(x)}"),
        } for x in existing[:5]], hide_index=True)
    else:
        st.caption(ctx.t("link_none"))
    new = st.session_state.get(NEW_LINK_KEY)
    if new and new["code"] == code:
        st.success(ctx.t("link_new", code=code, until=new["until"]))
        st.code(new["url"], language=None)
    active = any(links.link_status(x) == "active" for x in existing)
    c = st.columns([1, 1, 1, 2])
    c[0].number_input(ctx.t("link_days"), 1, links.MAX_DAYS, links.DEFAULT_DAYS,
                      key=f"link_days_{code}")
    c[1].button(ctx.t("link_renew" if active else "link_create"), type="primary",
                key=f"link_make_{code}", on_click=_make_link, args=(ctx, code, active))
    c[2].button(ctx.t("link_revoke"), key=f"link_revoke_{code}", disabled=not active,
                on_click=_revoke, args=(ctx, code))
    st.toggle(ctx.t("home_video"), value=patient.home_video_allowed, key=f"home_video_{code}",
              on_change=lambda: links.set_home_video(
                  ctx.db, ctx.clinician, code, bool(st.session_state[f"home_video_{code}"])))


def _patients_view(ctx: ClinicContext, patients: list[Patient], patient: Patient | None) -> None:
    if patients:
        _patients_table(ctx, patients)
    else:
        st.info(ctx.t("no_patients"))
    _add_form(ctx, expanded=not patients)
    if patient is not None:
        _links_section(ctx, patient)
        _protocol_form(ctx, patient)


# -- the page -------------------------------------------------------------------------------

def render(lang: str) -> None:
    """The clinic page: login first, then patients, screening, progress and reports."""
    st.header(_t("title", lang))
    url = db_url()
    try:
        db = database(url)
        clinician = _logged_in(db, lang)
    except SQLAlchemyError as exc:
        log.exception("clinic store at %s", shown_url(url))
        st.error(_t("db_error", lang, detail=type(exc).__name__))
        return
    if clinician is None:
        _login_form(db, url, lang)
        return
    ctx = ClinicContext(db, url, clinician, lang)
    top = st.columns([4, 1])
    top[0].markdown(ctx.t("logged_in_as", user=clinician.username, clinic=clinician.clinic.name))
    if top[1].button(ctx.t("logout"), key="clinic_logout"):
        _logout(ctx)
        st.rerun()
    patients = records.list_patients(db, clinician)
    codes = [p.code for p in patients]
    if st.session_state.get(PATIENT_KEY) not in codes:
        st.session_state.pop(PATIENT_KEY, None)
    pick = st.columns([1, 3])
    code = pick[0].selectbox(ctx.t("patient"), codes, key=PATIENT_KEY, index=None,
                             placeholder="—") if codes else None
    view = pick[1].radio(ctx.t("view"), VIEWS, horizontal=True, key="clinic_view",
                         format_func=lambda v: ctx.t(f"view_{v}"))
    show_flashes()
    patient = next((p for p in patients if p.code == code), None)
    if view == "patients":
        _patients_view(ctx, patients, patient)
    elif patient is None:
        st.info(ctx.t("pick_patient_first"))
    elif view == "session":
        clinic_session.render(ctx, patient)
    elif view == "progress":
        clinic_progress.render_progress(ctx, patient)
    else:
        clinic_progress.render_reports(ctx, patient)
