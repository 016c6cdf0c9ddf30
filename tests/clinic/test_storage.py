from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from formcheck.clinic import records
from formcheck.clinic.db import default_db_url, init_db
from formcheck.clinic.models import (
    Base,
    DosageChange,
    ExerciseSet,
    Patient,
    Rep,
    ScreeningSession,
)
from formcheck.clinic.protocol import Dosage, ProtocolError


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_migrations_reach_models_and_are_idempotent(db, db_url):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, Base.metadata) == []
    init_db(db_url).dispose()  # upgrading again is a no-op


def test_default_url_is_sqlite_under_local_share(monkeypatch, tmp_path):
    monkeypatch.delenv("FORMCHECK_DB_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    url = default_db_url()
    assert url == f"sqlite:///{tmp_path}/.local/share/formcheck/formcheck.db"
    init_db(url).dispose()
    assert (tmp_path / ".local/share/formcheck/formcheck.db").is_file()
    monkeypatch.setenv("FORMCHECK_DB_URL", "sqlite:///elsewhere.db")
    assert default_db_url() == "sqlite:///elsewhere.db"


def test_patient_protocol_roundtrip(db, anna):
    records.add_patient(
        db,
        anna,
        "HIP-007",
        "anterior",
        "right",
        dt.date(2025, 2, 14),
        exercises=["bridge", "mini_squat"],
        limit_overrides={"mini_squat": {"max_hip_flexion_deg": 80}},
        dosage=Dosage(3, 6),
    )
    patient = records.get_patient(db, anna, "HIP-007")
    assert patient.enabled_exercises == ["mini_squat", "bridge"]  # leaflet order
    assert patient.limit_overrides == {"mini_squat": {"max_hip_flexion_deg": 80}}
    assert (patient.approach, patient.operated_side) == ("anterior", "right")
    assert patient.surgery_date == dt.date(2025, 2, 14)
    assert records.dosage_of(patient) == Dosage(3, 6)
    assert [p.code for p in records.list_patients(db, anna)] == ["HIP-007"]
    with pytest.raises(ValueError, match="already exists"):
        records.add_patient(db, anna, "HIP-007", "anterior", "right")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"approach": "lateral"},
        {"operated_side": "both"},
        {"exercises": ["jumping"]},
        {"exercises": []},
        {"limit_overrides": {"bridge": {"hold_s": "long"}}},
        {"limit_overrides": {"squat": {"x": 1}}},
    ],
)
def test_patient_validation(sqlite_db, make_clinician, kwargs):
    anna = make_clinician(sqlite_db, "Noord", "anna")
    args = {"approach": "posterolateral", "operated_side": "left", **kwargs}
    with pytest.raises(ProtocolError):
        records.add_patient(sqlite_db, anna, "P1", **args)


def test_dosage_stages():
    assert str(Dosage.parse("3×5")) == "3x5"
    assert Dosage(3, 5).next_stage() == Dosage(3, 6)
    assert Dosage(3, 10).next_stage() is None
    with pytest.raises(ProtocolError):
        Dosage(3, 11)
    with pytest.raises(ProtocolError):
        Dosage(2, 5)


def test_save_set_stores_reps_faults_and_raw_json(db, anna, make_result):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    screening = records.start_session(db, anna, "P1")
    assert screening.store_video is False and screening.video_path is None
    result = make_result(reps=6, completed=5, faults={1: ["too_fast"], 6: ["incomplete_range"]})
    saved = records.save_set(db, screening.id, result, pain=3, swelling=False, clinician=anna)
    assert saved.set_number == 1
    with db.transaction() as s:
        stored = s.get(ExerciseSet, saved.id)
        assert stored.raw_result == result
        assert (stored.exercise, stored.rep_count, stored.attempts) == ("mini_squat", 5, 6)
        assert stored.target_reps == 5 and stored.pain == 3 and stored.swelling is False
        assert stored.warnings[0]["code"] == "camera_low"
        assert [r.index for r in stored.reps] == [1, 2, 3, 4, 5, 6]
        assert stored.reps[0].faults == ["too_fast"]
        assert stored.reps[5].completed is False
        assert stored.reps[2].peak_deg == pytest.approx(71.5)
    second = records.save_set(db, screening.id, result, pain=5, swelling=False, clinician=anna)
    assert second.set_number == 2
    assert second.pain_advice == "pain_increase"


def test_save_set_rejects_bad_input(db, anna, make_result):
    records.add_patient(db, anna, "P1", "posterolateral", "left", exercises=["bridge"])
    screening = records.start_session(db, anna, "P1")
    with pytest.raises(ValueError, match="protocol"):
        records.save_set(db, screening.id, make_result("mini_squat"), 1, False, clinician=anna)
    with pytest.raises(ProtocolError):
        records.save_set(db, screening.id, make_result("cartwheel"), 1, False, clinician=anna)
    with pytest.raises(ValueError, match="pain"):
        records.save_set(db, screening.id, make_result("bridge"), 11, False, clinician=anna)
    assert _count(db, ExerciseSet) == 0


def test_apply_dosage_records_confirmation(db, anna):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    change = records.apply_dosage(db, anna, "P1", Dosage(3, 6))
    assert (change.from_reps, change.to_reps, change.clinician_id) == (5, 6, anna.id)
    assert records.dosage_of(records.get_patient(db, anna, "P1")) == Dosage(3, 6)


def test_clinic_isolation(db, anna, make_result, make_clinician):
    bert = make_clinician(db, "Zuid", "bert")
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    records.add_patient(db, bert, "P1", "anterior", "right")  # same code, other clinic
    records.add_patient(db, bert, "Z9", "anterior", "right")
    assert [p.code for p in records.list_patients(db, anna)] == ["P1"]
    assert records.get_patient(db, anna, "P1").approach == "posterolateral"
    with pytest.raises(records.NotFoundError):
        records.get_patient(db, anna, "Z9")
    with pytest.raises(records.NotFoundError):
        records.delete_patient(db, anna, "Z9")
    bert_session = records.start_session(db, bert, "Z9")
    with pytest.raises(records.NotFoundError):
        records.get_session(db, anna, bert_session.id)
    with pytest.raises(records.NotFoundError):
        records.save_set(db, bert_session.id, make_result(), 1, False, clinician=anna)


def test_video_only_when_flag_on(db, anna, tmp_path):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    private = records.start_session(db, anna, "P1")
    with pytest.raises(records.PrivacyError):
        records.attach_video(db, anna, private.id, tmp_path / "a.mp4")
    assert records.get_session(db, anna, private.id).video_path is None
    allowed = records.start_session(db, anna, "P1", store_video=True)
    records.attach_video(db, anna, allowed.id, tmp_path / "b.mp4")
    assert records.get_session(db, anna, allowed.id).video_path == str(tmp_path / "b.mp4")


def test_delete_patient_cascades(db, anna, make_result, tmp_path):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    records.add_patient(db, anna, "P2", "posterolateral", "right")
    video = tmp_path / "p1.mp4"
    video.write_bytes(b"\0")
    for code in ("P1", "P2"):
        screening = records.start_session(db, anna, code, store_video=True)
        records.save_set(db, screening.id, make_result(), 1, False, clinician=anna)
        records.save_set(db, screening.id, make_result(), 2, True, clinician=anna)
        if code == "P1":
            records.attach_video(db, anna, screening.id, video)
        records.apply_dosage(db, anna, code, Dosage(3, 6))
    assert _count(db, Rep) == 20
    assert records.delete_patient(db, anna, "P1") == 1
    assert not video.exists()
    assert [p.code for p in records.list_patients(db, anna)] == ["P2"]
    assert _count(db, Patient) == 1
    assert _count(db, ScreeningSession) == 1
    assert _count(db, ExerciseSet) == 2
    assert _count(db, Rep) == 10
    assert _count(db, DosageChange) == 1
