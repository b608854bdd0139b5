"""Creating and dropping per-session databases on a PostgreSQL server."""

from __future__ import annotations

import asyncio

import asyncpg


def _with_database(url: str, name: str) -> str:
    prefix, _, query = url.partition("?")
    base = prefix.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def _admin(url: str) -> str:
    return _with_database(url, "postgres").replace("postgresql+asyncpg://", "postgresql://")


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_admin(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` next to ``server_url``'s and return its URL."""
    asyncio.run(_execute(server_url, f'CREATE DATABASE "{name}"'))
    return _with_database(server_url, name)


def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database created by ``create_database`` (closing leftover connections)."""
    name = database_url.partition("?")[0].rsplit("/", 1)[1]
    asyncio.run(_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def plain(url: str) -> str:
    """The URL in the driver's own form (no SQLAlchemy dialect prefix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://")
