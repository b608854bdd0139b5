"""Engine and session factory for one database URL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def async_url(url: str) -> str:
    """Accept ``postgres://``/``postgresql://`` URLs and select the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://…)")


def make_engine(
    url: str, *, pool_size: int = 10, pooled: bool = True, server_settings: dict[str, str] | None = None
) -> AsyncEngine:
    """An asyncpg engine; ``pooled=False`` for one-shot tools such as migrations.

    ``server_settings`` are set on every connection of the pool (``lock_timeout``, say).
    """
    connect_args = {"server_settings": server_settings} if server_settings else {}
    if not pooled:
        return create_async_engine(async_url(url), poolclass=NullPool, connect_args=connect_args)
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False, connect_args=connect_args
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def plain_url(url: str) -> str:
    """The URL in the driver's own form (``postgresql://``), for direct asyncpg connections."""
    return "postgresql://" + async_url(url)[len("postgresql+asyncpg://") :]
