"""Alembic environment for the clinic store.

Run it through :func:`formcheck.clinic.db.upgrade`, which passes the engine in
``config.attributes["engine"]``; a plain ``sqlalchemy.url`` option works too (e.g. for
``alembic revision --autogenerate`` during development).
"""

from alembic import context
from sqlalchemy import Engine

from formcheck.clinic.db import make_engine
from formcheck.clinic.models import Base
from formcheck.jobs.store import not_queue_table  # the job table is ours too

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    return engine if engine is not None else make_engine(config.get_main_option("sqlalchemy.url"))


def run_offline() -> None:
    """Emit SQL to stdout without a database connection."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate the connected database; batch mode lets SQLite alter tables."""
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_name=not_queue_table,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
