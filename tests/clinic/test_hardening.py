"""Clinic data under attack or load: concurrent saves, pseudonyms, stored fields, logins."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from formcheck.clinic import auth, export, records, reports
from formcheck.clinic.db import init_db
from formcheck.clinic.models import ExerciseSet, FailedLogin, LoginSession

PASSWORD = "correct horse battery"

WRITER = r"""
import json, sys
from formcheck.clinic import auth, records
from formcheck.clinic.db import open_db

url, session_id, token, result, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], 10
db = open_db(url)
clinician = auth.authenticate(db, token)
sys.stdin.readline()  # all writers start together
for i in range(n):
    records.save_set(db, session_id, json.loads(result), i % 11, clinician=clinician)
print("OK", flush=True)
"""


def test_concurrent_saves_into_one_session_all_stored(db, db_url, anna, make_result, repo_root):
    """8 processes x 10 sets into one screening session: 80 sets numbered 1..80."""
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    screening = records.start_session(db, anna, "P1")
    token = auth.login(db, "anna", PASSWORD, idle_timeout=dt.timedelta(hours=1))
    path = os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    result = json.dumps(make_result(reps=3))
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, str(screening.id), token, result],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )
        for _ in range(8)
    ]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outcomes = [writer.communicate(timeout=300) for writer in writers]
    assert [w.returncode for w in writers] == [0] * 8, [err[-800:] for _, err in outcomes]
    with db.transaction() as s:
        numbers = sorted(s.scalars(select(ExerciseSet.set_number)).all())
    assert numbers == list(range(1, 81))


@pytest.mark.parametrize(
    "code",
    [
        "Jan Jansen 1950-03-02", "Jansen", "Jan-Jansen", "1950-03-02", "HIP-19500302",
        "02-03-1950", "P" * 10_000, "HIP\n042", "HIP\t042", "HIP\x1b[31m042", "", "  ",
        "-042", "HIP_042", "Émile-1",
    ],
)
def test_patient_code_must_be_a_pseudonym(sqlite_db, make_clinician, code):
    anna = make_clinician(sqlite_db, "Noord", "anna")
    with pytest.raises(ValueError, match="pseudonym"):
        records.add_patient(sqlite_db, anna, code, "posterolateral", "left")
    assert records.list_patients(sqlite_db, anna) == []


@pytest.mark.parametrize("code", ["HIP-042", "P1", "ab12", "X-2025-7", "0000000042"])
def test_pseudonymous_codes_are_accepted(sqlite_db, make_clinician, code):
    anna = make_clinician(sqlite_db, "Noord", "anna")
    assert records.add_patient(sqlite_db, anna, code, "anterior", "right").code == code


def test_only_the_result_contract_is_stored(db, anna, make_result, tmp_path):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    screening = records.start_session(db, anna, "P1")
    result = make_result(reps=2)
    result["source"] = "/home/jan.jansen/videos/Jan Jansen squat.mp4"
    result["patient_name"] = "Jan Jansen"
    result["reps"][0]["note"] = "Jan Jansen"
    result["warnings"].append({"code": "wrong_leg", "message": "x", "movements": [[1.0, 2.0]],
                               "who": "Jan Jansen"})
    saved = records.save_set(db, screening.id, result, 2, clinician=anna)
    with db.transaction() as s:
        raw = s.get(ExerciseSet, saved.id).raw_result
    assert raw["source"] == "video" and "patient_name" not in raw
    assert "note" not in raw["reps"][0] and raw["reps"][0]["peak_deg"] == 70.5
    assert raw["warnings"][1] == {"code": "wrong_leg", "message": "x", "movements": [[1.0, 2.0]]}
    for writer in (export.write_json, export.write_csv):
        text = writer(db, anna, "P1", tmp_path / "out").read_text(encoding="utf-8")
        assert "Jansen" not in text and "videos" not in text


def test_csv_export_neutralises_formulas(db, anna, make_result, tmp_path):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    screening = records.start_session(db, anna, "P1")
    result = make_result(reps=1, peak=-5.0)
    result["warnings"] = [{"code": "=HYPERLINK(\"http://x\")", "message": "m"},
                          {"code": "@SUM(A1)", "message": "m"}]
    result["reps"][0]["faults"] = ["+cmd|' /C calc'!A0", "-2+3"]
    records.save_set(db, screening.id, result, 2, clinician=anna)
    path = export.write_csv(db, anna, "P1", tmp_path / "out.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["warnings"].startswith("'=") and row["faults"].startswith("'+")
    assert row["peak_deg"] == "-4.5"  # numbers stay numbers
    for value in row.values():
        assert not value.startswith(("=", "+", "@")), value


def test_store_and_videos_are_private(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "umask", os.umask)  # keep the process umask as found
    old = os.umask(0o022)
    try:
        db = init_db(f"sqlite:///{tmp_path / 'data' / 'formcheck.db'}")
        db.dispose()
        from formcheck.clinic.db import private_dir, write_private

        folder = private_dir(tmp_path / "data" / "videos" / "session_1")
        video = write_private(folder / "set_01.mp4", b"\0\0")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "formcheck.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(video.stat().st_mode) == 0o600


@pytest.fixture
def clinic_id(db):
    clinic = auth.create_clinic(db, "Noord")
    auth.create_clinician(db, clinic.id, "anna", PASSWORD)
    return clinic.id


def test_failed_logins_are_recorded_and_lock_out(db, clinic_id):
    t0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    for minute in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(auth.AuthError, match="wrong password"):
            auth.login(db, "Anna", "wrong password!", now=t0 + dt.timedelta(minutes=minute))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(FailedLogin)) == auth.MAX_FAILED_LOGINS
    # locked: even the right password is refused, without revealing whether it was right
    with pytest.raises(auth.LockedOutError, match="too many failed logins"):
        auth.login(db, "anna", PASSWORD, now=t0 + dt.timedelta(minutes=6))
    # after the window, the right password works and clears the count
    later = t0 + dt.timedelta(minutes=30)
    assert auth.login(db, "anna", PASSWORD, now=later)
    with pytest.raises(auth.AuthError, match="wrong password"):
        auth.login(db, "anna", "wrong again!", now=later)


def test_usernames_are_case_insensitive(db, clinic_id):
    with pytest.raises(ValueError, match="taken"):
        auth.create_clinician(db, clinic_id, "ANNA", PASSWORD)
    auth.create_clinician(db, clinic_id, "Carol", PASSWORD)
    assert auth.authenticate(db, auth.login(db, "carol", PASSWORD)).username == "carol"
    assert auth.authenticate(db, auth.login(db, " CAROL ", PASSWORD)).username == "carol"
    with pytest.raises(ValueError, match="username"):
        auth.create_clinician(db, clinic_id, "carol smith", PASSWORD)


@pytest.mark.parametrize("password", [" " * 8, " " * 20 + "abc", "\t\t\t\t\n\n\n\n", "a b c d"])
def test_whitespace_passwords_are_refused(db, clinic_id, password):
    with pytest.raises(auth.AuthError, match="at least 8"):
        auth.create_clinician(db, clinic_id, "bert", password)


@pytest.mark.parametrize("minutes", [0, -5, 0.5, 721, 60 * 24 * 365 * 10])
def test_idle_timeout_is_bounded(db, clinic_id, minutes):
    with pytest.raises(ValueError, match="idle timeout"):
        auth.login(db, "anna", PASSWORD, idle_timeout=dt.timedelta(minutes=minutes))


def test_logins_purge_expired_sessions(db, clinic_id):
    t0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    for hour in range(10):
        auth.login(db, "anna", PASSWORD, now=t0 + dt.timedelta(hours=hour))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_patient_data_needs_a_clinician(db, anna, make_result, tmp_path):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    screening = records.start_session(db, anna, "P1")
    records.save_set(db, screening.id, make_result(), 1, clinician=anna)
    with pytest.raises(TypeError):
        records.save_set(db, screening.id, make_result(), 9)  # clinician is required
    for nobody in (None, "anna", object()):
        with pytest.raises(PermissionError):
            records.save_set(db, screening.id, make_result(), 9, clinician=nobody)
        with pytest.raises(PermissionError):
            records.get_session(db, nobody, screening.id)
        with pytest.raises(PermissionError):
            records.get_patient(db, nobody, "P1")
        with pytest.raises(PermissionError):
            records.list_patients(db, nobody)
        with pytest.raises(PermissionError):
            reports.session_report(db, nobody, screening.id, tmp_path / "s.pdf")
        with pytest.raises(PermissionError):
            export.patient_export(db, nobody, "P1")
        with pytest.raises(PermissionError):
            records.delete_patient(db, nobody, "P1")
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ExerciseSet)) == 1
