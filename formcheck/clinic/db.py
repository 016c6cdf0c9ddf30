"""Database connection and schema migrations.

SQLite file by default (``$FORMCHECK_DB_URL``, else ``~/.local/share/formcheck/formcheck.db``);
any PostgreSQL by URL (``postgresql+psycopg://user:pw@host/db``). The schema is owned by
Alembic; :func:`init_db` upgrades to head from the migrations shipped inside the package.

Privacy: a SQLite store's folder is created ``0700`` and its file ``0600`` (owner only).
Concurrency: SQLite transactions start with ``BEGIN IMMEDIATE`` (the write lock is taken at
the start, so two writers queue on ``busy_timeout`` instead of failing), PostgreSQL code
locks the rows it numbers from (see :func:`formcheck.clinic.records.save_set`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

DB_URL_ENV = "FORMCHECK_DB_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_db_path() -> Path:
    """Return ``$XDG_DATA_HOME/formcheck/formcheck.db`` (default ``~/.local/share``)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "formcheck" / "formcheck.db"


def default_db_url() -> str:
    """Return ``$FORMCHECK_DB_URL``, else the URL of the default SQLite file."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{default_db_path()}"


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_BUSY_TIMEOUT_MS = 60_000


def private_dir(path: Path) -> Path:
    """Create folder ``path`` (and parents) if missing; a folder it creates is owner-only."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        path.chmod(PRIVATE_DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new or existing file readable by its owner only (``0600``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
        handle.write(data)
    return path


def _prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file's folder (``0700``) and the empty file (``0600``) if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser()
        private_dir(path.parent)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions begin in _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite: private file and folder, foreign keys on, immediate locks."""
    url = url or default_db_url()
    _prepare_sqlite_file(url)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> Config:
    """Build an Alembic ``Config`` in code, pointing at the packaged migrations."""
    from alembic.config import Config  # here: a worker process opens the store, never migrates

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


@dataclass
class Database:
    """An engine plus a session factory; each :meth:`transaction` commits once on success."""

    engine: Engine
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session inside one transaction: commit on success, roll back on error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()


def open_db(url: str | None = None) -> Database:
    """Open a store without migrating (use :func:`init_db` to create or upgrade it)."""
    return Database(make_engine(url))


def init_db(url: str | None = None) -> Database:
    """Open the store at ``url`` (default :func:`default_db_url`) and upgrade it to head."""
    db = open_db(url)
    upgrade(db.engine)
    return db
