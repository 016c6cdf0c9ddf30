"""Database connection and schema migrations.

SQLite file by default (``$FORMCHECK_DB_URL``, else ``~/.local/share/formcheck/formcheck.db``);
any PostgreSQL by URL (``postgresql+psycopg://user:pw@host/db``). The schema is owned by
Alembic; :func:`init_db` upgrades to head from the migrations shipped inside the package.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DB_URL_ENV = "FORMCHECK_DB_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_db_path() -> Path:
    """Return ``$XDG_DATA_HOME/formcheck/formcheck.db`` (default ``~/.local/share``)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "formcheck" / "formcheck.db"


def default_db_url() -> str:
    """Return ``$FORMCHECK_DB_URL``, else the URL of the default SQLite file."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{default_db_path()}"


def _prepare_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; for SQLite the directory is created and foreign keys switched on."""
    url = url or default_db_url()
    _prepare_sqlite_dir(url)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    """Build an Alembic ``Config`` in code, pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision``."""
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
