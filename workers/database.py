"""The worker process's settings and database engine, made once per process on first use.

Settings are read once: parsing the environment costs more than a whole job's database work.
The pool is created in the actors' event loop; ``dispose`` forgets both (worker shutdown, tests).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from db.engine import make_engine, make_sessionmaker
from db.repositories.job_batches import JobBatches
from db.uow import UnitOfWork
from kit.metrics import record_pool
from trainpack.settings import Settings, load_settings

# Claims and outcomes are coalesced (a connection per batch), but every job that outlives one
# reporting interval holds a connection while it reports, and fact-bearing outcomes take their
# own. A pool too small for that churns: overflow connections are opened and closed per job.
POOL_SIZE = 16

# Coalesced claims and endings run one batch of each at a time; their statements wait this long
# for a row lock before the batch falls back to running its requests alone (see JobBatches).
BATCH_POOL_SIZE = 2
BATCH_LOCK_WAIT_MS = 2000

_settings: Settings | None = None
_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_batch_engine: AsyncEngine | None = None


def worker_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def unit_of_work() -> UnitOfWork:
    """A unit of work on the process's pool (actors run on Dramatiq's single event loop thread)."""
    global _engine, _sessionmaker
    if _sessionmaker is None:
        settings = worker_settings()
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set: the worker needs the database.")
        _engine = make_engine(settings.database_url, pool_size=POOL_SIZE)
        _sessionmaker = make_sessionmaker(_engine)
    return UnitOfWork(_sessionmaker, job_slots=worker_settings().job_slots_per_organisation)


def job_batches() -> JobBatches:
    """Single-statement job steps on the process's batch pool, whose row-lock waits are bounded."""
    global _batch_engine
    if _batch_engine is None:
        settings = worker_settings()
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set: the worker needs the database.")
        _batch_engine = make_engine(
            settings.database_url, pool_size=BATCH_POOL_SIZE, server_settings={"lock_timeout": str(BATCH_LOCK_WAIT_MS)}
        )
    return JobBatches(_batch_engine)


def record_pools() -> None:
    """The worker's pool usage, for its metrics."""
    for name, engine in (("worker", _engine), ("worker-batches", _batch_engine)):
        pool = engine.sync_engine.pool if engine is not None else None
        if isinstance(pool, QueuePool):
            record_pool(name, size=pool.size(), checked_out=pool.checkedout(), overflow=pool.overflow())


async def dispose() -> None:
    """Close the pools and forget the settings (worker shutdown, tests)."""
    global _settings, _engine, _sessionmaker, _batch_engine
    for engine in (_engine, _batch_engine):
        if engine is not None:
            await engine.dispose()
    _settings = _engine = _sessionmaker = _batch_engine = None
