"""The event log: appended in the writer's transaction, read in cursor order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Tuple, delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Event, EventLogHorizon, Xid8
from db.raw import as_json, driver

EventCursor = tuple[int, int]
"""(writing transaction id, event id): the total order in which events are delivered."""


def _insert_events(first_parameter: int) -> str:
    """Insert the events given as five arrays, parameters ``first_parameter`` to ``first_parameter + 4``."""
    uuids, packages, types, payloads, actors = (f"${first_parameter + offset}" for offset in range(5))
    return (
        "INSERT INTO events (organisation_id, package_id, type, payload, actor) "
        f"SELECT * FROM unnest({uuids}::uuid[], {packages}::uuid[], {types}::text[], {payloads}::jsonb[],"
        f" {actors}::text[])"
    )


APPEND_EVENTS_SQL = _insert_events(1)


def with_events(statement: str, first_parameter: int) -> str:
    """``statement`` preceded, in the same round trip, by the insert of events whose five arrays
    (``event_arguments``) follow its own parameters, from ``first_parameter`` on."""
    return f"WITH logged AS ({_insert_events(first_parameter)}) {statement}"


def event_arguments(rows: Sequence[dict[str, Any]]) -> tuple[list[Any], ...]:
    """The five arrays that carry ``rows`` (organisation_id, package_id, type, payload, actor)."""
    return (
        [row["organisation_id"] for row in rows],
        [row["package_id"] for row in rows],
        [row["type"] for row in rows],
        [as_json(row["payload"]) for row in rows],
        [row["actor"] for row in rows],
    )


class EventRepository:
    """Appends and reads events."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert events in one statement; rows hold organisation_id, package_id, type, payload, actor."""
        if rows:
            await (await driver(self._session)).execute(APPEND_EVENTS_SQL, *event_arguments(rows))

    async def cursor_before_job(self, package_id: uuid.UUID, job_id: uuid.UUID) -> EventCursor | None:
        """A cursor just before the job's JOB_CREATED event (replaying from it gives the job's whole life)."""
        row = (
            await self._session.execute(
                select(Event.tx, Event.id).where(
                    Event.package_id == package_id,
                    Event.type == "JOB_CREATED",
                    Event.payload["jobId"].astext == str(job_id),
                )
            )
        ).first()
        return (int(row[0]), int(row[1]) - 1) if row else None

    async def by_ids(self, organisation_id: uuid.UUID, ids: list[int]) -> dict[int, Event]:
        """Events among ``ids`` that belong to the organisation, by id."""
        rows = await self._session.scalars(
            select(Event).where(Event.organisation_id == organisation_id, Event.id.in_(ids))
        )
        return {event.id: event for event in rows}

    async def pages_for_packages(
        self,
        organisation_id: uuid.UUID,
        package_ids: Sequence[uuid.UUID],
        *,
        after: EventCursor | None,
        first: int,
    ) -> dict[uuid.UUID, list[Event]]:
        """Up to ``first + 1`` settled events per package after ``after``, in cursor order, in one query."""
        ranked_query = select(
            Event,
            func.row_number().over(partition_by=Event.package_id, order_by=(Event.tx, Event.id)).label("rank"),
        ).where(Event.organisation_id == organisation_id, Event.package_id.in_(package_ids), _settled())
        if after is not None:
            ranked_query = ranked_query.where(_after(after))
        ranked = ranked_query.subquery()
        event = aliased(Event, ranked)
        rows = await self._session.scalars(
            select(event).where(ranked.c.rank <= first + 1).order_by(ranked.c.package_id, ranked.c.tx, ranked.c.id)
        )
        pages: dict[uuid.UUID, list[Event]] = {package_id: [] for package_id in package_ids}
        for row in rows:
            if row.package_id is not None:
                pages[row.package_id].append(row)
        return pages

    async def page(
        self,
        *,
        after: EventCursor | None,
        first: int,
        organisation_id: uuid.UUID | None = None,
        package_id: uuid.UUID | None = None,
        upto: EventCursor | None = None,
    ) -> list[Event]:
        """Up to ``first + 1`` settled events after ``after`` (and up to ``upto``), in cursor order.

        Without an organisation this reads every tenant's events (the live hub's feed).
        """
        query = select(Event).where(_settled())
        if organisation_id is not None:
            query = query.where(Event.organisation_id == organisation_id)
        if package_id is not None:
            query = query.where(Event.package_id == package_id)
        if after is not None:
            query = query.where(_after(after))
        if upto is not None:
            query = query.where(tuple_(Event.tx, Event.id) <= _position(upto))
        return list(await self._session.scalars(query.order_by(Event.tx, Event.id).limit(first + 1)))

    async def head(self) -> EventCursor | None:
        """The newest settled event's cursor: everything at or before it is final."""
        row = (
            await self._session.execute(
                select(Event.tx, Event.id).where(_settled()).order_by(Event.tx.desc(), Event.id.desc()).limit(1)
            )
        ).first()
        return (int(row[0]), int(row[1])) if row else None

    async def horizon(self) -> EventCursor | None:
        """The newest pruned event's cursor; resuming from before it needs a resync."""
        row = (await self._session.execute(select(EventLogHorizon.tx, EventLogHorizon.event_id))).first()
        return (int(row[0]), int(row[1])) if row else None

    async def prune(self, before: datetime) -> int:
        """Delete settled events created before ``before`` and move the horizon past them."""
        deleted = (
            await self._session.execute(
                delete(Event).where(Event.created_at < before, _settled()).returning(Event.tx, Event.id)
            )
        ).all()
        if not deleted:
            return 0
        newest = max((int(tx), int(event_id)) for tx, event_id in deleted)
        await self._session.execute(
            insert(EventLogHorizon)
            .values(id=1, tx=newest[0], event_id=newest[1])
            .on_conflict_do_update(
                index_elements=[EventLogHorizon.id],
                set_={"tx": newest[0], "event_id": newest[1]},
                where=tuple_(EventLogHorizon.tx, EventLogHorizon.event_id) < _position(newest),
            )
        )
        return len(deleted)


def _settled() -> ColumnElement[bool]:
    """Events whose transaction is older than every running one: none can appear before them."""
    return Event.tx < func.pg_snapshot_xmin(func.pg_current_snapshot())


def _after(cursor: EventCursor) -> ColumnElement[bool]:
    return tuple_(Event.tx, Event.id) > _position(cursor)


def _position(cursor: EventCursor) -> Tuple:
    """A cursor as a row value whose first member the database reads as ``xid8``."""
    return tuple_(literal(cursor[0], Xid8), literal(cursor[1], BigInteger))
