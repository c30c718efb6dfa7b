"""Opening a catalog database: any SQLAlchemy URL, SQLite tuned for one writer beside readers,
and the schema brought to the newest Alembic revision (`store/migrations/`).

`probe_catalog` checks a URL before anything is created (a valid URL, an installed driver, a
reachable server, a readable database); `upgrade_schema` serialises concurrent upgrades (a
PostgreSQL advisory lock; SQLite's write lock), so two runs on a fresh catalog never race."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

MIGRATIONS = Path(__file__).parent.parent / "migrations"
# The key of the PostgreSQL advisory lock that serialises schema upgrades (any constant works;
# this one is "ssl-attn" read as ASCII, so it is unlikely to collide with another application's).
MIGRATION_LOCK_KEY = 0x73736C2D6174746E
# Alembic's `context` is one module-level proxy: two upgrades in one process must not interleave.
_UPGRADING = threading.Lock()
CONNECT_TIMEOUT_S = 10  # a server that does not answer within this is reported as unreachable


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
    """Bring the database to the newest Alembic revision (idempotent, safe for concurrent processes).

    The upgrade runs in one transaction that first takes a lock every upgrader takes: on
    PostgreSQL a transaction-scoped advisory lock (`pg_advisory_xact_lock`), elsewhere the
    database's own write lock, so a second process waits and then finds the schema at head.
    A catalog at a revision this code does not know raises `CatalogUnavailable`."""
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(5):
        try:
            with _UPGRADING, engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except CommandError as error:
            raise CatalogUnavailable(
                f"the catalog's schema cannot be upgraded ({str(error).splitlines()[0]}); "
                "was it written by a newer version? use that version or a new --db"
            ) from None
        except OperationalError:
            # SQLite: another process holds the write lock beyond busy_timeout; try again.
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


def _describe(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


def _probe_sqlite_file(path: Path) -> None:
    """An existing SQLite catalog must be a readable SQLite database; a new one's folder must be
    creatable. Nothing is created or changed."""
    if path.exists():
        if not path.is_file():
            raise CatalogUnavailable(f"--db names {path}, which is not a file; give a SQLite file path")
        try:
            # Read-only, through the URI interface: a broken file is never "repaired" or extended.
            with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as error:
            raise CatalogUnavailable(
                f"--db {path} is not a usable SQLite catalog ({error}); move it away or give another --db"
            ) from None
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise CatalogUnavailable(
            f"--db {path} cannot be created: {ancestor} is not a folder; give a path in a folder"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise CatalogUnavailable(f"--db {path} cannot be created: {ancestor} is not writable")


def probe_catalog(url: str) -> None:
    """Check that `url` names a catalog precompute can open, creating nothing: a valid SQLAlchemy
    URL of an installed dialect and driver; for SQLite a readable database file (or a path where
    one can be created); for a server, one that answers. Raises `CatalogUnavailable` saying which."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CatalogUnavailable(
            f"--db {url!r} is not a SQLAlchemy URL; give e.g. sqlite:///path/catalog.db or "
            "postgresql+psycopg://user@host/db"
        ) from None
    try:
        parsed.get_dialect()
    except ArgumentError:  # NoSuchModuleError: an unknown dialect or driver name
        raise CatalogUnavailable(
            f"--db {_describe(parsed)}: unsupported database '{parsed.drivername}'; "
            "use sqlite:/// or postgresql+psycopg:// (or another SQLAlchemy dialect that is installed)"
        ) from None
    except ImportError as error:
        raise CatalogUnavailable(
            f"--db {_describe(parsed)}: the driver for '{parsed.drivername}' is not installed ({error.name})"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            _probe_sqlite_file(path)
        return
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except (ArgumentError, ImportError, TypeError) as error:
        raise CatalogUnavailable(f"--db {_describe(parsed)} cannot be used ({error})") from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise CatalogUnavailable(
            f"--db {_describe(parsed)}: the database cannot be reached ({reason[0] if reason else type(error).__name__})"
        ) from None
    finally:
        engine.dispose()


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
