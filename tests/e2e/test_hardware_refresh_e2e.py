"""The periodic hardware refresh: a real `trainpack worker` on Redis reads the Hub stand-in's list
with huggingface_hub on its timer, stores it, follows the Hub's changes, and keeps the stored
catalogue through Hub failures and garbage replies."""

from __future__ import annotations

import asyncio
import copy
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from sqlalchemy import delete, select

from db.models import HardwareCatalogue
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import worker_env, worker_process
from tests.support.spaces_standin import HARDWARE
from trainpack.database import unit_of_work

pytestmark = pytest.mark.slow

HARDWARE_PATH = r"^/api/spaces/hardware$"
PERIOD = 1.0  # seconds between refreshes (a reading younger than half of it is not repeated)


async def _stored(database_url: str) -> HardwareCatalogue | None:
    async with unit_of_work(database_url) as uow:
        row: HardwareCatalogue | None = await uow.session.scalar(select(HardwareCatalogue))
        return row


async def _forget(database_url: str) -> None:
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(delete(HardwareCatalogue))


async def _until(check: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.1)


@pytest.fixture
async def hub(database_url: str, redis_url: str) -> AsyncIterator[HubStandin]:
    """The stand-in and one worker refreshing every ``PERIOD`` from it; no stored catalogue before or after."""
    await _forget(database_url)
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-cache-") as cache:
        hub.spaces.hardware = copy.deepcopy(list(HARDWARE))
        env = worker_env(database_url, redis_url, hub.url, cache, f"hw-{uuid.uuid4().hex[:8]}")
        env["TRAINPACK_HARDWARE_REFRESH_SECONDS"] = str(PERIOD)
        env["TRAINPACK_HARDWARE_REFRESH_FIRST_AFTER_SECONDS"] = "0.1"
        with worker_process(env):
            yield hub
    await _forget(database_url)


async def test_the_worker_refreshes_the_catalogue_on_its_timer(hub: HubStandin, database_url: str) -> None:
    readings: list[HardwareCatalogue] = []

    async def poll() -> None:
        row = await _stored(database_url)
        if row is not None:
            readings.append(row)

    async def stored_names() -> list[str] | None:
        await poll()
        return readings[-1].flavour_names if readings else None

    deadline = time.monotonic() + 90  # a worker process takes a few seconds to start
    while await stored_names() is None:
        assert time.monotonic() < deadline, "the worker never refreshed the catalogue"
        await asyncio.sleep(0.2)
    first = readings[-1]
    assert first.flavour_names == [row["name"] for row in HARDWARE]
    assert first.source == "list_spaces_hardware"
    assert first.endpoint == hub.url
    a100x4 = next(flavour for flavour in first.flavours if flavour["name"] == "a100x4")
    assert (a100x4["gpuCount"], round(a100x4["usdPerHour"], 4)) == (4, 10.0)

    # The Hub adds a flavour: a later tick stores it.
    hub.spaces.hardware.append({**HARDWARE[-1], "name": "a100x16", "prettyName": "16x Nvidia A100"})
    deadline = time.monotonic() + 30
    while "a100x16" not in (await stored_names() or []):
        assert time.monotonic() < deadline, "the worker did not pick the Hub's change up"
        await asyncio.sleep(0.2)

    # The Hub fails, then answers garbage: ticks go by, the Hub is asked, the catalogue stays.
    kept = readings[-1]
    hub.inject(HARDWARE_PATH, 503, times=3)
    asked = len(hub.requests_for(HARDWARE_PATH))
    await _until(lambda: len(hub.requests_for(HARDWARE_PATH)) >= asked + 3, timeout=30)
    hub.spaces.hardware = []
    asked = len(hub.requests_for(HARDWARE_PATH))
    await _until(lambda: len(hub.requests_for(HARDWARE_PATH)) >= asked + 2, timeout=30)
    now = await _stored(database_url)
    assert now is not None
    assert (now.fetched_at, now.flavour_names) == (kept.fetched_at, kept.flavour_names)
    fetched: list[datetime] = [row.fetched_at for row in readings]
    assert fetched == sorted(fetched)
