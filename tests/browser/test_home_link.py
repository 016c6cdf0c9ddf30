"""A patient's personal link in headless Chromium: home sets reach the clinician.

The clinician logs in, adds a patient and creates the link on the clinic page; a second
browser context (its own cookies and storage, a fake camera playing a rendered clip) opens
the link, does a set in browser mode and answers the pain question; the clinician sees the
home set and the adherence count on the progress page; after revoking, the link shows a
clear page. ``formcheck clinic invite`` prints a URL that opens the patient's programme.
An uploaded home set goes through the job queue: the server is stopped mid-analysis (no
worker process outlives it), the next start finishes the job, and the link opened again
asks the pain question of the set that landed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from formcheck.clinic import auth, links, records
from formcheck.clinic.protocol import SESSIONS_PER_DAY_MAX, SESSIONS_PER_DAY_MIN
from formcheck.clinic.texts import exercise_name
from formcheck.i18n import text
from formcheck.protocol import load_programme

from .conftest import (
    CLINIC_PASSWORD,
    CLINIC_USER,
    REPO,
    choose_settled,
    click_settled,
    click_until,
    main_text,
    open_expander,
    running_app,
    set_slider,
    upload_settled,
    wait_settled,
    wait_shown,
    write_y4m,
)

pytestmark = pytest.mark.browser

USER, PASSWORD = CLINIC_USER, CLINIC_PASSWORD
CODE, OTHER, CLI_CODE = "HOME-001", "HOME-002", "HOME-CLI-3"
SAFETY_CAP_S = 1200  # wall clock: only against a hang, never what the test waits for
UPLOAD_CODE = "HOME-UP-4"
UPLOAD_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
MAIN = '[data-testid="stMain"]'
AIM = {"low": SESSIONS_PER_DAY_MIN, "high": SESSIONS_PER_DAY_MAX}  # the leaflet: 2 to 3 a day


def c(key: str, **values) -> str:
    return text(f"clinic_ui.{key}", "en", **values)


def h(key: str, **values) -> str:
    return text(f"home.{key}", "en", **values)


@pytest.fixture(scope="module")
def home_url(chromium, clinic_store):
    with running_app({"FORMCHECK_DB_URL": clinic_store[1]}, "streamlit_home.log") as app:
        yield app


def choose_exercise(page, exercise: str, lang: str) -> None:
    """Choose ``exercise`` in the patient's list and wait until its radio is checked: the
    next step must not outrun the choice (seen in the clinic's tests: an upload analysed as
    the list's first exercise)."""
    name = exercise_name(lang, exercise)
    choose_settled(page.get_by_text(name, exact=True), page.get_by_role("radio", name=name))


def _pose_count(page) -> int:
    """The repetitions the in-browser overlay shows (0 before the model runs, and while a
    rerun replaces its frame: the page is read again on the next poll)."""
    frames = page.query_selector_all('iframe[src*="/formcheck/pose/"]')
    try:
        stats = (frames[0].content_frame().evaluate("window.formcheckStats || null")
                 if len(frames) == 1 else None)
    except PlaywrightError:   # the frame went (a rerun moved the camera) while it was read
        return 0
    return ((stats or {}).get("lastState") or {}).get("count", 0)


def _one_set_ends(page, artifacts) -> None:
    """Wait until the overlay counted a repetition, end the set; or the set ends by itself.

    Waits on the page's states (a counted repetition, the pain question), not on the clock;
    the cap only stops a run where the model never counts.
    """
    answer = page.get_by_role("button", name=h("answer"))
    cap = time.monotonic() + SAFETY_CAP_S
    while time.monotonic() < cap:
        assert page.get_by_test_id("stException").count() == 0, main_text(page)
        if answer.count():
            return
        if _pose_count(page) >= 1:
            click_settled(page.get_by_role("button", name=text("app.end_set", "en")))
            wait_shown(page, f"text={h('answer')}", 60_000)
            return
        page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts / "home_patient_no_count.png"), full_page=True)
    pytest.fail("no repetition counted from the fake camera")


def test_invite_command_prints_a_url_that_opens_the_programme(launch, home_url, clinic_store):
    db, url, _ = clinic_store
    clinician = auth.authenticate(db, auth.login(db, USER, PASSWORD))
    records.add_patient(db, clinician, CLI_CODE, "anterior", "right",
                        exercises=["bridge", "heel_slide"])
    out = subprocess.run(
        [sys.executable, "-m", "formcheck.cli", "clinic", "invite", CLI_CODE, "--db", url,
         "--user", USER, "--password-stdin", "--base-url", home_url],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    link = out.stdout.strip()
    assert link.startswith(f"{home_url}/home?link=")
    page = launch().new_page(viewport={"width": 1300, "height": 1400})
    page.goto(link.replace("/home?", "/home?lang=en&"))
    wait_shown(page, f"text={h('title')}", 60_000)
    wait_shown(page, f"text={h('today_title')}")
    # The programme's exercises render in the same run, possibly after the headings.
    for ex in ("bridge", "heel_slide"):
        wait_shown(page, f"text={exercise_name('en', ex)}")
    wait_settled(page)  # the whole run: what must not be shown is not just late
    body = main_text(page)
    assert h("side", side="Right") in body and text("app.approach_anterior", "en") in body
    assert exercise_name("en", "bridge") in body and exercise_name("en", "heel_slide") in body
    assert exercise_name("en", "mini_squat") not in body   # not in this patient's programme
    page.wait_for_function("() => !location.search.includes('link=')", timeout=30_000)
    assert "link=" not in page.url


# The WASM pose model on a shared, loaded 2-core machine may run at a few frames a second:
# the test waits on states, so it needs more than the suite's default 600 s cap there.
@pytest.mark.timeout(1800)
def test_home_set_reaches_the_clinician(launch, home_url, clinic_store, live_sample, tmp_path,
                                        artifacts):
    db, _, _ = clinic_store
    clip, truth = live_sample
    exercise = truth["exercise"]

    # The clinician: log in, add the patient, create the personal link.
    clinic = launch().new_context(viewport={"width": 1400, "height": 1800}).new_page()
    clinic.goto(f"{home_url}/clinic?lang=en")
    clinic.get_by_label(c("username")).fill(USER)
    clinic.get_by_role("textbox", name=c("password")).fill(PASSWORD)
    clinic.get_by_role("button", name=c("login")).click()
    wait_shown(clinic, f"text={c('add_patient')}", 60_000)
    wait_settled(clinic)
    # Folded once the clinic has patients.
    adding = clinic.get_by_test_id("stExpander").filter(has_text=c("add_patient"))
    form = adding.get_by_test_id("stForm")
    open_expander(adding, form.get_by_label(c("code")))
    form.get_by_label(c("code")).fill(CODE)
    side = text(f"app.side_{truth['side']}", "en")
    choose_settled(form.get_by_text(side, exact=True),
                   form.get_by_role("radio", name=side, exact=True))
    clinician = auth.authenticate(db, auth.login(db, USER, PASSWORD))
    click_until(clinic, form.get_by_role("button", name=c("add")),
                lambda: CODE in [p.code for p in records.list_patients(db, clinician)])
    wait_shown(clinic, f"text={c('added', code=CODE)}")
    wait_shown(clinic, f"text={c('links_title')}")
    click_until(clinic, clinic.get_by_role("button", name=c("link_create")),
                lambda: links.list_links(db, clinician, CODE))
    wait_shown(clinic, '[data-testid="stCode"]')
    link = re.search(r"http\S+/home\?link=\S+", clinic.inner_text('[data-testid="stCode"]'))
    assert link, clinic.inner_text('[data-testid="stCode"]')
    link = link.group()
    # Another patient of the clinic with a set today: never shown to this link.
    records.add_patient(db, clinician, OTHER, "anterior", "left")
    other = records.start_session(db, clinician, OTHER)
    records.save_set(db, other.id, {"exercise": "bridge", "reps": [
        {"index": 1, "peak_deg": 20.0, "faults": []}]}, 7, clinician=clinician)

    # The patient, in a browser of their own with a fake camera: open the link.
    y4m = write_y4m(clip, tmp_path / "camera.y4m")
    browser = launch("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={y4m}")
    patient = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    patient.goto(link.replace("/home?", "/home?lang=en&"))
    wait_shown(patient, f"text={h('title')}", 60_000)
    patient.wait_for_function("() => !location.search.includes('link=')", timeout=30_000)
    wait_shown(patient, f"text={h('today_sessions', count=0, **AIM)}")
    choose_exercise(patient, exercise, "en")
    # The pose frame drawn for this exercise (its title is in the frame's settings).
    title = quote(json.dumps(load_programme().exercise(exercise).title("en")))
    patient.wait_for_selector(f'iframe[src*="/formcheck/pose/"][src*="{title}"]', timeout=60_000)
    _one_set_ends(patient, artifacts)
    saved = records.set_records(db, clinician, CODE)
    assert len(saved) == 1 and saved[0].source == "home" and saved[0].pain is None  # at once
    form = patient.get_by_test_id("stForm").filter(has_text=h("answer"))
    set_slider(form.get_by_role("slider"), 3)
    click_until(patient, form.get_by_role("button", name=h("answer")),
                lambda: records.set_records(db, clinician, CODE)[0].pain == 3)
    wait_shown(patient, f"text={h('answered', pain=3, swelling='No')}")
    expect(patient.locator(MAIN)).to_contain_text(h("today_sessions", count=1, **AIM))
    wait_settled(patient)
    patient.screenshot(path=str(artifacts / "home_patient.png"), full_page=True)
    body = main_text(patient)
    assert "7/10" not in body and OTHER not in body           # the other patient's set
    [home_set] = records.set_records(db, clinician, CODE)
    assert (home_set.source, home_set.exercise, home_set.pain) == ("home", exercise, 3)
    assert home_set.rep_count >= 1

    # The clinician: the home set on the progress page, with the adherence count.
    click_settled(clinic.get_by_text(c("view_progress"), exact=True))
    wait_shown(clinic, f"text={c('sessions_title')}", 30_000)
    wait_shown(clinic, f"text={c('recent_sets')}")
    expect(clinic.locator(MAIN)).to_contain_text("Today: 1 session(s), 1 of them at home")
    wait_settled(clinic)
    clinic.screenshot(path=str(artifacts / "home_clinician_progress.png"), full_page=True)
    body = main_text(clinic)
    assert c("source_home") in clinic.inner_text('[data-testid="stDataFrame"] >> nth=0') or \
        c("source_home") in body

    # Revoke: the link now shows a clear page, no error.
    click_settled(clinic.get_by_text(c("view_patients"), exact=True))
    wait_shown(clinic, f"text={c('links_title')}")
    click_until(clinic, clinic.get_by_role("button", name=c("link_revoke")),
                lambda: all(links.link_status(x) != "active"
                            for x in links.list_links(db, clinician, CODE)))
    wait_shown(clinic, f"text={c('link_revoked', count=1, code=CODE)}")
    again = browser.new_context().new_page()
    again.goto(link.replace("/home?", "/home?lang=en&"), wait_until="commit", timeout=120_000)
    wait_shown(again, f"text={h('refused_title')}", 60_000)
    wait_shown(again, f"text={h('refused_revoked')}")  # the reason renders just after the title
    assert h("refused_revoked") in main_text(again)
    assert "Traceback" not in main_text(again)
    # The open tab: choosing another exercise reruns the page, which finds the link withdrawn.
    other = "bridge" if exercise != "bridge" else "heel_slide"
    click_settled(patient.get_by_text(exercise_name("en", other), exact=True))
    wait_shown(patient, f"text={h('refused_title')}", 30_000)


def _job_state(db, patient_id: int, done):
    """Wait until the patient's latest home upload satisfies ``done(state)``; return it."""
    import datetime as dt

    from formcheck.clinic.models import utcnow
    from formcheck.jobs import store

    cap = time.monotonic() + SAFETY_CAP_S
    while True:
        jobs = store.home_jobs(db, patient_id, utcnow() - dt.timedelta(days=1))
        if jobs and done(jobs[-1]):
            return jobs[-1]
        assert time.monotonic() < cap, f"home upload never reached the state: {jobs}"
        time.sleep(0.2)


@pytest.mark.timeout(1200)
def test_home_upload_goes_through_the_queue_and_survives_a_server_stop(
        launch, clinic_store, upload_sample, tmp_path, repeated_clip, processes, artifacts):
    from formcheck.jobs import store
    from formcheck.ui.common import video_error_message
    from formcheck.video import VideoError, probe

    db, url, folder = clinic_store
    clip, truth = upload_sample
    exercise = truth["exercise"]
    video = repeated_clip(clip, tmp_path / "my_set.mp4", 3)  # long enough to stop mid-job
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video" * 100)
    with pytest.raises(VideoError) as refused:
        probe(bad)
    clinician = auth.authenticate(db, auth.login(db, USER, PASSWORD))
    patient = records.add_patient(db, clinician, UPLOAD_CODE, "posterolateral", truth["side"],
                                  exercises=[exercise, "bridge"])
    token, _ = links.create_link(db, clinician, UPLOAD_CODE)
    env = {"FORMCHECK_DB_URL": url, "FORMCHECK_JOB_DIR": str(folder / "jobs"),
           "FORMCHECK_VIDEO_DIR": str(folder / "videos")}
    browser = launch()

    def open_link(app: str, lang: str):
        page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
        page.goto(links.link_url(token, app).replace("/home?", f"/home?lang={lang}&"))
        wait_shown(page, f"text={text('home.title', lang)}", 60_000)
        return page

    def nl(key: str, **values) -> str:
        return text(f"home.{key}", "nl", **values)

    with running_app(env, "streamlit_home_upload.log") as app:
        page = open_link(app, "nl")   # the patient reads Dutch
        choose_exercise(page, exercise, "nl")
        click_settled(page.get_by_text(nl("how_upload"), exact=True))
        page.wait_for_selector(UPLOAD_INPUT, state="attached", timeout=30_000)
        # A bad video: refused at once, in the patient's language; nothing queued.
        upload_settled(page, UPLOAD_INPUT, bad)
        wait_shown(page, f"text={video_error_message(refused.value, 'nl', bad.name)}", 60_000)
        assert store.home_jobs(db, patient.id, patient.created_at) == []
        upload_settled(page, UPLOAD_INPUT, video)
        wait_shown(page, f"text={nl('job_leave')}", 60_000)  # queued: the page follows it
        running = _job_state(db, patient.id, lambda j: j.status == "running" and j.progress > 0)
        page.screenshot(path=str(artifacts / "home_upload_running.png"), full_page=True)
        app_pid = int(_owner(db, running.id))
        workers = processes.children(app_pid)
        assert int(running.worker.rpartition(":")[2]) in workers
        page.close()
    # The server stopped mid-analysis: no worker process outlives it, the job is kept.
    processes.wait_ended(workers)
    stopped = store.get(db, running.id)
    assert not stopped.finished and records.set_records(db, clinician, UPLOAD_CODE) == []

    with running_app(env, "streamlit_home_upload_2.log") as app:
        final = _job_state(db, patient.id, lambda j: j.finished)  # resumed by the new start
        assert (final.id, final.status, final.attempts) == (running.id, "done", 2), final.error
        (saved,) = records.set_records(db, clinician, UPLOAD_CODE)
        assert (saved.source, saved.exercise, saved.pain) == ("home", exercise, None)
        assert saved.rep_count == 3 * truth["rep_count"]
        # The patient opens the link again: the pain question of the set that landed.
        page = open_link(app, "en")
        question = h("pain_question", exercise=exercise_name("en", exercise),
                     reps=saved.rep_count)
        wait_shown(page, f"text={question}", 60_000)
        form = page.get_by_test_id("stForm").filter(has_text=h("answer"))
        set_slider(form.get_by_role("slider"), 1)
        click_until(page, form.get_by_role("button", name=h("answer")),
                    lambda: records.set_records(db, clinician, UPLOAD_CODE)[0].pain == 1)
        wait_shown(page, f"text={h('answered', pain=1, swelling='No')}")
        page.screenshot(path=str(artifacts / "home_upload_answered.png"), full_page=True)
        (answered,) = records.set_records(db, clinician, UPLOAD_CODE)
        assert (answered.set_id, answered.pain) == (saved.set_id, 1)
        assert not Path(final.track_out).exists()   # the job's pose track went with the answer
        workers = processes.children(int(_owner(db, final.id)))
    processes.wait_ended(workers)


def _owner(db, job_id: int) -> str:
    """The pid of the app process whose local workers run a job."""
    from formcheck.jobs.store import AnalysisJob

    with db.transaction() as s:
        return s.get_one(AnalysisJob, job_id).owner.rpartition(":")[2]
