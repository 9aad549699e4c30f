"""Opening the database and bringing its schema to the current migration."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from warroom.core.errors import WarroomError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Checked against Alembic's own head by a test; lets start-up skip
# importing Alembic (a third of a second) when the schema is current.
HEAD = "0016"


class DatabaseError(WarroomError):
    """The database cannot be opened or migrated; the message names the URL and the reason."""


def display_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"`{url}` is not a database URL (sqlite:///path or postgresql+psycopg://...)"
        ) from None
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            if not path.parent.exists():
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(f"cannot open database {path}: {exc.strerror}") from None
        # One connection per process: SQLite takes one writer at a time anyway, and threads
        # queued on the pool wake the moment it is free, where SQLite's busy handler polls
        # with sleeps of up to 100 ms (the p99 of a reply under load; bench/slack_roundtrip.py).
        # Other processes on the same file still meet the busy handler (30 s).
        engine = create_engine(
            parsed,
            connect_args={"timeout": 30},
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        try:
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseError(f"cannot open database {display_url(url)}: {exc}") from None
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable across process crashes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply missing migrations; cheap when the schema is current (one query)."""
    url = display_url(engine.url.render_as_string(hide_password=False))
    try:
        current = current_revision(engine)
        if current == HEAD:
            return
        from alembic import command

        log.info("migrating %s from %s to %s", url, current, HEAD)
        command.upgrade(_alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig) if orig is not None else str(exc)
        raise DatabaseError(
            f"cannot open database {url}: {reason.strip().splitlines()[0]}"
        ) from None
    except Exception as exc:  # alembic wraps many causes; all of them mean "cannot migrate"
        raise DatabaseError(f"cannot migrate database {url}: {exc}") from None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        revision: str | None = conn.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar()
        return revision


def connect(url: str) -> sessionmaker[Session]:
    """An engine on `url` with the schema current, as a session factory."""
    engine = open_engine(url)
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
