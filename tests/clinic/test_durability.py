"""Killing the process mid-set loses nothing already saved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

from sqlalchemy.orm import selectinload

from formcheck.clinic import auth, records
from formcheck.clinic.db import open_db
from formcheck.clinic.models import ExerciseSet, ScreeningSession

PASSWORD = "correct horse battery"

CHILD = r"""
import json, sys, time
from sqlalchemy import event
from sqlalchemy.orm import Session
from formcheck.clinic import auth, records
from formcheck.clinic.db import open_db

url, session_id, result = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
db = open_db(url)
clinician = auth.authenticate(db, sys.argv[4])
flushes = 0

@event.listens_for(Session, "after_flush")
def stall_third_set(session, context):
    global flushes
    flushes += 1
    if flushes == 3:  # the third set's rows are written but not committed
        print("MID-THIRD", flush=True)
        time.sleep(60)

for number in (1, 2, 3):
    records.save_set(db, session_id, result, pain=number, swelling=False, clinician=clinician)
    print(f"SAVED {number}", flush=True)
"""


def test_sigkill_mid_set_keeps_finished_sets(db, db_url, anna, make_result, repo_root):
    records.add_patient(db, anna, "P1", "posterolateral", "left")
    screening = records.start_session(db, anna, "P1")
    result = make_result(reps=5, faults={2: ["trunk_lean"]})
    token = auth.login(db, "anna", PASSWORD)
    path = os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(screening.id), json.dumps(result), token],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # Blocking reads until the child stalls mid-third (select on the pipe would miss lines
    # already in the reader's buffer, when two arrive together); the timer only stops a hang.
    hang_cap = threading.Timer(120, child.kill)
    hang_cap.start()
    lines = []
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if lines[-1] == "MID-THIRD":
                break
    finally:
        hang_cap.cancel()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert lines == ["SAVED 1", "SAVED 2", "MID-THIRD"], child.stderr.read()
    assert child.returncode == -signal.SIGKILL

    reopened = open_db(db_url)
    try:
        with reopened.transaction() as s:
            sets = (
                s.query(ExerciseSet)
                .join(ScreeningSession)
                .filter(ScreeningSession.id == screening.id)
                .options(selectinload(ExerciseSet.reps))
                .order_by(ExerciseSet.set_number)
                .all()
            )
            assert [x.set_number for x in sets] == [1, 2]
            assert [x.pain for x in sets] == [1, 2]
            for exercise_set in sets:
                assert exercise_set.raw_result == result
                assert [r.index for r in exercise_set.reps] == [1, 2, 3, 4, 5]
                assert exercise_set.reps[1].faults == ["trunk_lean"]
        # the store is usable after the crash: the third set can be saved again
        again = records.save_set(
            reopened, screening.id, result, pain=3, swelling=False, clinician=anna
        )
        assert again.set_number == 3
    finally:
        reopened.dispose()
