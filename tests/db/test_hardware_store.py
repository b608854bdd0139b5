"""The stored hardware catalogue: one row, never empty, and a later reading is never overwritten by an earlier one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from db.models import HardwareCatalogue
from trainpack.database import unit_of_work
from workflow.core.hardware import DEFAULT_FLAVOURS, flavour_to_json

FLAVOURS = [flavour_to_json(flavour) for flavour in DEFAULT_FLAVOURS]
T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def no_catalogue(database_url: str) -> AsyncIterator[None]:
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(delete(HardwareCatalogue))
    yield
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(delete(HardwareCatalogue))


async def _replace(database_url: str, fetched_at: datetime, flavours: list[dict[str, object]]) -> bool:
    async with unit_of_work(database_url) as uow:
        return await uow.hardware.replace(
            source="list_spaces_hardware", endpoint="http://hub", fetched_at=fetched_at, flavours=flavours, notes=[]
        )


async def test_a_reading_replaces_the_stored_one_unless_it_is_older(database_url: str) -> None:
    assert await _replace(database_url, T0, FLAVOURS)
    assert await _replace(database_url, T0 + timedelta(minutes=5), FLAVOURS[:3])
    # A refresh that read the Hub earlier but commits later loses: the later reading stays.
    assert not await _replace(database_url, T0 + timedelta(minutes=1), FLAVOURS)
    async with unit_of_work(database_url) as uow:
        rows = (await uow.session.scalars(select(HardwareCatalogue))).all()
        names = await uow.hardware.flavour_names()
    assert len(rows) == 1
    assert rows[0].fetched_at == T0 + timedelta(minutes=5)
    assert names == ("cpu-basic", "cpu-upgrade", "t4-small")


async def test_the_table_is_never_empty_and_holds_one_row(database_url: str) -> None:
    with pytest.raises(IntegrityError, match=r"ck_hardware_catalogue_(not_empty|flavours)"):
        await _replace(database_url, T0, [])
    assert await _replace(database_url, T0, FLAVOURS)
    with pytest.raises(IntegrityError, match="ck_hardware_catalogue_single_row"):
        async with unit_of_work(database_url) as uow:
            values = {"source": "x", "endpoint": "x", "fetched_at": T0, "flavour_names": ["a"], "notes": []}
            await uow.session.execute(insert(HardwareCatalogue).values(id=2, flavours=[{"name": "a"}], **values))
    async with unit_of_work(database_url) as uow:
        assert await uow.hardware.flavour_names() == tuple(flavour.name for flavour in DEFAULT_FLAVOURS)
