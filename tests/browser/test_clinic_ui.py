"""Clinic mode in headless Chromium: login, add a patient, screening sets, progress, reports.

The store is a temporary SQLite file created with the clinic layer's API; the app is started
with ``FORMCHECK_DB_URL`` pointing at it, and what the page saved is read back the same way.
One set comes from an uploaded video, one from Chromium's fake camera (the live view).
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from formcheck.clinic import auth, records
from formcheck.clinic.models import ExerciseSet, LoginSession, utcnow
from formcheck.clinic.texts import exercise_name, fault_name
from formcheck.i18n import text

from .conftest import (
    CLINIC_PASSWORD,
    CLINIC_USER,
    choose_settled,
    click_settled,
    click_until,
    main_text,
    open_expander,
    pick_settled,
    rerun_settled,
    running_app,
    server_mode_camera,
    set_slider,
    upload_settled,
    wait_settled,
    wait_shown,
    watch_live_count,
)

pytestmark = pytest.mark.browser

USER, PASSWORD, CODE = CLINIC_USER, CLINIC_PASSWORD, "P-001"
UPLOAD_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
METRIC = '[data-testid="stMetricValue"]'
MAIN = '[data-testid="stMain"]'


def t(key: str, **values) -> str:
    return text(f"clinic_ui.{key}", "en", **values)


@pytest.fixture(scope="module")
def clinic_url(chromium, clinic_store):
    _, url, folder = clinic_store
    env = {"FORMCHECK_DB_URL": url, "FORMCHECK_VIDEO_DIR": str(folder / "videos"),
           "FORMCHECK_JOB_DIR": str(folder / "jobs")}
    with running_app(env, "streamlit_clinic.log") as app:
        yield app


def _seed_history(db, clinician, days: int = 4) -> None:
    """Earlier days of clean sets (two sessions a day), as if screened before today."""
    for back in range(days, 0, -1):
        for hour in (9, 16):
            at = (utcnow() - dt.timedelta(days=back)).replace(hour=hour, minute=0)
            screening = records.start_session(db, clinician, CODE, started_at=at)
            for exercise, peak in (("mini_squat", 40 + 4 * (days - back)),
                                   ("hip_abduction", 14 + (days - back))):
                reps = [{"index": i, "peak_deg": peak + i, "faults": []} for i in range(1, 6)]
                if back == days:
                    reps[0]["faults"] = ["trunk_lean"]
                records.save_set(db, screening.id, {"exercise": exercise, "reps": reps}, 2,
                                 clinician=clinician, saved_at=at + dt.timedelta(minutes=5))


def _pains(db, clinician, code: str) -> list[int]:
    """The pain answers saved with the patient's sets (a set can be saved before its answer)."""
    return [r.pain for r in records.set_records(db, clinician, code) if r.pain is not None]


def open_patient_session(page, clinic_url: str, code: str) -> None:
    """Log in as the clinician and open patient ``code``'s screening session view."""
    page.goto(f"{clinic_url}/clinic?lang=en")
    page.get_by_label(t("username")).fill(USER)
    page.get_by_role("textbox", name=t("password")).fill(PASSWORD)
    page.get_by_role("button", name=t("login")).click()
    wait_shown(page, f"text={t('add_patient')}", 30_000)
    wait_settled(page)  # a rerun re-rendering the list would close it under the click
    click_settled(page.get_by_test_id("stSelectbox"))
    page.get_by_role("option", name=code).click()
    expect(page.get_by_test_id("stSelectbox").get_by_role("combobox")).to_have_value(code)
    click_settled(page.get_by_text(t("view_session"), exact=True))


def test_screening_session_end_to_end(launch, clinic_url, clinic_store, upload_sample,
                                      artifacts):
    db, _, folder = clinic_store
    clip, truth = upload_sample
    page = launch().new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{clinic_url}/clinic?lang=en")

    # Login (a wrong password first).
    page.get_by_label(t("username")).fill(USER)
    page.get_by_role("textbox", name=t("password")).fill("not-the-password")
    page.get_by_role("button", name=t("login")).click()
    wait_shown(page, f"text={t('login_failed')}", 30_000)
    page.get_by_role("textbox", name=t("password")).fill(PASSWORD)
    page.get_by_role("button", name=t("login")).click()
    wait_shown(page, f"text={t('add_patient')}", 30_000)
    wait_settled(page)

    # Add the patient the sample clip shows (operated side from the clip's truth).
    form = page.get_by_test_id("stForm").filter(has_text=t("code"))
    expect(form).to_have_count(1)
    form.get_by_label(t("code")).fill(CODE)
    side = text(f"app.side_{truth['side']}", "en")
    choose_settled(form.get_by_text(side, exact=True),
                   form.get_by_role("radio", name=side, exact=True))
    clinician = auth.authenticate(db, auth.login(db, USER, PASSWORD))
    click_until(page, form.get_by_role("button", name=t("add")),
                lambda: CODE in [p.code for p in records.list_patients(db, clinician)])
    wait_shown(page, f"text={t('added', code=CODE)}")
    wait_shown(page, f"text={t('protocol_title', code=CODE)}", 30_000)
    wait_settled(page)
    # The protocol: the clinician lowers the mini squat's hip-flexion limit to 80°.
    protocol = page.get_by_test_id("stForm").filter(has_text=t("save_protocol"))
    squat = protocol.get_by_test_id("stExpander").filter(
        has_text=exercise_name("en", "mini_squat"))
    fault = fault_name("en", "hip_flexion_limit").capitalize()
    limit = squat.get_by_label(t("fault_limit", fault=fault, kind=t("limit_max"), default=90))
    open_expander(squat, limit)
    limit.fill("80")
    limit.press("Tab")
    click_until(page, page.get_by_role("button", name=t("save_protocol")),
                lambda: records.get_patient(db, clinician, CODE).limit_overrides)
    wait_shown(page, f"text={t('protocol_saved')}")
    wait_settled(page)
    page.screenshot(path=str(artifacts / "clinic_patients.png"), full_page=True)
    patient = records.get_patient(db, clinician, CODE)
    assert (patient.operated_side, patient.approach) == (truth["side"], "posterolateral")
    assert patient.limit_overrides == {"mini_squat": {"hip_flexion_limit.max": 80.0}}
    _seed_history(db, clinician)

    # Screening: start a session keeping the video (off by default), pick the exercise, upload.
    click_settled(page.get_by_text(t("view_session"), exact=True))
    store = page.get_by_role("checkbox", name=t("store_video"))
    expect(store).to_have_count(1)
    expect(store).not_to_be_checked()
    click_settled(page.get_by_text(t("store_video"), exact=True))
    expect(store).to_be_checked()
    click_settled(page.get_by_role("button", name=t("start_session")))
    pick_settled(page, exercise_name("en", truth["exercise"]))
    page.wait_for_selector(UPLOAD_INPUT, state="attached", timeout=30_000)
    upload_settled(page, UPLOAD_INPUT, clip)
    wait_shown(page, f"text={t('result_of', exercise=exercise_name('en', truth['exercise']))}",
          120_000)
    expect(page.locator(METRIC).first).to_have_text(str(truth["rep_count"]))
    wait_shown(page, f"text={t('pain_title')}")
    wait_settled(page)
    assert "Traceback" not in main_text(page)
    page.screenshot(path=str(artifacts / "clinic_session.png"), full_page=True)

    # Pain 5 after pain 2 on earlier days: the leaflet's pain rule triggers. Save the set.
    form = page.get_by_test_id("stForm").filter(has_text=t("pain_title"))
    set_slider(form.get_by_role("slider"), 5)
    click_until(page, form.get_by_role("button", name=t("save_set")),
                lambda: 5 in _pains(db, clinician, CODE))
    wait_shown(page, "text=Set 1 saved")
    wait_shown(page, f"text={t('advice_pain_increase')}")
    wait_shown(page, '[data-testid="stFileUploader"]')
    wait_settled(page)
    page.screenshot(path=str(artifacts / "clinic_session_saved.png"), full_page=True)

    today = [r for r in records.set_records(db, clinician, CODE)
             if r.performed_at.date() >= dt.datetime.now(dt.UTC).date()]
    assert len(today) == 1
    assert today[0].exercise == truth["exercise"]
    assert today[0].rep_count == truth["rep_count"] and today[0].pain == 5
    stored = list((folder / "videos").rglob("*.mp4"))
    assert [p.read_bytes() for p in stored] == [clip.read_bytes()]

    # Progress: one plot per exercise, sessions per day, the dosage suggestion.
    click_settled(page.get_by_text(t("view_progress"), exact=True))
    wait_shown(page, f"text={t('sessions_title')}", 30_000)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stImage\"] img').length >= 3",
        timeout=30_000)
    wait_settled(page)
    page.screenshot(path=str(artifacts / "clinic_progress.png"), full_page=True)
    main = page.locator(MAIN)
    expect(main).to_contain_text(t("dosage_now", dosage="3 × 5"))
    expect(main).to_contain_text("not all sets complete")  # today's set had fewer reps than 5

    # Six more complete, clean sets: the next stage is suggested; the clinician confirms it.
    later = records.start_session(db, clinician, CODE)
    for _ in range(6):
        reps = [{"index": i, "peak_deg": 60.0, "faults": []} for i in range(1, 6)]
        records.save_set(db, later.id, {"exercise": "mini_squat", "reps": reps}, 3,
                         clinician=clinician)
    click_settled(page.get_by_text(t("view_patients"), exact=True))
    wait_shown(page, f"text={t('add_patient')}")
    click_settled(page.get_by_text(t("view_progress"), exact=True))
    wait_shown(page, f"text={t('confirm', dosage='3 × 6')}")
    wait_settled(page)
    page.screenshot(path=str(artifacts / "clinic_progress_suggestion.png"), full_page=True)
    click_until(page, page.get_by_role("button", name=t("confirm", dosage="3 × 6")),
                lambda: records.get_patient(db, clinician, CODE).dosage_reps == 6)
    wait_shown(page, f"text={t('confirmed', dosage='3 × 6')}")
    assert records.get_patient(db, clinician, CODE).dosage_reps == 6

    # Reports: a session PDF downloads; then the patient is deleted with everything.
    click_settled(page.get_by_text(t("view_reports"), exact=True))
    wait_shown(page, f"text={t('session_pdf')}", 30_000)
    wait_settled(page)  # the first session's button, not a leftover of the previous view
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name=t("download_pdf")).first.click()
    assert download.value.path().read_bytes()[:4] == b"%PDF"
    page.screenshot(path=str(artifacts / "clinic_reports.png"), full_page=True)
    open_expander(page.get_by_test_id("stExpander").filter(has_text=t("delete_title")),
                  page.get_by_label(t("delete_type", code=CODE)))
    page.get_by_label(t("delete_type", code=CODE)).fill(CODE)
    page.get_by_label(t("delete_type", code=CODE)).press("Enter")
    click_until(page, page.get_by_role("button", name=t("delete_button")),
                lambda: CODE not in [p.code for p in records.list_patients(db, clinician)])
    wait_shown(page, f"text={t('deleted', code=CODE, videos=1)}")
    assert records.list_patients(db, clinician) == []
    assert not list((folder / "videos").rglob("*.mp4"))

    # An idle-expired login sends the clinician back to the login form with a note.
    with db.transaction() as s:
        s.execute(update(LoginSession).values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    click_settled(page.get_by_text(t("view_progress"), exact=True))
    wait_shown(page, f"text={t('expired')}")
    page.get_by_role("button", name=t("login")).wait_for(timeout=30_000)


BACK_CODE = "P-BACK-1"


def test_uploaded_set_lands_after_the_tab_is_closed(launch, clinic_url, clinic_store,
                                                    upload_sample, artifacts):
    """An upload goes through the queue: the tab is closed while it waits, the set still lands
    in the patient's record, and a new tab resumes the session with the pain question."""
    db, _, folder = clinic_store
    clip, truth = upload_sample
    clinician = auth.authenticate(db, auth.login(db, USER, PASSWORD))
    records.add_patient(db, clinician, BACK_CODE, "posterolateral", truth["side"])
    browser = launch()

    def open_session_view():
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        open_patient_session(page, clinic_url, BACK_CODE)
        return page

    page = open_session_view()
    click_settled(page.get_by_role("button", name=t("start_session")))
    pick_settled(page, exercise_name("en", truth["exercise"]))
    page.wait_for_selector(UPLOAD_INPUT, state="attached", timeout=30_000)
    upload_settled(page, UPLOAD_INPUT, clip)
    wait_shown(page, f"text={t('job_leave')}", 60_000)  # queued: the page follows the job
    page.screenshot(path=str(artifacts / "clinic_upload_queued.png"), full_page=True)
    page.close()

    deadline = time.monotonic() + 300
    while not (saved := records.set_records(db, clinician, BACK_CODE)):
        assert time.monotonic() < deadline, "the uploaded set never landed"
        time.sleep(0.5)
    assert len(saved) == 1 and saved[0].pain is None
    assert saved[0].exercise == truth["exercise"] and saved[0].rep_count == truth["rep_count"]
    assert not list((folder / "jobs").rglob("upload*"))  # the job's copy of the video is gone

    page = open_session_view()  # a new tab: the session resumes at the pain question
    wait_shown(page, f"text={t('result_of', exercise=exercise_name('en', truth['exercise']))}",
               60_000)
    expect(page.locator(METRIC).first).to_have_text(str(truth["rep_count"]))
    wait_shown(page, f"text={t('pain_title')}")
    form = page.get_by_test_id("stForm").filter(has_text=t("pain_title"))
    set_slider(form.get_by_role("slider"), 2)
    click_until(page, form.get_by_role("button", name=t("save_set")),
                lambda: _pains(db, clinician, BACK_CODE) == [2])
    wait_shown(page, "text=Set 1 saved")
    wait_shown(page, '[data-testid="stFileUploader"]')  # the next set's uploader: answered
    page.screenshot(path=str(artifacts / "clinic_upload_resumed.png"), full_page=True)
    (answered,) = records.set_records(db, clinician, BACK_CODE)
    assert (answered.set_id, answered.pain) == (saved[0].set_id, 2)


LIVE_CODE = "P-LIVE-1"


@pytest.mark.timeout(1200)  # waits on frames analysed: slow when loaded
def test_live_set_saved_to_patient(launch, clinic_url, clinic_store, live_sample, tmp_path,
                                   artifacts):
    """Screening from the (fake) camera: the counted reps become a saved set of the patient."""
    db, _, _ = clinic_store
    clip, truth = live_sample
    exercise = truth["exercise"]
    clinician = auth.authenticate(db, auth.login(db, USER, PASSWORD))
    records.add_patient(db, clinician, LIVE_CODE, "anterior", truth["side"])
    y4m, loop_s = server_mode_camera(clip, truth, tmp_path / "camera.y4m")
    browser = launch("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={y4m}")
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    # Pick the patient, start a session, the exercise, the live camera.
    open_patient_session(page, clinic_url, LIVE_CODE)
    click_settled(page.get_by_role("button", name=t("start_session")))
    pick_settled(page, exercise_name("en", exercise))
    click_settled(page.get_by_text(t("source_live"), exact=True))
    click_settled(page.get_by_text(text("app.mode_server", "en"), exact=True))  # server mode
    webrtc = page.frame_locator('iframe[src*="webrtc_streamer"]')
    start = webrtc.get_by_role("button", name="START")
    start.wait_for(timeout=300_000)  # a state: the component has loaded (slow when loaded)
    start.click()

    seen = watch_live_count(page, 1, truth, loop_s, time.monotonic(),
                            webrtc=webrtc).count
    page.screenshot(path=str(artifacts / "clinic_live_counting.png"), full_page=True)
    assert seen >= 1, f"live counter stayed at {seen}"

    # The camera stops: the reps counted so far stay; ending the set asks pain and swelling.
    webrtc.get_by_role("button", name="STOP").click()
    kept = page.get_by_text(text("app.kept", "en", count=""))
    wait_shown(page, f"text={text('app.kept', 'en', count='')}", 120_000)
    expect(kept).to_have_count(1, timeout=120_000)  # not an earlier run's note beside it
    wait_settled(page)
    counted = int(re.search(r"(\d+)", kept.inner_text()).group(1))
    assert counted >= seen
    click_settled(page.get_by_role("button", name=text("app.end_set", "en")))
    wait_shown(page, f"text={t('pain_title')}", 120_000)
    form = page.get_by_test_id("stForm").filter(has_text=t("pain_title"))
    expect(form).to_have_count(1)
    expect(form).to_contain_text(t("live_set_done", exercise=exercise_name("en", exercise)))
    set_slider(form.get_by_role("slider"), 3)
    yes = text("app.yes", "en")
    choose_settled(form.get_by_text(yes, exact=True),
                   form.get_by_role("radio", name=yes, exact=True))
    page.screenshot(path=str(artifacts / "clinic_live_pain.png"), full_page=True)
    click_until(page, form.get_by_role("button", name=t("save_set")),
                lambda: _pains(db, clinician, LIVE_CODE) == [3])
    wait_shown(page, "text=Set 1 saved")
    wait_shown(page, f"text={t('advice_new_swelling')}")  # new swelling: the leaflet's rule
    main = page.locator(MAIN)
    expect(main).not_to_contain_text(t("pain_title"))   # the question answered is gone
    # The confirmation stays under the camera: a whole rerun (as the camera's) keeps it.
    rerun_settled(page)
    page.screenshot(path=str(artifacts / "clinic_live_saved.png"), full_page=True)
    body = main_text(page)
    assert "Set 1 saved" in body and t("advice_new_swelling") in body
    assert t("pain_title") not in body

    saved = records.set_records(db, clinician, LIVE_CODE)
    assert len(saved) == 1
    assert saved[0].exercise == exercise
    assert saved[0].rep_count == counted == sum(r.completed for r in saved[0].reps)
    assert (saved[0].pain, saved[0].swelling) == (3, True)
    with db.transaction() as s:
        row = s.get(ExerciseSet, saved[0].set_id)
        raw, view, side = row.raw_result, row.view, row.side
    assert raw["source"] == "live" and raw["ended_by"] == "button"
    assert side == truth["side"] and view == truth.get("view", view)
    assert 0 < raw["detection_rate"] <= 1 and raw["duration_s"] > 0
