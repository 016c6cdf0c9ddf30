"""Fixtures for the clinic store: SQLite and a real, throwaway PostgreSQL server.

The PostgreSQL server is started once per test run: ``initdb`` in a fresh temp dir (as the
``postgres`` OS user when running as root), listening on 127.0.0.1 on a free port with its
socket in the temp dir. Each test gets its own database. Set ``FORMCHECK_TEST_PG_URL`` to an
admin URL (``postgresql+psycopg://user:pw@host:port/postgres``) to use an existing server.
If no server can be had, only the PostgreSQL half is skipped.
"""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from formcheck.clinic import auth
from formcheck.clinic.db import Database, init_db
from formcheck.clinic.models import Clinician
from tests.system_packages import apt_install

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _pg_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    """A private PostgreSQL cluster in a temp dir."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="formcheck-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)

    def _run(self, *args: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run(
            [*prefix, *args], check=True, capture_output=True, text=True, timeout=timeout
        )

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """Admin URL of a PostgreSQL server for this test run (skips if none can be had)."""
    given = os.environ.get("FORMCHECK_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = _pg_bindir()
    if bindir is None:
        reason = apt_install("postgresql", lambda: _pg_bindir() is not None)
        bindir = _pg_bindir()
        if bindir is None:
            pytest.skip(reason or "PostgreSQL binaries not found after install")
    server = _Server(bindir)
    try:
        server.start()
    except (subprocess.SubprocessError, OSError) as error:
        detail = getattr(error, "stderr", "") or ""
        server.stop()
        pytest.skip(f"cannot start PostgreSQL: {error} {detail.strip()[-300:]}")
    try:
        yield server.admin_url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use argon2id with low cost in tests (the production parameters are argon2-cffi's)."""
    monkeypatch.setattr(auth, "password_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


_db_numbers = itertools.count()


def _pg_execute(admin_url: str, sql: str) -> None:
    import psycopg

    url = make_url(admin_url)
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"formcheck_test_{os.getpid()}_{next(_db_numbers)}"
    _pg_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """An upgraded store on each backend."""
    database = init_db(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """An upgraded SQLite store only (for tests that do not touch storage specifics)."""
    database = init_db(f"sqlite:///{tmp_path / 'clinic.db'}")
    yield database
    database.dispose()


def _make_clinician(db: Database, clinic: str, username: str) -> Clinician:
    created = auth.create_clinic(db, clinic)
    auth.create_clinician(db, created.id, username, PASSWORD)
    return auth.authenticate(db, auth.login(db, username, PASSWORD))


@pytest.fixture
def make_clinician() -> Callable[[Database, str, str], Clinician]:
    """Create a clinic with one clinician (password :data:`PASSWORD`); return them logged in."""
    return _make_clinician


@pytest.fixture
def anna(db: Database) -> Clinician:
    """Clinician ``anna`` of clinic ``Noord``, logged in."""
    return _make_clinician(db, "Noord", "anna")


@pytest.fixture
def repo_root() -> Path:
    """The repository root (for ``PYTHONPATH`` of subprocesses)."""
    return REPO_ROOT


@pytest.fixture
def make_result() -> Callable[..., dict[str, Any]]:
    """Build an engine JSON result like the engine writes it."""

    def build(
        exercise: str = "mini_squat",
        reps: int = 5,
        faults: dict[int, list[str]] | None = None,
        peak: float = 70.0,
        completed: int | None = None,
    ) -> dict[str, Any]:
        faults = faults or {}
        done = reps if completed is None else completed
        rep_list = [
            {
                "index": i,
                "start_s": 2.0 + 3 * (i - 1),
                "end_s": 4.5 + 3 * (i - 1),
                "peak_deg": peak + i * 0.5,
                "hold_s": 0.4,
                "completed": i <= done,
                "faults": faults.get(i, []),
            }
            for i in range(1, reps + 1)
        ]
        return {
            "exercise": exercise,
            "side": "left",
            "approach": "posterolateral",
            "rep_count": done,
            "attempts": reps,
            "detection_rate": 0.98,
            "view": "side",
            "duration_s": 3.0 * reps,
            "warnings": [{"code": "camera_low", "message": "Camera is low"}],
            "reps": rep_list,
        }

    return build


@pytest.fixture
def at() -> Callable[..., dt.datetime]:
    """Build an aware UTC datetime at noon ``days`` from 2025-03-01 plus ``hours``."""

    def build(days: int = 0, hours: float = 0) -> dt.datetime:
        base = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
        return base + dt.timedelta(days=days, hours=hours)

    return build
