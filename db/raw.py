"""Direct driver access for the hot paths (autosave, authentication).

The ORM costs about a millisecond of CPU per statement on top of the driver; the few
statements every autosave runs are written here as plain SQL on the asyncpg connection of
the unit of work's own transaction, and rows are turned into (detached) model instances.
Writes to such instances are explicit (the repositories' ``save``/``update`` methods): the
ORM never flushes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import Base

M = TypeVar("M", bound=Base)
_DRIVER = "trainpack.driver_connection"


async def driver(session_or_connection: AsyncSession | AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a session's (or connection's) current transaction.

    A session keeps it in ``session.info`` for the rest of its (single) transaction.
    """
    if isinstance(session_or_connection, AsyncSession):
        cached: asyncpg.Connection | None = session_or_connection.info.get(_DRIVER)
        if cached is not None:
            return cached
    connection = (
        await session_or_connection.connection()
        if isinstance(session_or_connection, AsyncSession)
        else session_or_connection
    )
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its own first statement. A
    # statement sent straight to the driver must not run outside the unit of work's
    # transaction, so begin it here the same way (SQLAlchemy is pinned; the concurrency
    # tests fail loudly if this ever stops holding locks until commit).
    if getattr(adapted, "_transaction", None) is None and getattr(adapted, "isolation_level", "") != "autocommit":
        await adapted._start_transaction()  # type: ignore[union-attr]
    driver_connection: asyncpg.Connection = raw.driver_connection
    if isinstance(session_or_connection, AsyncSession):
        session_or_connection.info[_DRIVER] = driver_connection
    return driver_connection


def columns(model: type[Base], alias: str | None = None) -> str:
    """The model's column list for a SELECT, optionally qualified by a table alias."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{column.name}" for column in model.__table__.columns)


def detached(model: type[M], row: Mapping[str, Any]) -> M:
    """A model instance built from a driver row, not attached to any session.

    The values go in as loaded state (no change events), which is also what makes this
    several times cheaper than calling the model's constructor.
    """
    instance: M = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(row)
    return instance


def as_json(value: Any) -> str:
    """JSON text for a ``jsonb`` parameter (the driver codec takes text)."""
    return json.dumps(value, separators=(",", ":"))
