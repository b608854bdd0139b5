"""Queries on jobs: creation, the worker's claim/heartbeat/finish, the sweeper's scan, listings."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Job, Upload
from db.raw import as_json, columns, detached, driver

UNFINISHED = ("QUEUED", "RUNNING")
ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")

# Every job passes through these three statements, so they skip the ORM (see ``db.raw``).
INSERT_JOB_SQL = (
    "INSERT INTO jobs (id, organisation_id, package_id, version_id, kind, input, input_key, status, progress,"
    " message, attempts, cancel_requested, created_at, created_by, sent_at)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, CASE WHEN $15 THEN now() END)"
)
"""A new job is written as sent (its message goes out after commit), by the database's clock, which
is the one the sweeper compares against; or, past its organisation's slots, as waiting (unsent)."""
IN_FLIGHT_SQL = (
    "SELECT count(*) FROM jobs WHERE organisation_id = $1 AND status IN ('QUEUED', 'RUNNING') AND sent_at IS NOT NULL"
)
WAITING = "status = 'QUEUED' AND sent_at IS NULL"
"""A job whose message is not on the queue: it waits for a slot of its organisation (or its send failed)."""
RELEASE_WAITING_SQL = (
    "WITH flying AS (SELECT organisation_id, count(*) AS n FROM jobs"
    " WHERE organisation_id = ANY($1::uuid[]) AND status IN ('QUEUED', 'RUNNING') AND sent_at IS NOT NULL"
    " GROUP BY organisation_id),"
    " ranked AS (SELECT id, organisation_id,"
    " row_number() OVER (PARTITION BY organisation_id ORDER BY created_at, id) AS place"
    f" FROM jobs WHERE organisation_id = ANY($1::uuid[]) AND {WAITING} AND created_at <= now() - $3::interval),"
    " chosen AS (SELECT ranked.id FROM ranked LEFT JOIN flying USING (organisation_id)"
    " WHERE ranked.place <= $2 - coalesce(flying.n, 0)),"
    " locked AS (SELECT id FROM jobs WHERE id IN (SELECT id FROM chosen) FOR UPDATE SKIP LOCKED)"
    " UPDATE jobs SET sent_at = now(), message = 'Queued'"
    f" WHERE id IN (SELECT id FROM locked) AND {WAITING}"
    f" RETURNING {columns(Job)}"
)
"""Mark sent the oldest waiting jobs of each organisation that has free slots (their messages go out
after commit). Concurrent releases may let an organisation pass its slots by a job or two: the bound
is for fairness, not an exact quota."""
# Both statements find their rows by primary key. Their status tests are written so the planner
# cannot match them to the partial index of unfinished jobs: with stale statistics it would
# otherwise scan every queued job for each claim, which under a burst of jobs costs O(queue).
CLAIM_JOBS_SQL = (
    "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, started_at = coalesce(started_at, now()),"
    " heartbeat_at = now(), message = 'Running'"
    " WHERE id = ANY($1::uuid[])"
    " AND CASE status WHEN 'QUEUED' THEN true WHEN 'RUNNING' THEN heartbeat_at < now() - $2::interval ELSE false END"
    f" RETURNING {columns(Job)}"
)
# An ending applies only to the attempt that claimed the job: a worker that stalled past its
# lease must not end the attempt of the worker that took over. A cancelled job keeps the error
# of the attempt before it (why it was being retried).
FINISH_JOBS_SQL = (
    "UPDATE jobs SET status = v.status, message = v.message, result = v.result,"
    " error_code = CASE v.status WHEN 'CANCELLED' THEN jobs.error_code ELSE v.error_code END,"
    " error_message = CASE v.status WHEN 'CANCELLED' THEN jobs.error_message ELSE v.error_message END,"
    " progress = coalesce(v.progress, jobs.progress), finished_at = now()"
    " FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::float8[])"
    " AS v(id, attempt, status, message, result, error_code, error_message, progress)"
    " WHERE jobs.id = v.id AND CASE jobs.status WHEN 'RUNNING' THEN jobs.attempts = v.attempt ELSE false END"
    f" RETURNING {columns(Job, 'jobs')}, EXISTS (SELECT 1 FROM jobs w WHERE w.organisation_id = jobs.organisation_id"
    f" AND w.{WAITING.replace(' AND ', ' AND w.')}) AS organisation_waits"
)
"""Ends attempts; each row also says whether its organisation has jobs waiting for a slot (which the
ending just freed)."""
RELEASE_JOBS_SQL = (
    "UPDATE jobs SET status = 'QUEUED', attempts = attempts - 1, message = 'Queued'"
    " FROM unnest($1::uuid[], $2::int[]) AS v(id, attempt)"
    " WHERE jobs.id = v.id AND CASE jobs.status WHEN 'RUNNING' THEN jobs.attempts = v.attempt ELSE false END"
    f" RETURNING {columns(Job, 'jobs')}"
)


class JobEnd(NamedTuple):
    """The final values of one attempt of a job: status and message, result, error, and progress
    (``None`` keeps it)."""

    job_id: uuid.UUID
    attempt: int
    status: str
    message: str
    result: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    progress: float | None


def finish_arguments(ends: Sequence[JobEnd]) -> tuple[list[Any], ...]:
    """The eight arrays ``FINISH_JOBS_SQL`` takes ($1 to $8), one element per ending."""
    return (
        [end.job_id for end in ends],
        [end.attempt for end in ends],
        [end.status for end in ends],
        [end.message for end in ends],
        [None if end.result is None else as_json(end.result) for end in ends],
        [end.error_code for end in ends],
        [end.error_message for end in ends],
        [end.progress for end in ends],
    )


@dataclass(frozen=True)
class Finished:
    """Jobs just ended, and the organisations among theirs that have jobs waiting for a slot."""

    jobs: list[Job]
    waiting_organisations: frozenset[uuid.UUID]

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> Finished:
        """From the rows of ``FINISH_JOBS_SQL``."""
        waiting = frozenset(row["organisation_id"] for row in rows if row["organisation_waits"])
        return cls(
            [detached(Job, {k: v for k, v in row.items() if k != "organisation_waits"}) for row in rows], waiting
        )


class JobRepository:
    """Every query on the jobs table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def insert(self, job: Job, *, sent: bool = True) -> None:
        """Write a new job, as sent or (``sent=False``) waiting for a slot; the instance stays
        detached (later changes go through this repository)."""
        await (await driver(self._session)).execute(
            INSERT_JOB_SQL,
            job.id,
            job.organisation_id,
            job.package_id,
            job.version_id,
            job.kind,
            as_json(job.input),
            job.input_key,
            job.status,
            job.progress,
            job.message,
            job.attempts,
            job.cancel_requested,
            job.created_at,
            job.created_by,
            sent,
        )

    async def get(
        self, job_id: uuid.UUID, *, lock: bool = False, organisation_id: uuid.UUID | None = None
    ) -> Job | None:
        """A job by id, of ``organisation_id`` when given, else of any (workers act on ids they were given).

        A locked read always takes the row as it is once the lock is granted, never a copy the
        session loaded earlier: a stale copy would let concurrent writers each act on a state
        that another had already changed.
        """
        query = select(Job).where(Job.id == job_id)
        if organisation_id is not None:
            query = query.where(Job.organisation_id == organisation_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        job: Job | None = await self._session.scalar(query)
        return job

    async def by_ids(self, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Job]:
        """Jobs among ``ids`` that belong to the organisation, by id."""
        rows = await self._session.scalars(select(Job).where(Job.organisation_id == organisation_id, Job.id.in_(ids)))
        return {job.id: job for job in rows}

    async def latest_of_versions(
        self, organisation_id: uuid.UUID, kind: str, version_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Job]:
        """The newest job of ``kind`` on each of the organisation's versions among ``version_ids``."""
        rows = await self._session.scalars(
            select(Job)
            .where(Job.organisation_id == organisation_id, Job.kind == kind, Job.version_id.in_(version_ids))
            .order_by(Job.version_id, Job.created_at.desc(), Job.id.desc())
            .ext(distinct_on(Job.version_id))
        )
        return {job.version_id: job for job in rows if job.version_id is not None}

    async def succeeded_with_result(self, organisation_id: uuid.UUID, kind: str, key: str, value: str) -> bool:
        """Whether one of the organisation's jobs of ``kind`` succeeded with ``result[key] == value``."""
        found = await self._session.scalar(
            select(Job.id)
            .where(
                Job.organisation_id == organisation_id,
                Job.kind == kind,
                Job.status == "SUCCEEDED",
                Job.result[key].astext == value,
            )
            .limit(1)
        )
        return found is not None

    async def unfinished_keys(self, package_id: uuid.UUID, kind: str) -> set[str]:
        """Input keys of the package's jobs of ``kind`` that are queued or running."""
        rows = await self._session.scalars(
            # "not ended" rather than "queued or running": found through the package's index, not by
            # scanning every unfinished job of every package (see CLAIM_JOBS_SQL).
            select(Job.input_key).where(Job.package_id == package_id, Job.kind == kind, Job.status.not_in(ENDED))
        )
        return set(rows)

    async def unfinished(self, package_id: uuid.UUID, kind: str) -> list[Job]:
        """The package's queued or running jobs of ``kind``, locked (a newer job supersedes them)."""
        rows = await self._session.scalars(
            select(Job)
            .where(Job.package_id == package_id, Job.kind == kind, Job.status.not_in(ENDED))
            .order_by(Job.created_at)
            .with_for_update()
        )
        return list(rows)

    async def page(
        self,
        organisation_id: uuid.UUID,
        *,
        package_id: uuid.UUID | None,
        statuses: Sequence[str] | None,
        first: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Job]:
        """Up to ``first + 1`` jobs, newest first, after the keyset position."""
        query = select(Job).where(Job.organisation_id == organisation_id)
        if package_id is not None:
            query = query.where(Job.package_id == package_id)
        if statuses:
            query = query.where(Job.status.in_(statuses))
        if after is not None:
            query = query.where(tuple_(Job.created_at, Job.id) < tuple_(*after))
        query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(first + 1)
        return list(await self._session.scalars(query))

    async def claim_many(self, job_ids: Sequence[uuid.UUID], lease: timedelta) -> list[Job]:
        """Take the queued jobs among ``job_ids``, and running ones whose worker stopped beating.

        One statement for all: a worker's concurrently starting jobs share it. Jobs finished,
        cancelled or alive elsewhere are simply not returned.
        """
        rows = await (await driver(self._session)).fetch(CLAIM_JOBS_SQL, list(job_ids), lease)
        return [detached(Job, row) for row in rows]

    async def beat(self, job_id: uuid.UUID, progress: float | None, message: str | None) -> bool | None:
        """Record progress (and that the worker lives); the cancel flag, or ``None`` if not running."""
        values: dict[str, Any] = {"heartbeat_at": func.now()}
        if progress is not None:
            values["progress"] = progress
        if message is not None:
            values["message"] = message
        cancel: bool | None = await self._session.scalar(
            update(Job)
            .where(Job.id == job_id, Job.status == "RUNNING")
            .values(**values)
            .returning(Job.cancel_requested)
        )
        return cancel

    async def mark_sent(self, job_ids: Sequence[uuid.UUID]) -> None:
        """Note that the queue accepted the jobs' messages."""
        await self._session.execute(
            update(Job).where(Job.id.in_(job_ids), Job.status.in_(UNFINISHED)).values(sent_at=func.now())
        )

    async def mark_unsent(self, job_ids: Sequence[uuid.UUID]) -> None:
        """Note that the jobs' messages could not be sent (the sweeper sends them after its grace)."""
        await self._session.execute(update(Job).where(Job.id.in_(job_ids), Job.status == "QUEUED").values(sent_at=None))

    async def finish_many(self, ends: Sequence[JobEnd]) -> Finished:
        """End the claimed attempts among ``ends`` in one statement; those no longer running (ended, or
        taken over by another worker) are not returned."""
        return Finished.of(await (await driver(self._session)).fetch(FINISH_JOBS_SQL, *finish_arguments(ends)))

    async def in_flight(self, organisation_id: uuid.UUID) -> int:
        """The organisation's jobs on the queue or running (those holding its slots)."""
        count: int = await (await driver(self._session)).fetchval(IN_FLIGHT_SQL, organisation_id)
        return count

    async def release_waiting(
        self, organisation_ids: Sequence[uuid.UUID], slots: int, *, older_than: timedelta = timedelta(0)
    ) -> list[Job]:
        """Mark sent the oldest waiting jobs of these organisations, as many as their free slots allow."""
        rows = await (await driver(self._session)).fetch(RELEASE_WAITING_SQL, list(organisation_ids), slots, older_than)
        return [detached(Job, row) for row in rows]

    async def release_many(self, claims: Sequence[tuple[uuid.UUID, int]]) -> list[Job]:
        """Give back claimed attempts that will not run (their worker went away before starting them)."""
        rows = await (await driver(self._session)).fetch(
            RELEASE_JOBS_SQL, [job_id for job_id, _ in claims], [attempt for _, attempt in claims]
        )
        return [detached(Job, row) for row in rows]

    async def unfinished_stats(self) -> list[tuple[str, str, int, datetime | None]]:
        """``(kind, status, count, oldest created_at)`` of the unfinished jobs (the metrics' view)."""
        rows = await self._session.execute(
            select(Job.kind, Job.status, func.count(), func.min(Job.created_at))
            .where(Job.status.in_(UNFINISHED))
            .group_by(Job.kind, Job.status)
        )
        return [(kind, status, int(count), oldest) for kind, status, count, oldest in rows]

    async def waiting_organisations(self, older_than: timedelta) -> list[uuid.UUID]:
        """Organisations with jobs waiting (unsent) for longer than ``older_than``."""
        rows = await self._session.scalars(
            select(Job.organisation_id)
            .where(Job.status == "QUEUED", Job.sent_at.is_(None), Job.created_at < func.now() - older_than)
            .distinct()
        )
        return list(rows)

    async def due_for_sending(self, *, resend_after: timedelta, limit: int) -> list[Job]:
        """Jobs to send again: queued but sent long ago (lost in a crash), or running with a dead worker.

        Locked with SKIP LOCKED so concurrent sweepers split the work instead of doubling it. Jobs
        never sent (waiting for a slot, or whose send failed) are released by slots instead
        (``release_waiting``).
        """
        now = func.now()
        query = (
            select(Job)
            .where(
                or_(
                    (Job.status == "QUEUED") & (Job.sent_at < now - resend_after),
                    (Job.status == "RUNNING")
                    & (Job.heartbeat_at < now - resend_after)
                    & (Job.sent_at.is_(None) | (Job.sent_at < now - resend_after)),
                )
            )
            .order_by(Job.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(query))


class UploadRepository:
    """Uploaded dataset files."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, upload: Upload) -> None:
        """Stage a new upload."""
        self._session.add(upload)

    async def get(self, organisation_id: uuid.UUID, upload_id: uuid.UUID) -> Upload | None:
        """An upload of the organisation."""
        upload: Upload | None = await self._session.scalar(
            select(Upload).where(Upload.id == upload_id, Upload.organisation_id == organisation_id)
        )
        return upload

    async def filenames(self, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[str, str]:
        """The file names of the organisation's uploads among ``ids``, by id (as step data writes it)."""
        rows = await self._session.execute(
            select(Upload.id, Upload.filename).where(Upload.organisation_id == organisation_id, Upload.id.in_(ids))
        )
        return {str(upload_id): filename for upload_id, filename in rows}

    async def by_ids(self, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Upload]:
        """Uploads among ``ids`` of the organisation, without their content (for listings)."""
        rows = await self._session.scalars(
            select(Upload).where(Upload.organisation_id == organisation_id, Upload.id.in_(ids))
        )
        return {upload.id: upload for upload in rows}
