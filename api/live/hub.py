"""The per-process event hub: one feed of the durable log, fanned out to every subscriber.

One background task follows the log in cursor order (``EventRepository.page``, settled
events only) and hands each event to the subscriptions of its organisation. It wakes on
PostgreSQL notifications (``LISTEN trainpack_events``, one connection per process while it
has subscribers, sent by a trigger when a transaction that wrote events commits) and also every
``catch_up_seconds``, so a lost notification or a broken LISTEN connection only delays
delivery. Subscribers never touch the database for live events; only a resume replays
the gap from the log, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Event
from db.repositories.events import EventCursor, EventRepository
from kit.metrics import EVENT_LAG, LIVE_DELIVERIES

log = structlog.get_logger(__name__)

CHANNEL = "trainpack_events"
PRUNE_LOCK = 7_126_540_001  # advisory lock key: one pruner at a time across processes
_DIRECT_SLICE = 1000  # frames written directly between two turns of the event loop (10-15 ms of them)
_RUN = 50  # most consecutive events handed out together (one write per socket for all of them)


def cursor_of(event: Event) -> EventCursor:
    """An event's position in the delivery order."""
    return (int(event.tx), int(event.id))


def _by_organisation(run: list[tuple[EventCursor, Event]]) -> dict[uuid.UUID, list[tuple[EventCursor, Event]]]:
    """The run's events of each organisation, in order."""
    if len(run) == 1:
        return {run[0][1].organisation_id: run}
    runs: dict[uuid.UUID, list[tuple[EventCursor, Event]]] = defaultdict(list)
    for item in run:
        runs[item[1].organisation_id].append(item)
    return runs


@dataclass(slots=True)
class _Share:
    """The events of a run that go to the subscribers of one package (or of the organisation)."""

    items: list[tuple[EventCursor, Event]]
    events: list[Event] = field(init=False)

    def __post_init__(self) -> None:
        self.events = [event for _, event in self.items]

    @classmethod
    def of(cls, run: list[tuple[EventCursor, Event]], package_id: uuid.UUID | None) -> _Share:
        """All of the run for an organisation's subscribers (``None``), else one package's events."""
        return cls(run if package_id is None else [item for item in run if item[1].package_id == package_id])


class SubscriberTooSlowError(Exception):
    """The subscriber's buffer overflowed; it may resume from ``last_cursor``."""

    def __init__(self, last_cursor: EventCursor | None) -> None:
        super().__init__("The subscriber fell too far behind and was disconnected; resume from its last cursor.")
        self.last_cursor = last_cursor


class ResyncRequiredError(Exception):
    """The cursor is older than the retained log: the client must reload its state."""


@dataclass(eq=False, slots=True)  # slots: read once per subscriber per event
class DirectDelivery:
    """How a subscriber takes live events without waking its task.

    ``send`` writes events at once (one or more, in order, in one write), from the hub's own
    dispatch, returning ``False`` (having sent none) when it cannot (a busy socket); it is
    asked only until ``until`` (a ``time.monotonic`` deadline), after which the subscriber has
    something to check first (its token) and events are queued for it again.
    """

    send: Callable[[list[Event]], bool]
    until: float = math.inf


@dataclass(eq=False, slots=True)
class Subscription:
    """A subscriber's bounded buffer of live events, registered at hub position ``start``.

    With a ``direct`` delivery, an event is handed straight to the subscriber (see
    ``EventHub._dispatch``) while it waits for its next one with nothing queued, as a
    broadcast loop would; otherwise, or when it cannot take the event at once, the event is
    queued. The order is kept: nothing goes directly while anything waits in the queue.
    """

    organisation_id: uuid.UUID
    package_id: uuid.UUID | None
    limit: int
    start: EventCursor | None
    direct: DirectDelivery | None = None
    last: EventCursor | None = None  # the last event handed to the subscriber, queued or direct
    buffer: deque[tuple[EventCursor, Event]] = field(default_factory=deque)
    overflowed: bool = False
    waiting: bool = False  # parked in ``next`` with an empty buffer
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def queue(self, position: EventCursor, event: Event) -> bool:
        """Queue an event; ``False`` (and the subscription is finished) when the buffer is full."""
        if len(self.buffer) >= self.limit:
            self.overflowed = True
            self.ready.set()
            return False
        self.buffer.append((position, event))
        self.ready.set()
        return True

    async def next(self) -> tuple[EventCursor, Event]:
        """The next live event and its cursor; raises ``SubscriberTooSlowError`` once the buffered ones are out."""
        while not self.buffer:
            if self.overflowed:
                raise SubscriberTooSlowError(None)
            self.ready.clear()
            self.waiting = True
            try:
                await self.ready.wait()
            finally:
                self.waiting = False
        return self.buffer.popleft()


class EventHub:
    """Follows the event log for this process and fans events out to subscriptions."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        listen_dsn: str,
        *,
        catch_up_seconds: float = 1.0,
        buffer: int = 1000,
        batch: int = 500,
        retention: timedelta = timedelta(days=7),
        prune_every_seconds: float = 3600.0,
        prune_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        coalesce_seconds: float = 0.005,
        listen_grace_seconds: float = 5.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._listen_dsn = listen_dsn
        self._catch_up_seconds = catch_up_seconds
        self._buffer = buffer
        self._batch = batch
        self._retention = retention
        self._prune_every_seconds = prune_every_seconds
        self._prune_sessionmaker = prune_sessionmaker or sessionmaker
        self._coalesce_seconds = coalesce_seconds
        self._listen_grace_seconds = listen_grace_seconds
        self._subscriptions: dict[uuid.UUID, set[Subscription]] = defaultdict(set)
        self._wake = asyncio.Event()
        self._listen_change = asyncio.Event()  # the hub went idle or busy, or its listener was lost
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None
        self.position: EventCursor | None = None
        self.listening = False
        self.delivered = 0  # events handed to subscribers, queued or sent directly
        self.delivered_directly = 0
        self.direct_writes = 0  # socket writes of the direct path (each carries one or more events)
        self._idle = True  # no subscribers: the log is not read until one arrives
        self._epoch = 0  # bumped whenever the position is reset; an older read is then dropped

    async def start(self) -> None:
        """Take the log's current head as the starting position and start following it."""
        async with self._sessionmaker() as session:
            self.position = await EventRepository(session).head()
        self._tasks = [
            asyncio.create_task(self._follow(), name="event-hub-follow"),
            asyncio.create_task(self._listen(), name="event-hub-listen"),
            asyncio.create_task(self._prune_periodically(), name="event-hub-prune"),
        ]

    async def stop(self) -> None:
        """Stop following (subscribers see their streams end when their connections close)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()

    @property
    def listener_pid(self) -> int | None:
        """The PostgreSQL backend holding this hub's LISTEN, while it listens (diagnostics)."""
        listener = self._listener
        return listener.get_server_pid() if self.listening and listener is not None else None

    @property
    def subscribers(self) -> int:
        """Live subscriptions on this process right now."""
        return sum(len(group) for group in self._subscriptions.values())

    def subscribe(
        self,
        organisation_id: uuid.UUID,
        package_id: uuid.UUID | None,
        direct: DirectDelivery | None = None,
    ) -> Subscription:
        """Register a subscriber at the current position (synchronously, so no event slips by)."""
        subscription = Subscription(organisation_id, package_id, self._buffer, self.position, direct)
        self._subscriptions[organisation_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscriber."""
        group = self._subscriptions.get(subscription.organisation_id)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._subscriptions[subscription.organisation_id]
        if not self._subscriptions:
            self._idle = True
            self._listen_change.set()

    async def stream(
        self,
        organisation_id: uuid.UUID,
        package_id: uuid.UUID | None,
        after: EventCursor | None,
        direct: DirectDelivery | None = None,
    ) -> AsyncIterator[Event]:
        """Every event after ``after`` (replayed from the log), then live ones: no gap, no repeat.

        Live events sent through ``direct`` are not yielded (see ``Subscription``).
        """
        if self._idle:
            # The hub stopped reading while nobody listened; restart it from the log's head.
            async with self._sessionmaker() as session:
                head = await EventRepository(session).head()
            if self._idle:  # not restarted meanwhile by a concurrent first subscriber
                self.position = head
                self._idle = False
                self._epoch += 1
                self._wake.set()  # read now what committed while nobody listened
                self._listen_change.set()
        subscription = self.subscribe(organisation_id, package_id, direct)
        # Without a cursor the subscriber starts at the hub's position: nothing at or before it
        # is sent (a run being dispatched may include it), and a subscriber cut off before its
        # first event can resume from there.
        subscription.last = after if after is not None else subscription.start
        try:
            if after is not None:
                async with self._sessionmaker() as session:
                    horizon = await EventRepository(session).horizon()
                if horizon is not None and after < horizon:
                    raise ResyncRequiredError(
                        "The cursor is older than the retained event log; reload and subscribe without a cursor."
                    )
                while (
                    subscription.start is not None
                    and (last := subscription.last) is not None
                    and last < subscription.start
                ):
                    page = await self._replay_page(subscription, last)
                    for event in page:
                        subscription.last = cursor_of(event)
                        yield event
                    if len(page) < self._batch:
                        break
            while True:
                try:
                    position, event = await subscription.next()
                except SubscriberTooSlowError:
                    raise SubscriberTooSlowError(subscription.last) from None
                if subscription.last is not None and position <= subscription.last:
                    continue
                subscription.last = position
                yield event
        finally:
            self.unsubscribe(subscription)

    async def _replay_page(self, subscription: Subscription, after: EventCursor) -> list[Event]:
        """One page of the gap between a resume cursor and the live start, read in a short session
        (no connection is held while the subscriber consumes it)."""
        async with self._sessionmaker() as session:
            rows = await EventRepository(session).page(
                after=after,
                first=self._batch,
                upto=subscription.start,
                organisation_id=subscription.organisation_id,
                package_id=subscription.package_id,
            )
        return rows[: self._batch]

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        last_read = -math.inf
        while True:
            try:
                if not self._idle:  # while nobody listens there is nothing to read for
                    last_read = loop.time()
                    await self._catch_up()
            except Exception:  # keep following; the next wake-up or tick retries
                log.exception("event hub read failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._catch_up_seconds):  # no task per wait, unlike wait_for
                    await self._wake.wait()
            # At most one read per gathering window, so a burst of commits shares a read; the
            # first commit after a quiet spell is read at once (a fixed wait would add to every
            # event's latency).
            pause = last_read + self._coalesce_seconds - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            self._wake.clear()

    async def _catch_up(self) -> None:
        epoch = self._epoch
        async with self._sessionmaker() as session:
            repository = EventRepository(session)
            while True:
                rows = await repository.page(after=self.position, first=self._batch)
                if epoch != self._epoch or self._idle:
                    return  # the position was reset while this read was in flight
                page = rows[: self._batch]
                for first in range(0, len(page), _RUN):
                    run = [(cursor_of(event), event) for event in page[first : first + _RUN]]
                    self.position = run[-1][0]
                    handed = self.delivered
                    await self._dispatch(run)
                    LIVE_DELIVERIES.inc(self.delivered - handed)
                    EVENT_LAG.set(max(time.time() - run[-1][1].created_at.timestamp(), 0.0))
                    await asyncio.sleep(0)  # queued subscribers, requests and pings run between runs
                    if epoch != self._epoch or self._idle:
                        return
                if len(rows) <= self._batch:
                    return

    async def _dispatch(self, run: list[tuple[EventCursor, Event]]) -> None:
        """Hand a run of consecutive events to each of their subscribers: written at once to
        those waiting (all of a subscriber's events in one write), else queued.

        Events usually arrive one per read; when several have committed since the last read
        (a burst, or a backlog after a busy spell), each socket gets them in one write, so
        catching up costs less per event than keeping up. Writing to many sockets holds the
        event loop, so the loop is let go after about every ``_DIRECT_SLICE`` frames (a new
        subscriber meanwhile starts after this run, and gets none of it; no other run is
        dispatched until this one is done).
        """
        written = 0  # frames written directly since the loop last turned
        for organisation_id, events in _by_organisation(run).items():
            group = self._subscriptions.get(organisation_id)
            if not group:
                continue
            shares: dict[uuid.UUID | None, _Share] = {}  # what each package's subscribers get
            now = time.monotonic()
            # Once per subscriber per run: kept inline, a call less per write.
            for subscription in list(group):
                share = shares.get(subscription.package_id)
                if share is None:
                    share = shares[subscription.package_id] = _Share.of(events, subscription.package_id)
                if not share.items:
                    continue
                last = subscription.last
                if last is not None and share.items[0][0] <= last:  # partly handed over already
                    share = _Share([item for item in share.items if item[0] > last])
                    if not share.items:
                        continue
                delivery = subscription.direct
                if delivery is not None and subscription.waiting and not subscription.buffer and now < delivery.until:
                    try:
                        sent = delivery.send(share.events)
                    except Exception:  # queued instead: the subscriber's own task meets the failure and reports it
                        log.exception("direct delivery failed")
                        subscription.direct, sent = None, False
                    if sent:
                        subscription.last = share.items[-1][0]
                        self.delivered_directly += len(share.items)
                        self.delivered += len(share.items)
                        self.direct_writes += 1
                        written += len(share.items)
                        if written >= _DIRECT_SLICE:
                            written = 0
                            await asyncio.sleep(0)
                        continue
                for position, event in share.items:
                    if not subscription.queue(position, event):
                        group.discard(subscription)
                        break
                    self.delivered += 1

    async def _listen(self) -> None:
        """Hold the LISTEN connection while anyone subscribes here; reconnect when it is lost.

        A process with no subscribers does not listen at all, so the commits of writers (its
        own autosaves included) wake nothing in it and cost it no work. The connection is kept
        for ``listen_grace_seconds`` after the last subscriber leaves, as a reloaded page or a
        resuming client is usually back at once.
        """
        delay = 0.2
        while True:
            await self._until_changed(lambda: not self._idle)
            lost = asyncio.Event()

            def on_lost(_: object, lost: asyncio.Event = lost) -> None:
                lost.set()
                self._listen_change.set()

            try:
                self._listener = await asyncpg.connect(self._listen_dsn)
                self._listener.add_termination_listener(on_lost)
                await self._listener.add_listener(CHANNEL, self._notified)
                self.listening = True
                delay = 0.2
                self._wake.set()  # anything committed while not listening is read now
                await self._hold(lost)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("event listener connection failed", error=str(exc))
                lost.set()
            except Exception:  # never let listening stop for good: reconnect after a pause
                log.exception("event listener failed")
                lost.set()
            finally:
                self.listening = False
                if self._listener is not None and not self._listener.is_closed():
                    self._listener.terminate()
            if lost.is_set():
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _hold(self, lost: asyncio.Event) -> None:
        """Return once the connection is lost, or nobody has subscribed for the grace period."""
        while True:
            await self._until_changed(lambda: lost.is_set() or self._idle)
            if lost.is_set():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._listen_grace_seconds):
                    await self._until_changed(lambda: lost.is_set() or not self._idle)
            if lost.is_set() or self._idle:
                return

    async def _until_changed(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition`` holds, re-checking it whenever the listening state changes."""
        while not condition():
            self._listen_change.clear()
            await self._listen_change.wait()

    async def _prune_periodically(self) -> None:
        while True:
            try:
                removed = await self.prune()
                if removed:
                    log.info("pruned old events", removed=removed)
            except Exception:  # pruning is housekeeping: never let it stop the hub
                log.exception("event pruning failed")
            await asyncio.sleep(self._prune_every_seconds)

    async def prune(self) -> int:
        """Delete events past the retention window; one process at a time (advisory lock)."""
        async with self._prune_sessionmaker() as session, session.begin():
            if not await session.scalar(select(func.pg_try_advisory_xact_lock(PRUNE_LOCK))):
                return 0
            return await EventRepository(session).prune(datetime.now(UTC) - self._retention)

    def _notified(self, *_: object) -> None:
        if not self._idle:  # with nobody subscribed, a writer's commits wake nothing here
            self._wake.set()
