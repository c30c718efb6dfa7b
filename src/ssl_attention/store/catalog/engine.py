"""Opening a catalog database: any SQLAlchemy URL, SQLite tuned for one writer beside readers,
and the schema brought to the newest Alembic revision (`store/migrations/`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

MIGRATIONS = Path(__file__).parent.parent / "migrations"


class CatalogUnavailable(Exception):
    """The catalog cannot be opened: no database yet, a bad URL, a missing driver. The message
    says which, and names no path beyond the configured one."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the API read while a precompute run writes; busy_timeout lets two runs share the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest Alembic revision (idempotent, safe for two processes)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(5):
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except OperationalError:
            # Another process is creating the same tables right now; its work is ours too.
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def open_engine(url: str, *, migrate: bool) -> Engine:
    """An engine for `url` (a SQLite file's folder is created), upgraded to head when `migrate`."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        sqlite_pragmas(engine)
    if migrate:
        upgrade_schema(engine)
    return engine


def open_existing_engine(url: str, *, setting: str = "the catalog URL") -> Engine:
    """An engine for a catalog that must already exist (never created, never migrated); raises
    `CatalogUnavailable` naming `setting` (where the URL came from) when it cannot be opened."""
    try:
        path = sqlite_file(url)
        if path is not None and not path.is_file():
            raise CatalogUnavailable(f"no catalog at {path}; run `precompute` first")
        return open_engine(url, migrate=False)
    except ArgumentError:
        raise CatalogUnavailable(f"{setting} is not a valid SQLAlchemy URL") from None
    except ImportError as error:
        raise CatalogUnavailable(
            f"the database driver for {setting} is not installed ({error.name})"
        ) from None
    except SQLAlchemyError as error:
        raise CatalogUnavailable(f"the catalog cannot be opened ({type(error).__name__})") from None
