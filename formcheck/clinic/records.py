"""Patients, protocols, screening sessions and exercise sets, scoped to a clinician's clinic.

Every read or write of patient data takes the acting principal as a required argument: a
logged-in :class:`~formcheck.clinic.models.Clinician` (from
:func:`formcheck.clinic.auth.authenticate`) or a :class:`LinkGrant` (a patient link exchanged
for a page session, :func:`formcheck.clinic.links.authenticate_link`). A clinician finds only
the patients of their clinic; a link only its one patient, only that patient's home sessions,
and only while the link is neither revoked nor expired (checked in every transaction). Anyone
else's patient or session is reported as not found. Managing patients (adding, protocols,
dosage, deleting) needs a clinician. :func:`save_set` commits
each set in its own transaction, so a crash loses at most the set being written, and numbers
sets under a lock on the screening session, so concurrent saves never collide.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from formcheck.clinic.db import Database
from formcheck.clinic.models import (
    Clinician,
    DosageChange,
    ExerciseSet,
    Patient,
    PatientLink,
    Rep,
    ScreeningSession,
    utcnow,
)
from formcheck.clinic.progress import PainReport, RepRecord, SetRecord, pain_advice
from formcheck.clinic.protocol import (
    APPROACHES,
    EXERCISE_IDS,
    SIDES,
    START_DOSAGE,
    Dosage,
    check_choice,
    check_exercises,
    check_limit_overrides,
)


@dataclass(frozen=True)
class LinkGrant:
    """A patient link in use: may touch patient ``patient_id``'s programme and home sets only."""

    link_id: int
    patient_id: int
    clinic_id: int


Principal = Clinician | LinkGrant
"""Who acts on patient data: a logged-in clinician, or a patient link."""

SOURCE_CLINIC = "clinic"
SOURCE_HOME = "home"
#: Home sets less than this apart belong to one session (one sitting of the programme).
SITTING_GAP = dt.timedelta(hours=1)

CODE_MAX_LENGTH = 32
CODE_RULE = (
    f"a patient code is a pseudonym: 1-{CODE_MAX_LENGTH} letters (A-Z), digits and '-', "
    "with at least one digit, and no name or date in it (e.g. HIP-042)"
)
_CODE_FORM = re.compile(rf"[A-Za-z0-9](?:[A-Za-z0-9-]{{0,{CODE_MAX_LENGTH - 1}}})")
_DIGIT_RUNS = re.compile(r"\d+")
#: Contract fields of the engine's JSON result (README "JSON result") kept in the store, plus
#: ``ended_by`` of a live set. Anything else (a file name, a patient's name) is dropped.
RESULT_FIELDS = (
    "formcheck_version", "source", "exercise", "side", "approach", "lang", "rep_count",
    "attempts", "reps", "sets", "detection_rate", "view", "duration_s", "warnings", "signal",
    "limits", "calibration", "wrong_leg_reps", "series", "ended_by",
)
REP_FIELDS = ("index", "set", "start_s", "end_s", "peak_deg", "hold_s", "completed", "faults",
              "metrics")
#: ``source`` values that name no file; any other source (a video path) is stored as "video".
SOURCE_KINDS = ("live", "upload", "video", "landmarks")
_WORD = re.compile(r"[a-z][a-z0-9_]{0,39}")


class NotFoundError(LookupError):
    """No such patient or session in the clinician's clinic."""


class PrivacyError(PermissionError):
    """Video storage was not switched on for this session."""


SAVE_ERRORS = (ValueError, LookupError, PermissionError, OSError, SQLAlchemyError)
"""What saving a set may raise (a UI shows it as "not saved" instead of a traceback)."""


class LinkRefused(PermissionError):
    """A patient link that is revoked, expired or unknown: ``reason`` says which.

    ``reason``: ``unknown``, ``revoked``, ``expired`` or ``session_expired`` (the page session
    the link was exchanged for ended; opening the link again starts a new one).
    """

    def __init__(self, reason: str) -> None:
        messages = {"unknown": "unknown link", "revoked": "this link was revoked",
                    "expired": "this link has expired",
                    "session_expired": "this page session has expired; open your link again"}
        super().__init__(messages.get(reason, reason))
        self.reason = reason


def clinic_of(principal: Principal) -> int:
    """Return the clinic whose patient data ``principal`` may touch; refuse anyone else."""
    if isinstance(principal, LinkGrant):
        return principal.clinic_id
    if not isinstance(principal, Clinician) or principal.clinic_id is None:
        raise PermissionError("patient data needs a logged-in clinician or a patient link")
    return principal.clinic_id


def clinician_only(principal: Principal) -> Clinician:
    """Return ``principal`` if it is a logged-in clinician; a patient link is refused."""
    if not isinstance(principal, Clinician) or principal.clinic_id is None:
        raise PermissionError("only a logged-in clinician may do this")
    return principal


def check_link_live(s: Session, grant: LinkGrant, now: dt.datetime | None = None) -> None:
    """Raise :class:`LinkRefused` unless ``grant``'s link is still valid (within ``s``)."""
    link = s.get(PatientLink, grant.link_id)
    if link is None or link.patient_id != grant.patient_id:
        raise LinkRefused("unknown")
    if link.revoked:
        raise LinkRefused("revoked")
    if (now or utcnow()) >= link.expires_at:
        raise LinkRefused("expired")


def _looks_like_date(code: str) -> bool:
    """Whether ``code`` holds a calendar date (1900-2099) in a common written form."""
    runs = _DIGIT_RUNS.findall(code)
    joined = ["".join(runs[i : i + 3]) for i in range(len(runs) - 2)]
    for digits in [r for r in runs if len(r) >= 8] + joined:
        for start in range(len(digits) - 7):
            d = digits[start : start + 8]
            for year, month, day in ((d[:4], d[4:6], d[6:]), (d[4:], d[2:4], d[:2])):
                try:
                    if 1900 <= int(year) <= 2099:
                        dt.date(int(year), int(month), int(day))
                        return True
                except ValueError:
                    continue
    return False


def check_code(code: str) -> str:
    """Return ``code`` stripped if it is a valid pseudonym, else raise ``ValueError``.

    Allowed: letters A-Z, digits and ``-``, at most :data:`CODE_MAX_LENGTH`, at least one
    digit (a code of letters only is likely a name), no date (a birth date identifies).
    """
    code = str(code).strip()
    if not code:
        raise ValueError(f"patient code is empty; {CODE_RULE}")
    if not _CODE_FORM.fullmatch(code) or not any(c.isdigit() for c in code):
        raise ValueError(f"refused patient code: {CODE_RULE}")
    if _looks_like_date(code):
        raise ValueError(f"refused patient code (it holds a date): {CODE_RULE}")
    return code


def patient_in_clinic(s: Session, clinician: Principal, code: str) -> Patient:
    """Return the patient ``code`` of the principal's clinic (a link: its patient), else raise."""
    clinic_id = clinic_of(clinician)
    query = select(Patient).where(Patient.clinic_id == clinic_id, Patient.code == code)
    if isinstance(clinician, LinkGrant):
        check_link_live(s, clinician)
        query = query.where(Patient.id == clinician.patient_id)
    patient = s.scalar(query)
    if patient is None:
        raise NotFoundError(f"no patient {code!r} in your clinic")
    return patient


def patient_of_link(s: Session, grant: LinkGrant) -> Patient:
    """Return the one patient of a live link within ``s``."""
    check_link_live(s, grant)
    patient = s.get(Patient, grant.patient_id)
    if patient is None or patient.clinic_id != grant.clinic_id:
        raise NotFoundError("no such patient")
    return patient


def session_in_clinic(
    s: Session, session_id: int, clinician: Principal, lock: bool = False
) -> ScreeningSession:
    """Return screening session ``session_id`` within ``s`` if it is the clinician's clinic's.

    ``lock``: hold the session's row until the transaction ends (``SELECT ... FOR UPDATE``;
    SQLite transactions are write-locked from their start, see :mod:`formcheck.clinic.db`).
    """
    clinic_id = clinic_of(clinician)
    query = select(ScreeningSession).where(ScreeningSession.id == session_id)
    if isinstance(clinician, LinkGrant):
        check_link_live(s, clinician)
        query = query.where(ScreeningSession.patient_id == clinician.patient_id,
                            ScreeningSession.source == SOURCE_HOME)
    if lock:
        query = query.with_for_update()
    screening = s.scalar(query)
    if screening is None or screening.patient.clinic_id != clinic_id:
        raise NotFoundError(f"no screening session {session_id} in your clinic")
    return screening


def dosage_of(patient: Patient) -> Dosage:
    """Return the patient's current dosage stage."""
    return Dosage(patient.dosage_sets, patient.dosage_reps)


def add_patient(
    db: Database,
    clinician: Clinician,
    code: str,
    approach: str,
    operated_side: str,
    surgery_date: dt.date | None = None,
    exercises: Iterable[str] = EXERCISE_IDS,
    limit_overrides: Mapping[str, Any] | None = None,
    dosage: Dosage = START_DOSAGE,
) -> Patient:
    """Register a patient under a pseudonymous ``code`` (never a name) with their protocol."""
    code = check_code(code)
    patient = Patient(
        clinic_id=clinic_of(clinician_only(clinician)),
        code=code,
        approach=check_choice(approach, APPROACHES, "approach"),
        operated_side=check_choice(operated_side, SIDES, "operated side"),
        surgery_date=surgery_date,
        enabled_exercises=check_exercises(exercises),
        limit_overrides=check_limit_overrides(limit_overrides or {}),
        dosage_sets=dosage.sets,
        dosage_reps=dosage.reps,
    )
    with db.transaction() as s:
        exists = s.scalar(
            select(Patient.id).where(Patient.clinic_id == patient.clinic_id, Patient.code == code)
        )
        if exists is not None:
            raise ValueError(f"patient {code!r} already exists")
        s.add(patient)
    return patient


def get_patient(db: Database, clinician: Clinician, code: str) -> Patient:
    """Look up a patient of the clinician's clinic by code."""
    with db.transaction() as s:
        return patient_in_clinic(s, clinician, code)


def list_patients(db: Database, clinician: Clinician) -> list[Patient]:
    """All patients of the clinician's clinic, by code."""
    with db.transaction() as s:
        query = select(Patient).where(Patient.clinic_id == clinic_of(clinician_only(clinician)))
        return list(s.scalars(query.order_by(Patient.code)))


def update_protocol(
    db: Database,
    clinician: Clinician,
    code: str,
    exercises: Iterable[str] | None = None,
    limit_overrides: Mapping[str, Any] | None = None,
) -> Patient:
    """Change which exercises apply and/or the limit overrides (``None``: keep)."""
    clinician_only(clinician)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        if exercises is not None:
            patient.enabled_exercises = check_exercises(exercises)
        if limit_overrides is not None:
            patient.limit_overrides = check_limit_overrides(limit_overrides)
    return patient


def apply_dosage(db: Database, clinician: Clinician, code: str, stage: Dosage) -> DosageChange:
    """Record the clinician's confirmation of a new dosage stage and make it current."""
    clinician_only(clinician)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        change = DosageChange(
            patient_id=patient.id,
            clinician_id=clinician.id,
            from_sets=patient.dosage_sets,
            from_reps=patient.dosage_reps,
            to_sets=stage.sets,
            to_reps=stage.reps,
        )
        patient.dosage_sets, patient.dosage_reps = stage.sets, stage.reps
        s.add(change)
    return change


def start_session(
    db: Database,
    clinician: Clinician,
    code: str,
    store_video: bool = False,
    started_at: dt.datetime | None = None,
) -> ScreeningSession:
    """Open a screening session; video is kept only if ``store_video`` is switched on."""
    clinician_only(clinician)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        screening = ScreeningSession(
            patient_id=patient.id,
            clinician_id=clinician.id,
            started_at=started_at or utcnow(),
            store_video=store_video,
        )
        s.add(screening)
    return screening


def get_session(db: Database, clinician: Clinician, session_id: int) -> ScreeningSession:
    """Return a screening session of the clinician's clinic."""
    with db.transaction() as s:
        return session_in_clinic(s, session_id, clinician)


def attach_video(db: Database, clinician: Clinician, session_id: int, path: str | Path) -> None:
    """Record where the session's video is kept; refused unless ``store_video`` is on."""
    with db.transaction() as s:
        screening = session_in_clinic(s, session_id, clinician)
        if not screening.store_video:
            raise PrivacyError(f"session {session_id} does not allow storing video")
        screening.video_path = str(path)


def _number(value: Any, kind: type, what: str) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number")
    return kind(value)


def _reps_from_result(result: Mapping[str, Any]) -> list[Rep]:
    reps = []
    for position, rep in enumerate(result.get("reps") or [], start=1):
        if not isinstance(rep, Mapping):
            raise ValueError("each rep must be an object")
        faults = rep.get("faults") or []
        if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
            raise ValueError("rep faults must be a list of codes")
        reps.append(
            Rep(
                index=_number(rep.get("index", position), int, "rep index"),
                start_s=_number(rep.get("start_s"), float, "start_s"),
                end_s=_number(rep.get("end_s"), float, "end_s"),
                peak_deg=_number(rep.get("peak_deg"), float, "peak_deg"),
                hold_s=_number(rep.get("hold_s"), float, "hold_s"),
                completed=bool(rep.get("completed", True)),
                faults=list(faults),
            )
        )
    return reps


def _previous_pain(s: Session, patient_id: int,
                   before: ExerciseSet | None = None) -> PainReport | None:
    """The pain report of the patient's last set (``before``: the last one saved before it)."""
    query = select(ExerciseSet).join(ScreeningSession).where(
        ScreeningSession.patient_id == patient_id)
    if before is not None:
        query = query.where(ExerciseSet.id != before.id, ExerciseSet.saved_at <= before.saved_at)
    last = s.scalar(
        query.order_by(ExerciseSet.saved_at.desc(), ExerciseSet.id.desc()).limit(1)
    )
    return PainReport(last.pain, last.swelling) if last is not None else None


def _plain_warning(warning: Any) -> dict[str, Any]:
    """A warning's code and message, and only data that are numbers or code words."""
    if not isinstance(warning, Mapping):
        raise ValueError("each warning must be an object")

    def plain(value: Any) -> bool:
        if isinstance(value, list | tuple):
            return all(plain(v) for v in value)
        return (isinstance(value, int | float | bool) or value is None
                or (isinstance(value, str) and _WORD.fullmatch(value) is not None))

    out = {k: warning[k] for k in ("code", "message") if isinstance(warning.get(k), str)}
    out.update({k: v for k, v in warning.items()
                if k not in out and isinstance(k, str) and _WORD.fullmatch(k) and plain(v)})
    return out


def stored_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an engine result the store keeps: :data:`RESULT_FIELDS`, no file names.

    Reps keep :data:`REP_FIELDS`; warnings their code, message and plain data; a ``source``
    that is not one of :data:`SOURCE_KINDS` (a video's path) becomes ``"video"``.
    """
    out = {k: result[k] for k in RESULT_FIELDS if k in result}
    if "source" in out and out["source"] not in SOURCE_KINDS:
        out["source"] = "video"
    if isinstance(out.get("reps"), list):
        out["reps"] = [{k: r[k] for k in REP_FIELDS if k in r} if isinstance(r, Mapping) else r
                       for r in out["reps"]]
    if "warnings" in out:
        if not isinstance(out["warnings"], list):
            raise ValueError("warnings must be a list")
        out["warnings"] = [_plain_warning(w) for w in out["warnings"]]
    return out


def save_set(
    db: Database,
    session_id: int,
    result: Mapping[str, Any],
    pain: int | None,
    swelling: bool = False,
    *,
    clinician: Principal,
    saved_at: dt.datetime | None = None,
) -> ExerciseSet:
    """Store one finished set (the engine's JSON result) in its own committed transaction.

    ``pain`` is 0-10 (``None``: not asked). The set's ``pain_advice`` holds the leaflet's
    pain-rule code (see :func:`formcheck.clinic.progress.pain_advice`) or ``None``. Only
    :func:`stored_result` of ``result`` is kept. The set number is the session's next, taken
    while the session is locked, so concurrent saves into one session all get stored.
    """
    with db.transaction() as s:
        return add_set(s, session_id, result, pain, swelling, clinician=clinician,
                       saved_at=saved_at)


def add_set(
    s: Session,
    session_id: int,
    result: Mapping[str, Any],
    pain: int | None,
    swelling: bool = False,
    *,
    clinician: Principal,
    saved_at: dt.datetime | None = None,
) -> ExerciseSet:
    """:func:`save_set` inside the caller's transaction ``s`` (flushed, not committed).

    For a caller that must write something else atomically with the set (an analysis job
    marking itself done with the set it saved).
    """
    clinic_of(clinician)
    result = stored_result(result)
    exercise = check_choice(str(result.get("exercise")), EXERCISE_IDS, "exercise")
    if pain is not None and (isinstance(pain, bool) or not 0 <= int(pain) <= 10):
        raise ValueError("pain must be a whole number from 0 to 10")
    reps = _reps_from_result(result)
    rep_count = _number(result.get("rep_count"), int, "rep_count")
    if rep_count is None:
        rep_count = sum(1 for rep in reps if rep.completed)
    warnings = result.get("warnings") or []
    side, approach, view = result.get("side"), result.get("approach"), result.get("view")
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}")
    if approach is not None and approach not in APPROACHES:
        raise ValueError(f"approach must be one of {', '.join(APPROACHES)}")
    if view is not None and not (isinstance(view, str) and _WORD.fullmatch(view)
                                 and len(view) <= 20):
        raise ValueError("view must be a short code word")
    screening = session_in_clinic(s, session_id, clinician, lock=True)
    patient = screening.patient
    if exercise not in patient.enabled_exercises:
        raise ValueError(f"{exercise} is not in patient {patient.code}'s protocol")
    if isinstance(clinician, LinkGrant) and (
            side not in (None, patient.operated_side)
            or approach not in (None, patient.approach)):
        raise ValueError("a home set must use the patient's own side and approach")
    advice = pain_advice(_previous_pain(s, patient.id), PainReport(pain, bool(swelling)))
    number = s.scalar(
        select(func.coalesce(func.max(ExerciseSet.set_number), 0)).where(
            ExerciseSet.session_id == session_id
        )
    )
    exercise_set = ExerciseSet(
        session_id=session_id,
        set_number=(number or 0) + 1,
        exercise=exercise,
        side=side,
        approach=approach,
        rep_count=rep_count,
        attempts=_number(result.get("attempts"), int, "attempts"),
        target_reps=patient.dosage_reps,
        detection_rate=_number(result.get("detection_rate"), float, "detection_rate"),
        view=view,
        duration_s=_number(result.get("duration_s"), float, "duration_s"),
        warnings=list(warnings),
        pain=None if pain is None else int(pain),
        swelling=bool(swelling),
        pain_advice=advice,
        saved_at=saved_at or utcnow(),
        raw_result=dict(result),
        reps=reps,
    )
    s.add(exercise_set)
    s.flush()
    return exercise_set


def answer_pain(
    db: Database, set_id: int, pain: int, swelling: bool = False, *, clinician: Principal
) -> ExerciseSet:
    """Record the pain/swelling answer of a set saved without one; returns it with its advice.

    The leaflet's pain rule compares with the set saved before it (:func:`save_set`).
    """
    if isinstance(pain, bool) or not isinstance(pain, int) or not 0 <= pain <= 10:
        raise ValueError("pain must be a whole number from 0 to 10")
    with db.transaction() as s:
        exercise_set = s.get(ExerciseSet, set_id, with_for_update=True)
        if exercise_set is None:
            raise NotFoundError(f"no set {set_id} in your clinic")
        session_in_clinic(s, exercise_set.session_id, clinician)
        if exercise_set.pain is not None:
            raise ValueError(f"set {set_id} already has a pain score")
        patient_id = exercise_set.session.patient_id
        exercise_set.pain, exercise_set.swelling = pain, bool(swelling)
        exercise_set.pain_advice = pain_advice(
            _previous_pain(s, patient_id, before=exercise_set), PainReport(pain, bool(swelling)))
    return exercise_set


def home_session(
    db: Database, grant: LinkGrant, store_video: bool = False, now: dt.datetime | None = None
) -> ScreeningSession:
    """The home session to save into: the patient's current sitting, else a new one.

    A sitting goes on while its last set (or its start) is less than :data:`SITTING_GAP` ago
    and it keeps video the same way. ``store_video`` needs the clinician's permission
    (``Patient.home_video_allowed``); the patient's own agreement is the caller's to ask.
    """
    if not isinstance(grant, LinkGrant):
        raise PermissionError("home sessions are opened through a patient link")
    now = now or utcnow()
    with db.transaction() as s:
        patient = patient_of_link(s, grant)
        if store_video and not patient.home_video_allowed:
            raise PrivacyError("storing video from home is not switched on for this patient")
        last = s.scalar(
            select(ScreeningSession)
            .where(ScreeningSession.patient_id == patient.id,
                   ScreeningSession.source == SOURCE_HOME)
            .order_by(ScreeningSession.started_at.desc(), ScreeningSession.id.desc())
            .limit(1)
        )
        if last is not None and last.store_video == store_video:
            latest = s.scalar(select(func.max(ExerciseSet.saved_at))
                              .where(ExerciseSet.session_id == last.id))
            latest = latest.replace(tzinfo=dt.UTC) if latest and latest.tzinfo is None else latest
            if now - max(latest or last.started_at, last.started_at) < SITTING_GAP:
                return last
        screening = ScreeningSession(patient_id=patient.id, clinician_id=None, started_at=now,
                                     store_video=store_video, source=SOURCE_HOME,
                                     link_id=grant.link_id)
        s.add(screening)
    return screening


def link_patient(db: Database, grant: LinkGrant) -> Patient:
    """The patient (programme, side, approach, limits, dosage) of a live patient link."""
    with db.transaction() as s:
        return patient_of_link(s, grant)


def _set_record(exercise_set: ExerciseSet) -> SetRecord:
    return SetRecord(
        set_id=exercise_set.id,
        session_id=exercise_set.session_id,
        exercise=exercise_set.exercise,
        performed_at=exercise_set.saved_at,
        rep_count=exercise_set.rep_count,
        target_reps=exercise_set.target_reps,
        pain=exercise_set.pain,
        swelling=exercise_set.swelling,
        source=exercise_set.session.source,
        reps=tuple(
            RepRecord(r.index, r.peak_deg, r.hold_s, r.completed, tuple(r.faults))
            for r in exercise_set.reps
        ),
    )


def set_records(db: Database, clinician: Clinician, code: str) -> list[SetRecord]:
    """All sets of a patient as plain records for :mod:`formcheck.clinic.progress`."""
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        sets = s.scalars(
            select(ExerciseSet)
            .join(ScreeningSession)
            .where(ScreeningSession.patient_id == patient.id)
            .options(selectinload(ExerciseSet.reps), selectinload(ExerciseSet.session))
            .order_by(ExerciseSet.saved_at, ExerciseSet.id)
        )
        return [_set_record(x) for x in sets]


def delete_patient(db: Database, clinician: Clinician, code: str) -> int:
    """Delete a patient and everything recorded about them, including stored video files.

    A session's ``video_path`` may be one file or a folder of them (the app keeps one
    folder per session); the folders of the patient's uploads (their pose tracks, and a
    video still waiting for analysis) go too. Returns the number of video files removed.
    """
    from formcheck.jobs.store import AnalysisJob  # (its table holds clinic uploads' jobs)

    clinician_only(clinician)
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        videos = [x.video_path for x in patient.sessions if x.video_path]
        uploads = s.scalars(select(AnalysisJob).where(
            AnalysisJob.session_id.in_([x.id for x in patient.sessions])))
        # An upload's own folder: its copy of the video and its pose track.
        job_folders = {Path(j.video).parent for j in uploads
                       if j.track_out and Path(j.track_out).parent == Path(j.video).parent}
        s.delete(patient)
    for folder in job_folders:
        shutil.rmtree(folder, ignore_errors=True)
    removed = 0
    for video in videos:
        path = Path(video)
        if path.is_file():
            path.unlink()
            removed += 1
        elif path.is_dir():
            removed += sum(1 for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
    return removed
