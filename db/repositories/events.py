"""The event log: appended in the writer's transaction, read in cursor order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Event
from db.raw import as_json, driver

APPEND_EVENTS_SQL = (
    "INSERT INTO events (organisation_id, package_id, type, payload, actor) "
    "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::text[])"
)


class EventRepository:
    """Appends and reads events."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert events in one statement; rows hold organisation_id, package_id, type, payload, actor."""
        if rows:
            await (await driver(self._session)).execute(
                APPEND_EVENTS_SQL,
                [row["organisation_id"] for row in rows],
                [row["package_id"] for row in rows],
                [row["type"] for row in rows],
                [as_json(row["payload"]) for row in rows],
                [row["actor"] for row in rows],
            )

    async def by_ids(self, organisation_id: uuid.UUID, ids: list[int]) -> dict[int, Event]:
        """Events among ``ids`` that belong to the organisation, by id."""
        rows = await self._session.scalars(
            select(Event).where(Event.organisation_id == organisation_id, Event.id.in_(ids))
        )
        return {event.id: event for event in rows}

    async def pages_for_packages(
        self, organisation_id: uuid.UUID, package_ids: Sequence[uuid.UUID], *, after: int | None, first: int
    ) -> dict[uuid.UUID, list[Event]]:
        """Up to ``first + 1`` events per package after cursor ``after``, oldest first, in one query."""
        ranked_query = select(
            Event, func.row_number().over(partition_by=Event.package_id, order_by=Event.id).label("rank")
        ).where(Event.organisation_id == organisation_id, Event.package_id.in_(package_ids))
        if after is not None:
            ranked_query = ranked_query.where(Event.id > after)
        ranked = ranked_query.subquery()
        event = aliased(Event, ranked)
        rows = await self._session.scalars(
            select(event).where(ranked.c.rank <= first + 1).order_by(ranked.c.package_id, ranked.c.id)
        )
        pages: dict[uuid.UUID, list[Event]] = {package_id: [] for package_id in package_ids}
        for row in rows:
            if row.package_id is not None:
                pages[row.package_id].append(row)
        return pages

    async def page(
        self, organisation_id: uuid.UUID, *, package_id: uuid.UUID | None, after: int | None, first: int
    ) -> list[Event]:
        """Up to ``first + 1`` events after cursor ``after``, oldest first."""
        query = select(Event).where(Event.organisation_id == organisation_id)
        if package_id is not None:
            query = query.where(Event.package_id == package_id)
        if after is not None:
            query = query.where(Event.id > after)
        return list(await self._session.scalars(query.order_by(Event.id).limit(first + 1)))
