"""The worker process's database engine: one pool, created on first use in the actors' event loop."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import make_engine, make_sessionmaker
from db.uow import UnitOfWork
from trainpack.settings import load_settings

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def unit_of_work() -> UnitOfWork:
    """A unit of work on the process's pool (actors run on Dramatiq's single event loop thread)."""
    global _engine, _sessionmaker
    if _sessionmaker is None:
        settings = load_settings()
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set: the worker needs the database.")
        _engine = make_engine(settings.database_url, pool_size=5)
        _sessionmaker = make_sessionmaker(_engine)
    return UnitOfWork(_sessionmaker)


async def dispose() -> None:
    """Close the pool (worker shutdown, tests)."""
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = _sessionmaker = None
