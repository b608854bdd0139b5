"""The ``hardware.refresh`` actor's body: it reads the Hub (the stand-in, through huggingface_hub)
unless the stored catalogue is still fresh, so the timers of many worker processes cost one read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import delete

from db.models import HardwareCatalogue
from tests.support.hub_standin import HubStandin
from trainpack.database import unit_of_work
from workers import database as worker_database

HARDWARE_PATH = r"^/api/spaces/hardware$"


@pytest.fixture
def hub() -> Iterator[HubStandin]:
    with HubStandin() as hub:
        yield hub


@pytest.fixture(autouse=True)
async def no_catalogue(database_url: str) -> AsyncIterator[None]:
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(delete(HardwareCatalogue))
    yield
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(delete(HardwareCatalogue))


async def _run_refresh() -> None:
    from workers import hardware

    await hardware.refresh_if_stale()


@pytest.mark.usefixtures("worker_env")
async def test_a_fresh_catalogue_is_not_read_again(hub: HubStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("TRAINPACK_HARDWARE_REFRESH_SECONDS", "3600")
    await _run_refresh()
    await _run_refresh()
    assert len(hub.requests_for(HARDWARE_PATH)) == 1
    async with worker_database.unit_of_work() as uow:
        names = await uow.hardware.flavour_names()
    assert names is not None and "a100x8" in names


@pytest.mark.usefixtures("worker_env")
async def test_an_old_catalogue_is_read_again(hub: HubStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("TRAINPACK_HARDWARE_REFRESH_SECONDS", "0.000001")
    await _run_refresh()
    await _run_refresh()
    assert len(hub.requests_for(HARDWARE_PATH)) == 2
