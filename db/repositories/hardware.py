"""The stored Spaces hardware catalogue (one row, replaced whole)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HardwareCatalogue

ROW_ID = 1


class HardwareRepository:
    """Reads and replaces the hardware catalogue."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current(self) -> HardwareCatalogue | None:
        """The stored catalogue, or ``None`` when none was ever fetched."""
        row: HardwareCatalogue | None = await self._session.scalar(
            select(HardwareCatalogue).where(HardwareCatalogue.id == ROW_ID)
        )
        return row

    async def flavour_names(self) -> tuple[str, ...] | None:
        """The stored flavours' names in catalogue order (``None`` without a stored catalogue)."""
        names: list[str] | None = await self._session.scalar(
            select(HardwareCatalogue.flavour_names).where(HardwareCatalogue.id == ROW_ID)
        )
        return tuple(names) if names is not None else None

    async def replace(
        self,
        *,
        source: str,
        endpoint: str,
        fetched_at: datetime,
        flavours: Sequence[dict[str, Any]],
        notes: Sequence[str],
    ) -> bool:
        """Store this catalogue in place of the current one, unless the current one was fetched later
        (two refreshes racing: the newer reading wins whatever the commit order); whether it was stored."""
        values = {
            "source": source,
            "endpoint": endpoint,
            "fetched_at": fetched_at,
            "flavour_names": [str(flavour["name"]) for flavour in flavours],
            "flavours": list(flavours),
            "notes": list(notes),
        }
        row = insert(HardwareCatalogue).values(id=ROW_ID, **values)
        upsert = row.on_conflict_do_update(
            index_elements=[HardwareCatalogue.id],
            set_=values,
            where=HardwareCatalogue.fetched_at <= row.excluded.fetched_at,
        ).returning(HardwareCatalogue.id)
        return (await self._session.execute(upsert)).first() is not None
