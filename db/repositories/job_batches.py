"""A worker's coalesced job steps, each a single statement on a pool of its own.

A claim or an ending of many jobs, with their events, is one ``UPDATE … RETURNING`` whose
rows feed an ``INSERT`` into the event log in the same statement: one round trip, atomic
without ``BEGIN``/``COMMIT``, and no ORM session. On a worker running many short jobs the
round trips, not the rows, were the cost: four more per batch held every job of the batch
for as long, on an event loop the worker's other threads also want.

The pool's connections wait only briefly for a row lock (``lock_timeout``, set by the worker
on its batch pool), so a row held by a sweeper or a cancel fails the batch quickly; the
runner then retries its requests one by one in ordinary units of work, which wait as long as
they must.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import asyncpg
from sqlalchemy import Float
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Job
from db.raw import detached
from db.repositories.jobs import CLAIM_JOBS_SQL, FINISH_JOBS_SQL, Finished, JobEnd, finish_arguments

_STALE_CONNECTIONS_SKIPPED = 4
"""Pooled connections found dead (a database restart) that one step discards before giving up."""


@dataclass(frozen=True)
class JobEventSpec:
    """How a step records each changed job in the log: the event type, the payload (key ->
    ``jobs`` column), and the actor label of each job kind."""

    type: str
    payload: tuple[tuple[str, str], ...]
    actors: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, event_type: str, payload: Mapping[str, str], actors: Mapping[str, str]) -> JobEventSpec:
        """A spec from mappings (kept as tuples: specs key the statement cache)."""
        known = set(Job.__table__.columns.keys())
        unknown = set(payload.values()) - known
        if unknown:
            raise ValueError(f"event payload names columns jobs does not have: {sorted(unknown)}")
        return cls(event_type, tuple(payload.items()), tuple(actors.items()))


@cache
def _logged(step_sql: str, first_free_parameter: int, spec: JobEventSpec) -> str:
    """``step_sql`` (an UPDATE of jobs RETURNING every column, and whatever else it returns) with
    its events inserted alongside.

    The actor labels come as two arrays (kind, label) and the event type as one more parameter.
    """
    kinds, labels, event_type = (f"${first_free_parameter + offset}" for offset in range(3))
    payload = ", ".join(f"'{key}', {_json_value(column)}" for key, column in spec.payload)
    return (
        f"WITH changed AS ({step_sql}),"
        " logged AS (INSERT INTO events (organisation_id, package_id, type, payload, actor)"
        f" SELECT changed.organisation_id, changed.package_id, {event_type}::text, jsonb_build_object({payload}),"
        " coalesce(actor.label, 'worker')"
        f" FROM changed LEFT JOIN unnest({kinds}::text[], {labels}::text[]) AS actor(kind, label)"
        " ON actor.kind = changed.kind)"
        " SELECT * FROM changed"
    )


def _json_value(column: str) -> str:
    """The column as the payload's JSON value, written as Python's ``json`` writes it.

    A float column with an integral value becomes ``1.0``, not ``1`` (what ``jsonb`` makes of a
    ``float8``), so a payload built here is the very JSON the unit-of-work path stores.
    """
    value = f"changed.{column}"
    if isinstance(Job.__table__.columns[column].type, Float):
        return f"CASE WHEN {value} = trunc({value}) THEN to_jsonb({value}::numeric(20, 1)) ELSE to_jsonb({value}) END"
    return value


class JobBatches:
    """Claims and endings of many jobs at once, each one statement (see the module docstring)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, job_ids: Sequence[uuid.UUID], lease: timedelta, event: JobEventSpec) -> list[Job]:
        """Take the queued jobs among ``job_ids`` (and running ones whose worker stopped beating),
        recording ``event`` for each; those not taken are not returned."""
        statement = _logged(CLAIM_JOBS_SQL, 3, event)
        rows = await self._fetch(statement, list(job_ids), lease, *_actors(event), event.type)
        return [detached(Job, row) for row in rows]

    async def finish(self, ends: Sequence[JobEnd], event: JobEventSpec) -> Finished:
        """End the claimed attempts among ``ends``, recording ``event`` for each; those no longer
        running (ended, or taken over by another worker) are not returned."""
        statement = _logged(FINISH_JOBS_SQL, 9, event)
        return Finished.of(await self._fetch(statement, *finish_arguments(ends), *_actors(event), event.type))

    async def _fetch(self, statement: str, *arguments: object) -> list[asyncpg.Record]:
        for _ in range(_STALE_CONNECTIONS_SKIPPED + 1):
            async with self._engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                assert driver is not None
                if driver.is_closed():  # its server went away while it idled: nothing was sent yet
                    await connection.invalidate()
                    continue
                try:
                    # Sent straight to the driver outside any transaction: the statement is its own.
                    rows = await driver.fetch(statement, *arguments)
                except Exception:
                    # The pool learns nothing from an error raised past SQLAlchemy: a connection that
                    # died under this statement is dropped here, or every later batch would draw it.
                    if driver.is_closed():
                        await connection.invalidate()
                    raise
            found: list[asyncpg.Record] = rows
            return found
        raise ConnectionError("no live database connection in the batch pool")


def _actors(event: JobEventSpec) -> tuple[list[str], list[str]]:
    return [kind for kind, _ in event.actors], [label for _, label in event.actors]
