"""Subscription root: live events of one package or of the whole organisation.

Each takes an optional ``after`` cursor: everything after it is replayed from the durable
log, then live events follow with no gap and no repeat. A subscriber that falls too far
behind gets a ``SUBSCRIBER_TOO_SLOW`` error naming its last cursor; a cursor older than the
retained log gets ``RESYNC_REQUIRED``.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from api.context import Info
from api.ids import decode, encode
from api.live.events import JobEvent, PackageEvent, typed_event
from api.live.hub import DirectDelivery, ResyncRequiredError, SubscriberTooSlowError
from api.live.lanes import FrameLane, current_lane
from api.pagination import event_cursor, parse_event_cursor
from db.models import Event
from db.repositories.events import EventRepository
from db.repositories.tokens import token_is_active
from workflow.errors import NotFoundError

_E = TypeVar("_E", bound=PackageEvent)
_TYPED = "_typed_event"  # where a log row keeps its typed event, built once for every subscriber


@strawberry.type
class Subscription:
    @strawberry.subscription(description="State changes of one package.")
    async def package_events(
        self, info: Info, package_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[PackageEvent, None]:
        actor = info.context.reader()
        try:
            _, package = decode(package_id, "Package")
        except NotFoundError:
            raise _not_found(package_id, "package") from None
        if await info.context.loaders.package.load(package) is None:
            raise _not_found(package_id, "package")
        lane = current_lane()
        async with aclosing(_delivered(_events(info, actor.organisation_id, package, after, lane), lane)) as events:
            async for event in events:
                yield event

    @strawberry.subscription(description="State changes of every package of your organisation (dashboards).")
    async def organisation_events(self, info: Info, after: str | None = None) -> AsyncGenerator[PackageEvent, None]:
        actor = info.context.reader()
        lane = current_lane()
        async with aclosing(_delivered(_events(info, actor.organisation_id, None, after, lane), lane)) as events:
            async for event in events:
                yield event

    @strawberry.subscription(
        description="The life of one job: its events from creation (or after `after`) until it ends."
    )
    async def job_events(
        self, info: Info, job_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[JobEvent, None]:
        actor = info.context.reader()
        try:
            _, job_key = decode(job_id, "Job")
        except NotFoundError:
            raise _not_found(job_id, "job") from None
        job = await info.context.loaders.job.load(job_key)
        if job is None:
            raise _not_found(job_id, "job")
        if after is None:
            async with info.context.reading() as session:
                start = await EventRepository(session).cursor_before_job(job.package_id, job.id)
            after = event_cursor(*start) if start else None
        job_events = _job_events(_events(info, actor.organisation_id, job.package_id, after), job.id)
        async with aclosing(_delivered(job_events, current_lane())) as events:
            async for event in events:
                yield event


async def _job_events(events: AsyncGenerator[PackageEvent, None], job_id: uuid.UUID) -> AsyncGenerator[JobEvent, None]:
    """The events of one job, ending with the event that finishes it."""
    wanted = job_id_of(job_id)
    async with aclosing(events):
        async for event in events:
            if isinstance(event, JobEvent) and event.job_id == wanted:
                yield event
                if event.finished:
                    return


async def _delivered(events: AsyncGenerator[_E, None], lane: FrameLane | None) -> AsyncGenerator[_E, None]:
    """The events for graphql-core to execute, or none when the operation has a websocket lane.

    Over a websocket each event goes out through the operation's ``FrameLane`` (one shared
    execution and encoding per selection and event); in-process subscribers get them here.
    """
    if lane is not None:
        await lane.pump(events)
        return
    async with aclosing(events):
        async for event in events:
            yield event


def job_id_of(job_id: uuid.UUID) -> str:
    """The global id of a job, as job events carry it."""
    return encode("Job", job_id)


async def _events(
    info: Info,
    organisation_id: uuid.UUID,
    package_id: uuid.UUID | None,
    after: str | None,
    lane: FrameLane | None = None,
) -> AsyncGenerator[PackageEvent, None]:
    """The subscriber's events; with a ``lane``, live ones may go out from the hub directly."""
    hub = info.context.services.hub
    if hub is None:
        raise GraphQLError("Live events are not available on this server.", extensions={"code": "UNAVAILABLE"})
    position = parse_event_cursor(after) if after else None
    services = info.context.services
    token_id = info.context.actor.token_id
    recheck_seconds = services.settings.token_recheck_seconds
    check_due = next_token_check(time.monotonic(), recheck_seconds)

    def send_now(rows: list[Event]) -> bool:
        assert lane is not None
        events = [event for row in rows if (event := shared_typed_event(row)) is not None]
        return not events or lane.deliver_now(events)

    # Straight from the hub while no token re-check is due (that reads the database: the loop
    # below does it, for the first event queued after the deadline).
    direct = DirectDelivery(send_now, until=check_due) if lane else None
    try:
        async for row in hub.stream(organisation_id, package_id, position, direct):
            if time.monotonic() >= check_due:
                # A revoked token stops a long-lived subscription too, before its next event.
                async with services.read_engine.connect() as connection:
                    if not await token_is_active(connection, token_id):
                        raise GraphQLError("The token was revoked.", extensions={"code": "UNAUTHENTICATED"})
                check_due = next_token_check(time.monotonic(), recheck_seconds)
                if direct is not None:
                    direct.until = check_due
            event = shared_typed_event(row)
            if event is not None:
                yield event
    except SubscriberTooSlowError as exc:
        last = event_cursor(*exc.last_cursor) if exc.last_cursor else after
        raise GraphQLError(str(exc), extensions={"code": "SUBSCRIBER_TOO_SLOW", "lastCursor": last}) from None
    except ResyncRequiredError as exc:
        raise GraphQLError(str(exc), extensions={"code": "RESYNC_REQUIRED"}) from None


def next_token_check(now: float, recheck_seconds: float) -> float:
    """When a subscription next re-checks its token: within the last fifth of the interval.

    Subscriptions opened together (a deploy, a reconnect storm) would otherwise all read the
    database in the same instant, and queue their next event behind that read, every interval.
    """
    return now + recheck_seconds * random.uniform(0.8, 1.0)


def shared_typed_event(row: Event) -> PackageEvent | None:
    """The typed event of a log row, built once and shared by every subscriber receiving it."""
    cached: PackageEvent | None = row.__dict__.get(_TYPED)
    if cached is None:
        cached = typed_event(row)
        row.__dict__[_TYPED] = cached
    return cached


def _not_found(raw: str, what: str) -> GraphQLError:
    return GraphQLError(f"No {what} with id {raw!r} was found.", extensions={"code": "NOT_FOUND"})
