"""Analysis jobs through the PostgreSQL queue (procrastinate) and the local SQLite workers.

Real parts only: the PostgreSQL server the suite starts, ``formcheck worker`` processes,
the bundled rendered clips. Everything waits on job states, never on the clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from formcheck.cli import main as formcheck
from formcheck.jobs import store
from formcheck.jobs.store import JobRequest
from formcheck.jobs.submit import Jobs

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_videos"
FPS = 5.0  # half the default analysis rate keeps the suite quick; same rate on both sides
WAIT_S = 300

postgres_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _truth(clip: Path) -> dict:
    return json.loads(clip.with_suffix(".truth.json").read_text())


def _analyze_json(clip: Path, tmp: Path, fps: float = FPS) -> dict:
    """What ``formcheck analyze --json`` writes for a clip (run in this process)."""
    t = _truth(clip)
    out = tmp / f"{clip.stem}.analyze.json"
    assert formcheck(["analyze", str(clip), "--exercise", t["exercise"], "--side", t["side"],
                      "--json", str(out), "--fps", str(fps)]) == 0
    return json.loads(out.read_text())


def _request(clip: Path, fps: float = FPS) -> JobRequest:
    t = _truth(clip)
    return JobRequest(video=str(clip), exercise=t["exercise"], side=t["side"],
                      analysis_fps=fps, source=str(clip))


def _worker(url: str, log: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "formcheck.cli", "worker", "--concurrency", "1", "--db", url,
         *extra], cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _wait(jobs: Jobs, ids: list[int], done, procs=()) -> list[store.JobState]:
    deadline = time.monotonic() + WAIT_S
    while True:
        states = jobs.states(ids)
        if done(states):
            return states
        for p in procs:
            assert p.poll() is None or p.returncode == -signal.SIGKILL, "a worker exited"
        assert time.monotonic() < deadline, f"jobs stuck: {states}"
        time.sleep(0.2)


@pytest.mark.postgres
@postgres_only
def test_six_videos_through_two_workers_match_analyze(db_url, tmp_path):
    clips = sorted(SAMPLES.glob("*.mp4"), key=lambda p: p.stat().st_size)[:6]
    jobs = Jobs(db_url)
    workers = [_worker(db_url, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        ids = [s.id for s in jobs.submit_many([_request(c) for c in clips])]
        states = _wait(jobs, ids, lambda ss: all(s.finished for s in ss), workers)
    finally:
        _stop(*workers)
        jobs.close()
    assert [s.status for s in states] == ["done"] * 6, [s.error for s in states]
    assert len({s.worker for s in states}) == 2  # both workers took jobs
    for clip, state in zip(clips, states, strict=True):
        assert state.result == _analyze_json(clip, tmp_path), clip.name


@pytest.mark.postgres
@postgres_only
def test_job_of_a_killed_worker_completes_on_the_other(db_url, tmp_path):
    clip = SAMPLES / "bridge_clean_side.mp4"
    fast = ("--heartbeat", "1", "--stalled-after", "6")
    jobs = Jobs(db_url)
    workers = [_worker(db_url, tmp_path / f"worker{i}.log", *fast) for i in range(2)]
    try:
        # Both workers up (model loaded, heartbeating) before the job goes in.
        _wait_for_workers(db_url, 2)
        (job,) = jobs.submit_many([_request(clip, fps=10.0)])
        running = _wait(jobs, [job.id],
                        lambda ss: ss[0].status == "running" and 0 < ss[0].progress < 0.6,
                        workers)[0]
        pid = int(running.worker.rsplit(":", 1)[1])
        victim = next(p for p in workers if p.pid == pid)
        os.kill(pid, signal.SIGKILL)
        victim.wait(30)
        final = _wait(jobs, [job.id], lambda ss: ss[0].finished, workers)[0]
    finally:
        _stop(*workers)
        jobs.close()
    assert final.status == "done", final.error
    assert final.attempts == 2
    assert final.worker != running.worker
    assert final.result["rep_count"] == _truth(clip)["rep_count"]


def _wait_for_workers(url: str, n: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + WAIT_S
    try:
        while True:
            with engine.connect() as c:
                if c.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar() >= n:
                    return
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_a_video_that_broke_off_twice_is_failed_with_its_reason(sqlite_db):
    from formcheck.jobs import runner

    job = store.create(sqlite_db, _request(SAMPLES / "mini_squat_faults_side.mp4"))
    for reason in ("worker stopped", "worker stopped again"):
        store.start_attempt(sqlite_db, job.id, "elsewhere:1")
        store.requeue(sqlite_db, job.id, reason)
    with pytest.raises(runner.JobFailed):
        runner.run_job(sqlite_db, job.id)
    state = store.get(sqlite_db, job.id)
    assert state.status == "failed"
    assert "broke off 2 times" in state.error and "worker stopped again" in state.error


def test_batch_on_sqlite_runs_local_workers(tmp_path, monkeypatch, capsys):
    from formcheck.jobs import batch

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("FORMCHECK_DB_URL", raising=False)
    clips = [SAMPLES / "mini_squat_valgus_front.mp4", SAMPLES / "mini_squat_clean_side.mp4"]
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video" * 100)
    out = tmp_path / "out"
    steps = []  # each video is queued as soon as it is checked, before the next is checked
    check, submit_many = batch.check_video, Jobs.submit_many

    def checked(path: str) -> float:
        steps.append(("check", Path(path).name))
        return check(path)

    def queue_jobs(self: Jobs, requests: list[JobRequest], *args: object) -> list:
        steps.extend(("queue", Path(r.video).name) for r in requests)
        return submit_many(self, requests, *args)

    monkeypatch.setattr(batch, "check_video", checked)
    monkeypatch.setattr(Jobs, "submit_many", queue_jobs)
    status = formcheck(["batch", str(clips[0]), str(bad), str(clips[1]), "--exercise",
                        "mini_squat", "--side", "left", "--out", str(out), "--workers", "2",
                        "--fps", str(FPS)])
    names = [c.name for c in clips]
    assert steps == [("check", names[0]), ("queue", names[0]), ("check", "broken.mp4"),
                     ("check", names[1]), ("queue", names[1])]
    captured = capsys.readouterr()
    last = captured.out.strip().splitlines()[-1]
    assert status == 1
    assert last.startswith("batch: 3 videos, 2 ok, 1 failed, ") and last.endswith("× real time")
    assert "broken.mp4" in captured.err
    assert sorted(p.name for p in out.iterdir()) == [c.stem + ".json" for c in sorted(clips)]
    db = store.open_store(f"sqlite:///{tmp_path / 'data' / 'formcheck' / 'formcheck.db'}")
    try:
        with db.transaction() as s:
            queued = s.execute(select(store.AnalysisJob.source, store.AnalysisJob.media_s)
                               .order_by(store.AnalysisJob.id)).all()
    finally:
        db.dispose()
    assert [src for src, _ in queued] == list(map(str, clips))  # in the order given
    assert queued[0].media_s and queued[1].media_s
    for clip in clips:
        assert _truth(clip)["side"] == "left"
        want = _analyze_json(clip, tmp_path)
        assert json.loads((out / f"{clip.stem}.json").read_text()) == want


def test_clinic_upload_lands_in_the_patients_record(db_url, make_clinician, tmp_path,
                                                    monkeypatch, analysed_video):
    """An upload job for a clinic patient ends with its set in that patient's record.

    Saved as the direct analysis (patient's side, approach and own limits) would be, without
    a pain score until it is answered; the session keeps its video, the job's copy is gone.
    """
    from formcheck.clinic import records
    from formcheck.clinic.models import ExerciseSet
    from formcheck.jobs import uploads
    from formcheck.protocol import PatientSettings

    monkeypatch.setenv("FORMCHECK_JOB_DIR", str(tmp_path / "jobs"))
    clip = SAMPLES / "mini_squat_faults_side.mp4"
    truth = _truth(clip)
    limits = {"mini_squat": {"hip_flexion_limit.max": 80.0}}
    jobs = uploads.jobs(db_url)
    db = jobs.db
    anna = make_clinician(db, "Noord", "anna")
    records.add_patient(db, anna, "HIP-042", "posterolateral", truth["side"],
                        exercises=["mini_squat", "bridge"], limit_overrides=limits)
    screening = records.start_session(db, anna, "HIP-042", store_video=True)
    keep = tmp_path / "videos" / f"session_{screening.id}"
    settings = PatientSettings(side=truth["side"], overrides=limits)
    workers = [_worker(db_url, tmp_path / "worker.log")] if jobs.postgres else []
    try:
        job = uploads.submit(clip.name, clip.read_bytes(), None, "mini_squat", settings, "en",
                             uploads.RecordUpload(screening.id, anna.id, str(keep)), db_url)
        final = _wait(jobs, [job.id], lambda ss: ss[0].finished, workers)[0]
    finally:
        _stop(*workers)
    assert final.status == "done", final.error
    assert uploads.session_jobs(screening.id, db_url)[0].set_id == final.set_id
    (saved,) = records.set_records(db, anna, "HIP-042")
    assert (saved.set_id, saved.session_id, saved.pain) == (final.set_id, screening.id, None)
    direct = analysed_video(clip, "mini_squat", settings, "en")
    direct.source = clip.name
    want = records.stored_result(direct.to_dict(series=False))
    with db.transaction() as s:
        stored = s.get_one(ExerciseSet, final.set_id).raw_result
    assert json.dumps(stored, sort_keys=True) == json.dumps(want, sort_keys=True)
    assert saved.rep_count == direct.rep_count
    assert [p.read_bytes() for p in keep.iterdir()] == [clip.read_bytes()]
    assert not Path(store.request_of(db, job.id).video).exists()  # the job's own copy
    # Still to follow (no pain answer) until the clinician answers the pain question.
    assert uploads.open_sessions(anna.id, db_url) == [screening.id]
    records.answer_pain(db, final.set_id, 3, clinician=anna)
    assert uploads.open_sessions(anna.id, db_url) == []
    # Deleting the patient removes the upload's folder (its pose track) with the record.
    folder = Path(final.track_out).parent
    assert folder.is_dir()
    assert records.delete_patient(db, anna, "HIP-042") == 1
    assert not folder.exists() and not keep.exists()
    assert uploads.session_jobs(screening.id, db_url) == []


def test_a_bad_clinic_upload_is_refused_before_it_is_queued(sqlite_db, make_clinician,
                                                            tmp_path, monkeypatch):
    from formcheck.clinic import records
    from formcheck.jobs import uploads
    from formcheck.protocol import PatientSettings
    from formcheck.video import VideoError

    monkeypatch.setenv("FORMCHECK_JOB_DIR", str(tmp_path / "jobs"))
    url = str(sqlite_db.engine.url)
    anna = make_clinician(sqlite_db, "Noord", "anna")
    records.add_patient(sqlite_db, anna, "HIP-043", "posterolateral", "left")
    screening = records.start_session(sqlite_db, anna, "HIP-043")
    with pytest.raises(VideoError):
        uploads.submit("set.mp4", b"not a video" * 100, None, "mini_squat", PatientSettings(),
                       "en", uploads.RecordUpload(screening.id, anna.id), url)
    assert uploads.session_jobs(screening.id, url) == []
    assert list((tmp_path / "jobs").iterdir()) == []


def test_a_job_past_its_time_limit_is_failed_and_the_worker_goes_on(sqlite_db, monkeypatch):
    from formcheck.jobs import TIMEOUT_BASE_S, TIMEOUT_PER_VIDEO_S, runner
    from formcheck.video import probe

    clip = SAMPLES / "mini_squat_clean_side.mp4"
    media_s = probe(clip).duration_s
    normal = store.create(sqlite_db, _request(clip), media_s)
    assert normal.timeout_s == pytest.approx(TIMEOUT_BASE_S + TIMEOUT_PER_VIDEO_S * media_s)
    monkeypatch.setenv("FORMCHECK_JOB_TIMEOUT_PER_VIDEO_S", "3")  # the limit is configuration
    assert store.create(sqlite_db, _request(clip), 20.0).timeout_s == TIMEOUT_BASE_S + 60
    # A limit far below what the analysis needs (tens of pose-model frames): it is stopped.
    hurried = store.create(sqlite_db, replace(_request(clip), timeout_s=0.2, lang="en"), media_s)
    stopped = runner.run_with_retry(sqlite_db, hurried.id)
    assert stopped.status == "failed" and stopped.attempts == 1
    assert "took far longer than the video could need" in stopped.error
    # The same worker process (same pose model) then analyses the next job as usual.
    assert runner.run_with_retry(sqlite_db, normal.id).status == "done"
    assert store.get(sqlite_db, normal.id).result["rep_count"] == _truth(clip)["rep_count"]


def test_a_clinic_set_that_cannot_be_saved_fails_the_job_with_the_reason(sqlite_db,
                                                                         make_clinician,
                                                                         tmp_path):
    import shutil

    from formcheck.clinic import records
    from formcheck.jobs import runner

    anna = make_clinician(sqlite_db, "Noord", "anna")
    records.add_patient(sqlite_db, anna, "HIP-044", "posterolateral", "left",
                        exercises=["bridge"])  # no mini squat in this patient's protocol
    screening = records.start_session(sqlite_db, anna, "HIP-044")
    video = tmp_path / "upload.mp4"  # the job's own copy of the upload
    shutil.copyfile(SAMPLES / "mini_squat_clean_side.mp4", video)
    job = store.create(sqlite_db, JobRequest(video=str(video), exercise="mini_squat",
                                             side="left", lang="en", analysis_fps=FPS,
                                             session_id=screening.id, clinician_id=anna.id))
    state = runner.run_with_retry(sqlite_db, job.id)
    assert state.status == "failed" and state.attempts == 1
    assert "Not saved" in state.error and "protocol" in state.error
    assert records.set_records(sqlite_db, anna, "HIP-044") == []
    assert not video.exists()


def test_home_upload_lands_in_the_patients_record_as_a_home_set(sqlite_db, make_clinician,
                                                                 tmp_path, monkeypatch):
    """A patient's upload through their link: the same job path as a clinic upload.

    The set lands in the current home sitting (marked home, no pain score yet) through the
    link's grant; the video is kept only with the clinician's switch and the patient's
    agreement; a revoked link stops a queued upload from landing.
    """
    from formcheck.clinic import links, records
    from formcheck.jobs import local, uploads
    from formcheck.protocol import PatientSettings

    monkeypatch.setenv("FORMCHECK_JOB_DIR", str(tmp_path / "jobs"))
    url = str(sqlite_db.engine.url)
    clip = SAMPLES / "mini_squat_faults_side.mp4"
    truth = _truth(clip)
    anna = make_clinician(sqlite_db, "Noord", "anna")
    records.add_patient(sqlite_db, anna, "HOME-042", "posterolateral", truth["side"])
    links.set_home_video(sqlite_db, anna, "HOME-042", True)
    token, _ = links.create_link(sqlite_db, anna, "HOME-042")
    grant = links.authenticate_link(sqlite_db, links.open_link(sqlite_db, token))
    sitting = records.home_session(sqlite_db, grant, store_video=True)
    keep = tmp_path / "videos" / f"session_{sitting.id}"
    settings = PatientSettings(side=truth["side"])

    jobs = uploads.jobs(url)  # the app's submitter: local worker processes with SQLite

    def queue() -> store.JobState:
        return uploads.submit(clip.name, clip.read_bytes(), None, "mini_squat", settings, "en",
                              uploads.RecordUpload(sitting.id, None, str(keep),
                                                   link_id=grant.link_id), url)

    def wait(job: store.JobState) -> store.JobState:
        return _wait(jobs, [job.id], lambda ss: ss[0].finished)[0]

    try:
        job = queue()
        assert [j.id for j in uploads.home_jobs(grant.patient_id, url)] == [job.id]
        final = wait(job)
        assert final.status == "done", final.error
        (saved,) = records.set_records(sqlite_db, anna, "HOME-042")
        assert (saved.set_id, saved.session_id, saved.source, saved.pain) == (
            final.set_id, sitting.id, "home", None)
        assert saved.rep_count == final.result["rep_count"] == truth["rep_count"]
        assert [p.read_bytes() for p in keep.iterdir()] == [clip.read_bytes()]
        assert not Path(store.request_of(sqlite_db, job.id).video).exists()  # the job's copy
        assert [j.id for j in uploads.home_jobs(grant.patient_id, url)] == [job.id]  # pain next
        records.answer_pain(sqlite_db, final.set_id, 2, clinician=grant)
        assert uploads.home_jobs(grant.patient_id, url) == []

        # The clinician switches home video off before the next upload lands: not kept.
        second = queue()
        links.set_home_video(sqlite_db, anna, "HOME-042", False)
        assert not store.get(sqlite_db, second.id).finished
        assert wait(second).status == "done"
        assert len(list(keep.iterdir())) == 1
        # A revoked link: the upload does not land, and its job says why.
        third = queue()
        links.revoke_links(sqlite_db, anna, "HOME-042")
        assert not store.get(sqlite_db, third.id).finished
        failed = wait(third)
    finally:
        local.stop_shared()
    assert failed.status == "failed" and "revoked" in failed.error
    assert len(records.set_records(sqlite_db, anna, "HOME-042")) == 2


STAND_IN_APP = """
import sys, time
from formcheck.jobs import uploads
from formcheck.jobs.store import JobRequest

url, video, exercise, side, fps = sys.argv[1:]
job = uploads.jobs(url).submit(JobRequest(video=video, exercise=exercise, side=side,
                                          analysis_fps=float(fps), source="long.mp4"))
print(job.id, flush=True)
time.sleep(3600)
"""


def test_app_workers_end_with_a_killed_app_and_its_job_resumes(sqlite_db, tmp_path,
                                                              repeated_clip, processes):
    """Local workers (SQLite) of an app killed with kill -9 end too; its next start runs
    the job they were running again, to the same result."""
    from formcheck.jobs import local

    url = str(sqlite_db.engine.url)
    sample = SAMPLES / "mini_squat_clean_side.mp4"
    truth = _truth(sample)
    clip = repeated_clip(sample, tmp_path / "long.mp4", 3)
    app = subprocess.Popen([sys.executable, "-c", STAND_IN_APP, url, str(clip),
                            truth["exercise"], truth["side"], str(FPS)],
                           cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        job_id = int(app.stdout.readline())
        deadline = time.monotonic() + WAIT_S
        while not ((s := store.get(sqlite_db, job_id)).status == "running" and s.progress > 0):
            assert app.poll() is None and time.monotonic() < deadline, s
            time.sleep(0.1)
        workers = processes.children(app.pid)
        assert int(s.worker.rpartition(":")[2]) in workers
        app.kill()
        app.wait(30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    processes.wait_ended(workers)  # none outlives the app
    assert store.get(sqlite_db, job_id).status == "running"  # interrupted, not failed

    try:
        assert local.resume(url, sqlite_db) == [job_id]  # the next start
        deadline = time.monotonic() + WAIT_S
        while not (final := store.get(sqlite_db, job_id)).finished:
            assert time.monotonic() < deadline, final
            time.sleep(0.2)
        assert local.resume(url, sqlite_db) == []  # adopted once
    finally:
        mine = processes.children(os.getpid(), workers_only=True)
        local.stop_shared()
    processes.wait_ended(mine)
    assert final.status == "done", final.error
    assert final.attempts == 2
    assert final.result["rep_count"] == 3 * truth["rep_count"]


def test_stopped_local_workers_end_mid_job_and_leave_it_for_resume(sqlite_db, tmp_path,
                                                                  repeated_clip, processes):
    """``LocalWorkers.stop`` (the app's exit) ends its processes at once, even one busy with
    a job and deaf to SIGTERM as the app's are; the job stays running for the next start."""
    from formcheck.jobs import local

    url = str(sqlite_db.engine.url)
    clip = repeated_clip(SAMPLES / "mini_squat_clean_side.mp4", tmp_path / "long.mp4", 3)
    job = store.create(sqlite_db, replace(_request(SAMPLES / "mini_squat_clean_side.mp4"),
                                          video=str(clip)), 30.0)
    workers = local.LocalWorkers(url, sqlite_db, 1, app=True)
    try:
        workers.submit(job.id)
        deadline = time.monotonic() + WAIT_S
        while not ((s := store.get(sqlite_db, job.id)).status == "running" and s.progress > 0):
            assert time.monotonic() < deadline, s
            time.sleep(0.1)
        mine = processes.children(os.getpid(), workers_only=True)
        assert int(s.worker.rpartition(":")[2]) in mine
    finally:
        workers.stop()
    processes.wait_ended(mine, cap_s=10)
    assert store.get(sqlite_db, job.id).status == "running"
