"""One-shot database access for commands (token management, the dev launcher)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from db.engine import make_engine, make_sessionmaker
from db.uow import UnitOfWork


@asynccontextmanager
async def unit_of_work(database_url: str) -> AsyncIterator[UnitOfWork]:
    """A unit of work on a short-lived engine; commits on success."""
    engine = make_engine(database_url, pooled=False)
    try:
        async with UnitOfWork(make_sessionmaker(engine)) as uow:
            yield uow
    finally:
        await engine.dispose()
