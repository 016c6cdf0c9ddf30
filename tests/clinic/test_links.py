"""Patient links: a token that reaches one patient's programme and home sets, nothing else.

Scoping is checked in the data layer (not a page): with a link's grant, another patient,
another clinic, a clinic session or a clinician-only action is refused; a revoked or expired
link stops working at once, also for page sessions already open. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from formcheck.clinic import links, records
from formcheck.clinic.models import LinkSession, PatientLink, ScreeningSession
from formcheck.clinic.progress import Adherence, adherence, sessions_per_day


@pytest.fixture
def two_patients(db, anna):
    records.add_patient(db, anna, "HIP-001", "posterolateral", "left",
                        exercises=["mini_squat", "bridge"])
    records.add_patient(db, anna, "HIP-002", "anterior", "right")
    return anna


def _grant(db, clinician, code: str = "HIP-001"):
    token, _ = links.create_link(db, clinician, code)
    return links.authenticate_link(db, links.open_link(db, token)), token


def test_link_stored_hashed_and_url_printed(db, two_patients, monkeypatch):
    token, link = links.create_link(db, two_patients, "HIP-001", days=7)
    with db.transaction() as s:
        stored = s.scalars(select(PatientLink.token_sha256)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    assert (link.expires_at - link.created_at) == dt.timedelta(days=7)
    monkeypatch.setenv(links.BASE_URL_ENV, "https://fysio.example/")
    assert links.link_url(token) == f"https://fysio.example/home?link={token}"
    assert links.link_url(token, "http://h:1").startswith("http://h:1/home?link=")


def test_link_reads_and_writes_only_its_patient(db, two_patients, make_result):
    anna = two_patients
    grant, _ = _grant(db, anna)
    patient = records.link_patient(db, grant)
    assert (patient.code, patient.operated_side) == ("HIP-001", "left")
    assert records.get_patient(db, grant, "HIP-001").id == patient.id
    with pytest.raises(records.NotFoundError):
        records.get_patient(db, grant, "HIP-002")
    with pytest.raises(records.NotFoundError):
        records.set_records(db, grant, "HIP-002")

    home = records.home_session(db, grant)
    saved = records.save_set(db, home.id, make_result("mini_squat"), None, clinician=grant)
    answered = records.answer_pain(db, saved.id, 4, True, clinician=grant)
    assert (answered.pain, answered.swelling, answered.pain_advice) == (4, True, "new_swelling")
    [record] = records.set_records(db, grant, "HIP-001")
    assert (record.source, record.pain) == ("home", 4)
    with pytest.raises(ValueError, match="already"):
        records.answer_pain(db, saved.id, 1, clinician=grant)

    # Another patient's session, a clinic session of its own patient: not found for the link.
    other = records.start_session(db, anna, "HIP-002")
    clinic = records.start_session(db, anna, "HIP-001")
    other_set = records.save_set(db, other.id, make_result("bridge") | {
        "side": "right", "approach": "anterior"}, None, clinician=anna)
    for session_id in (other.id, clinic.id):
        with pytest.raises(records.NotFoundError):
            records.save_set(db, session_id, make_result("mini_squat"), 2, clinician=grant)
    with pytest.raises(records.NotFoundError):
        records.answer_pain(db, other_set.id, 9, clinician=grant)
    assert records.set_records(db, anna, "HIP-002")[0].pain is None
    # Not the patient's settings, or an exercise not in the programme: refused.
    with pytest.raises(ValueError, match="side and approach"):
        records.save_set(db, home.id, make_result("mini_squat") | {"side": "right"}, 1,
                         clinician=grant)
    with pytest.raises(ValueError, match="protocol"):
        records.save_set(db, home.id, make_result("hip_abduction"), 1, clinician=grant)
    # Clinician-only actions.
    for action in (lambda: records.list_patients(db, grant),
                   lambda: records.add_patient(db, grant, "HIP-009", "anterior", "left"),
                   lambda: records.update_protocol(db, grant, "HIP-001", ["bridge"]),
                   lambda: records.start_session(db, grant, "HIP-001"),
                   lambda: records.delete_patient(db, grant, "HIP-001"),
                   lambda: links.create_link(db, grant, "HIP-001")):
        with pytest.raises(PermissionError):
            action()
    # The clinician sees home and clinic sets together, home marked.
    assert [r.source for r in records.set_records(db, anna, "HIP-001")] == ["home"]


def test_link_of_another_clinic_finds_nothing(db, two_patients, make_clinician, make_result):
    bert = make_clinician(db, "Zuid", "bert")
    records.add_patient(db, bert, "HIP-001", "anterior", "right")
    grant, _ = _grant(db, two_patients)
    [bert_patient] = records.list_patients(db, bert)
    assert records.link_patient(db, grant).id != bert_patient.id
    bert_session = records.start_session(db, bert, "HIP-001")
    with pytest.raises(records.NotFoundError):
        records.save_set(db, bert_session.id, make_result("mini_squat"), 1, clinician=grant)
    with pytest.raises(records.NotFoundError):
        links.create_link(db, bert, "HIP-002")


def test_revoked_and_expired_links_are_refused(db, two_patients, make_result):
    anna = two_patients
    grant, token = _grant(db, anna)
    home = records.home_session(db, grant)
    assert links.revoke_links(db, anna, "HIP-001") == 1
    for attempt in (lambda: links.open_link(db, token),
                    lambda: records.link_patient(db, grant),
                    lambda: records.save_set(db, home.id, make_result(), 1, clinician=grant),
                    lambda: records.home_session(db, grant)):
        with pytest.raises(records.LinkRefused) as refused:
            attempt()
        assert refused.value.reason == "revoked"
    assert records.set_records(db, anna, "HIP-001") == []

    token2, link2 = links.renew_link(db, anna, "HIP-001", days=1)
    session_token = links.open_link(db, token2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)
    with pytest.raises(records.LinkRefused) as refused:
        links.open_link(db, token2, now=later)
    assert refused.value.reason == "expired"
    with pytest.raises(records.LinkRefused):
        links.authenticate_link(db, session_token, now=later)
    with pytest.raises(records.LinkRefused) as refused:
        links.open_link(db, "not-a-token")
    assert refused.value.reason == "unknown"
    assert [links.link_status(x) for x in links.list_links(db, anna, "HIP-001")] == [
        "active", "revoked"]
    with db.transaction() as s:
        assert s.scalar(select(LinkSession.token_sha256)) != session_token


def test_home_sittings_count_as_sessions_per_day(db, two_patients, make_result):
    anna = two_patients
    grant, _ = _grant(db, anna)
    t0 = dt.datetime.now(dt.UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    morning = records.home_session(db, grant, now=t0)
    records.save_set(db, morning.id, make_result(), 2, clinician=grant, saved_at=t0)
    same = records.home_session(db, grant, now=t0 + dt.timedelta(minutes=30))
    assert same.id == morning.id
    records.save_set(db, same.id, make_result("bridge"), 2, clinician=grant,
                     saved_at=t0 + dt.timedelta(minutes=30))
    evening = records.home_session(db, grant, now=t0 + dt.timedelta(hours=9))
    assert evening.id != morning.id
    records.save_set(db, evening.id, make_result(), 2, clinician=grant,
                     saved_at=t0 + dt.timedelta(hours=9))
    clinic = records.start_session(db, anna, "HIP-001", started_at=t0 + dt.timedelta(hours=4))
    records.save_set(db, clinic.id, make_result(), 2, clinician=anna,
                     saved_at=t0 + dt.timedelta(hours=4))
    [day] = sessions_per_day(records.set_records(db, anna, "HIP-001"), tz=dt.UTC)
    assert (day.sessions, day.home_sessions, day.status) == (3, 2, "ok")
    assert adherence([day], day.day) == Adherence(3, 2, 1, 7)
    assert adherence([day], day.day + dt.timedelta(days=7)) == Adherence(0, 0, 0, 7)
    with db.transaction() as s:
        sources = s.scalars(select(ScreeningSession.source).order_by(ScreeningSession.id)).all()
    assert sources == ["home", "home", "clinic"]


def test_home_video_needs_the_clinicians_switch(db, two_patients):
    anna = two_patients
    grant, _ = _grant(db, anna)
    with pytest.raises(records.PrivacyError):
        records.home_session(db, grant, store_video=True)
    links.set_home_video(db, anna, "HIP-001", True)
    assert records.home_session(db, grant, store_video=True).store_video
    assert not records.home_session(db, grant, store_video=False).store_video
