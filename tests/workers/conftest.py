"""Fixtures of the worker tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from workers import database as worker_database


@pytest.fixture
async def worker_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """The runner reads its settings from the environment, as a worker process does.

    A worker reads them once, on first use; they are forgotten here before each test, so a test
    that changes the environment must do so before its first job runs.
    """
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRAINPACK_JOB_MIN_BACKOFF_MS", "100")
    monkeypatch.setenv("TRAINPACK_JOB_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("TRAINPACK_JOB_PROGRESS_INTERVAL_SECONDS", "0.05")
    await worker_database.dispose()
    yield
    await worker_database.dispose()
