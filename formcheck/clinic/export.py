"""CSV and JSON export of everything stored about one patient.

CSV cells are safe to open in a spreadsheet: a text cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading ``'`` (OWASP's advice).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formcheck.clinic.db import Database
from formcheck.clinic.models import Clinician, ExerciseSet, Patient, ScreeningSession
from formcheck.clinic.records import patient_in_clinic

#: Columns of the CSV export: one row per repetition (a set without reps gives one row).
CSV_COLUMNS = (
    "patient_code",
    "approach",
    "operated_side",
    "surgery_date",
    "session_id",
    "session_started_at",
    "clinician",
    "store_video",
    "set_id",
    "set_number",
    "exercise",
    "side",
    "saved_at",
    "rep_count",
    "attempts",
    "target_reps",
    "detection_rate",
    "view",
    "duration_s",
    "pain",
    "swelling",
    "pain_advice",
    "warnings",
    "rep_index",
    "start_s",
    "end_s",
    "peak_deg",
    "hold_s",
    "completed",
    "faults",
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Return a text ``value`` that a spreadsheet would run as a formula with ``'`` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _set_dict(exercise_set: ExerciseSet) -> dict[str, Any]:
    return {
        "id": exercise_set.id,
        "set_number": exercise_set.set_number,
        "exercise": exercise_set.exercise,
        "side": exercise_set.side,
        "approach": exercise_set.approach,
        "saved_at": _iso(exercise_set.saved_at),
        "rep_count": exercise_set.rep_count,
        "attempts": exercise_set.attempts,
        "target_reps": exercise_set.target_reps,
        "detection_rate": exercise_set.detection_rate,
        "view": exercise_set.view,
        "duration_s": exercise_set.duration_s,
        "warnings": exercise_set.warnings,
        "pain": exercise_set.pain,
        "swelling": exercise_set.swelling,
        "pain_advice": exercise_set.pain_advice,
        "reps": [
            {
                "index": r.index,
                "start_s": r.start_s,
                "end_s": r.end_s,
                "peak_deg": r.peak_deg,
                "hold_s": r.hold_s,
                "completed": r.completed,
                "faults": r.faults,
            }
            for r in exercise_set.reps
        ],
        "raw_result": exercise_set.raw_result,
    }


def _patient_dict(patient: Patient) -> dict[str, Any]:
    return {
        "code": patient.code,
        "approach": patient.approach,
        "operated_side": patient.operated_side,
        "surgery_date": _iso(patient.surgery_date),
        "created_at": _iso(patient.created_at),
        "protocol": {
            "exercises": patient.enabled_exercises,
            "limit_overrides": patient.limit_overrides,
            "dosage": {"sets": patient.dosage_sets, "reps": patient.dosage_reps},
        },
        "dosage_changes": [
            {
                "from": f"{c.from_sets}x{c.from_reps}",
                "to": f"{c.to_sets}x{c.to_reps}",
                "clinician_id": c.clinician_id,
                "confirmed_at": _iso(c.confirmed_at),
            }
            for c in patient.dosage_changes
        ],
        "sessions": [
            {
                "id": x.id,
                "started_at": _iso(x.started_at),
                "clinician": x.clinician.username if x.clinician else None,
                "source": x.source,
                "store_video": x.store_video,
                "video_path": x.video_path,
                "sets": [_set_dict(e) for e in x.sets],
            }
            for x in patient.sessions
        ],
    }


def patient_export(db: Database, clinician: Clinician, code: str) -> dict[str, Any]:
    """Return everything about a patient as JSON-ready data (protocol, sessions, sets, reps)."""
    with db.transaction() as s:
        patient = patient_in_clinic(s, clinician, code)
        patient = s.scalars(
            select(Patient)
            .where(Patient.id == patient.id)
            .options(
                selectinload(Patient.dosage_changes),
                selectinload(Patient.sessions).selectinload(ScreeningSession.clinician),
                selectinload(Patient.sessions)
                .selectinload(ScreeningSession.sets)
                .selectinload(ExerciseSet.reps),
            )
        ).one()
        return {
            "format": "formcheck-patient-export",
            "version": 1,
            "patient": _patient_dict(patient),
        }


def csv_rows(export: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten :func:`patient_export` data into rows with :data:`CSV_COLUMNS`."""
    patient = export["patient"]
    rows = []
    for session in patient["sessions"]:
        for exercise_set in session["sets"]:
            base = {
                "patient_code": patient["code"],
                "approach": patient["approach"],
                "operated_side": patient["operated_side"],
                "surgery_date": patient["surgery_date"],
                "session_id": session["id"],
                "session_started_at": session["started_at"],
                "clinician": session["clinician"],
                "store_video": session["store_video"],
                "set_id": exercise_set["id"],
                "warnings": ";".join(w.get("code", "") for w in exercise_set["warnings"]),
            }
            base.update(
                {k: exercise_set[k] for k in CSV_COLUMNS if k not in base and k in exercise_set}
            )
            for rep in exercise_set["reps"] or [None]:
                row = dict(base)
                if rep is not None:
                    row.update(
                        rep_index=rep["index"],
                        start_s=rep["start_s"],
                        end_s=rep["end_s"],
                        peak_deg=rep["peak_deg"],
                        hold_s=rep["hold_s"],
                        completed=rep["completed"],
                        faults=";".join(rep["faults"]),
                    )
                rows.append(row)
    return rows


def write_json(db: Database, clinician: Clinician, code: str, path: str | Path) -> Path:
    """Write the patient's export as UTF-8 JSON."""
    path = Path(path)
    data = patient_export(db, clinician, code)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(db: Database, clinician: Clinician, code: str, path: str | Path) -> Path:
    """Write the patient's export as CSV, one row per repetition."""
    path = Path(path)
    rows = csv_rows(patient_export(db, clinician, code))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return path
