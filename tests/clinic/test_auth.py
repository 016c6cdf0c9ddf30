from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from formcheck.clinic import auth
from formcheck.clinic.models import LoginSession

PASSWORD = "correct horse battery"


@pytest.fixture
def clinic_id(db):
    clinic = auth.create_clinic(db, "Noord")
    auth.create_clinician(db, clinic.id, "anna", PASSWORD)
    return clinic.id


def test_production_hasher_is_argon2id_with_default_cost():
    from argon2 import PasswordHasher, Type

    default = PasswordHasher()
    assert auth.PasswordHasher is PasswordHasher
    assert default.type is Type.ID and default.memory_cost >= 65536


def test_password_is_hashed_with_argon2(db, clinic_id):
    clinician = auth.authenticate(db, auth.login(db, "anna", PASSWORD))
    assert clinician.username == "anna" and clinician.clinic_id == clinic_id
    assert clinician.password_hash.startswith("$argon2")
    assert PASSWORD not in clinician.password_hash


def test_wrong_password_and_unknown_user_are_refused(db, clinic_id):
    with pytest.raises(auth.AuthError):
        auth.login(db, "anna", "wrong password")
    with pytest.raises(auth.AuthError):
        auth.login(db, "nobody", PASSWORD)
    with pytest.raises(auth.AuthError):
        auth.authenticate(db, "not-a-token")


def test_token_is_not_stored_in_clear(db, clinic_id):
    token = auth.login(db, "anna", PASSWORD)
    with db.transaction() as s:
        stored = s.scalars(select(LoginSession.token_sha256)).all()
    assert token not in stored and len(stored) == 1


def test_idle_timeout_refreshes_and_expires(db, clinic_id):
    t0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    token = auth.login(db, "anna", PASSWORD, now=t0)
    # used after 20 min: still valid, and the 30 min window restarts
    assert auth.authenticate(db, token, now=t0 + dt.timedelta(minutes=20)).username == "anna"
    assert auth.authenticate(db, token, now=t0 + dt.timedelta(minutes=45)).username == "anna"
    # idle for 31 min: expired and removed
    with pytest.raises(auth.AuthError, match="expired"):
        auth.authenticate(db, token, now=t0 + dt.timedelta(minutes=76))
    with pytest.raises(auth.AuthError):
        auth.authenticate(db, token, now=t0 + dt.timedelta(minutes=77))


def test_configurable_timeout_logout_and_purge(db, clinic_id):
    t0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    short = auth.login(db, "anna", PASSWORD, idle_timeout=dt.timedelta(minutes=5), now=t0)
    with pytest.raises(auth.AuthError):
        auth.authenticate(db, short, now=t0 + dt.timedelta(minutes=6))
    kept = auth.login(db, "anna", PASSWORD, now=t0)
    gone = auth.login(db, "anna", PASSWORD, now=t0)
    auth.logout(db, gone)
    with pytest.raises(auth.AuthError):
        auth.authenticate(db, gone, now=t0)
    assert auth.purge_expired_sessions(db, now=t0 + dt.timedelta(hours=1)) == 1
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert kept


def test_account_rules(db, clinic_id):
    with pytest.raises(auth.AuthError, match="at least"):
        auth.create_clinician(db, clinic_id, "bert", "short")
    with pytest.raises(ValueError, match="taken"):
        auth.create_clinician(db, clinic_id, "anna", PASSWORD)
    with pytest.raises(ValueError, match="exists"):
        auth.create_clinic(db, "Noord")
    assert auth.count_clinics(db) == 1
