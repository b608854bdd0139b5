"""The event hub under stress: stalled subscribers, a cut wake-up channel, resumes under load."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest

from api.live import hub as hub_module
from api.live.hub import DirectDelivery, EventHub, SubscriberTooSlowError, cursor_of
from db.engine import make_engine, make_sessionmaker
from db.models import Event
from db.repositories.events import EventCursor
from tests.support.databases import plain
from tests.support.waiting import until
from trainpack.database import unit_of_work

INSERT = "INSERT INTO events (organisation_id, package_id, type, payload, actor) VALUES ($1, NULL, $2, '{}', 'test')"
INSERT_INTO_PACKAGE = (
    "INSERT INTO events (organisation_id, package_id, type, payload, actor) VALUES ($1, $2, $3, '{}', 'test')"
)


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[EventHub]:
    engine = make_engine(database_url, pool_size=2)
    hub = EventHub(
        make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT")),
        plain(database_url),
        catch_up_seconds=0.5,
        buffer=5,
        batch=4,
        listen_grace_seconds=0.5,
    )
    await hub.start()
    yield hub
    await hub.stop()
    await engine.dispose()


async def _organisation(database_url: str) -> uuid.UUID:
    async with unit_of_work(database_url) as uow:
        organisation = await uow.tokens.add_organisation(f"org-{uuid.uuid4().hex[:10]}")
    return organisation.id


async def _write(database_url: str, organisation_id: uuid.UUID, names: list[str]) -> None:
    connection = await asyncpg.connect(plain(database_url))
    try:
        for name in names:
            await connection.execute(INSERT, organisation_id, name)
    finally:
        await connection.close()


async def _take(stream: AsyncIterator[Event], count: int, timeout: float = 10.0) -> list[Event]:
    async def take() -> list[Event]:
        return [await anext(stream) for _ in range(count)]

    return await asyncio.wait_for(take(), timeout)


async def test_a_stalled_subscriber_is_cut_off_without_delaying_the_others(hub: EventHub, database_url: str) -> None:
    organisation_id = await _organisation(database_url)
    active, stalled = hub.stream(organisation_id, None, None), hub.stream(organisation_id, None, None)
    first_active, first_stalled = asyncio.create_task(_take(active, 1)), asyncio.create_task(_take(stalled, 1))
    await asyncio.sleep(0.1)  # both registered
    await _write(database_url, organisation_id, ["E0"])
    await first_active
    last_seen = cursor_of((await first_stalled)[0])
    names = [f"E{number}" for number in range(1, 21)]
    reading = asyncio.create_task(_take(active, 20, timeout=10))
    await _write(database_url, organisation_id, names)
    assert [event.type for event in await reading] == names  # never held back by the stalled one
    buffered = [event.type for event in await _take(stalled, 5)]
    assert buffered == names[:5]
    with pytest.raises(SubscriberTooSlowError) as cut:
        await anext(stalled)
    resume_from = cut.value.last_cursor
    assert resume_from is not None and resume_from > last_seen
    resumed = hub.stream(organisation_id, None, resume_from)
    assert [event.type for event in await _take(resumed, 15)] == names[5:]
    for stream in (active, stalled, resumed):
        await stream.aclose()  # type: ignore[attr-defined]


async def test_a_cut_wake_up_channel_only_delays_delivery(hub: EventHub, database_url: str) -> None:
    organisation_id = await _organisation(database_url)
    stream = hub.stream(organisation_id, None, None)
    first = asyncio.create_task(_take(stream, 1))
    await asyncio.sleep(0.1)
    await _write(database_url, organisation_id, ["BEFORE"])
    await first
    killer = await asyncpg.connect(plain(database_url))
    try:
        killed = await killer.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        assert killed >= 1
        await _write(database_url, organisation_id, [f"DURING{number}" for number in range(5)])
        during = [event.type for event in await _take(stream, 5)]  # by the periodic catch-up
        assert during == [f"DURING{number}" for number in range(5)]
        for _ in range(50):  # the listener reconnects by itself
            if hub.listening:
                break
            await asyncio.sleep(0.1)
        assert hub.listening
    finally:
        await killer.close()
    await _write(database_url, organisation_id, ["AFTER"])
    assert [event.type for event in await _take(stream, 1)] == ["AFTER"]
    await stream.aclose()  # type: ignore[attr-defined]


def _listens(hub: EventHub) -> bool:
    """Read through a call, so the type checker does not carry a narrowed value across awaits."""
    return hub.listening


async def _backend_alive(database_url: str, pid: int) -> bool:
    connection = await asyncpg.connect(plain(database_url))
    try:
        return bool(await connection.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid))
    finally:
        await connection.close()


async def test_the_hub_listens_only_while_it_has_subscribers(hub: EventHub, database_url: str) -> None:
    organisation_id = await _organisation(database_url)
    await asyncio.sleep(0.3)
    assert not _listens(hub)  # started with nobody subscribed: writers' commits wake nothing here
    await _write(database_url, organisation_id, ["UNSEEN"])

    stream = hub.stream(organisation_id, None, None)
    first = asyncio.create_task(_take(stream, 1))
    await until(lambda: hub.listening, "the first subscriber makes the hub listen")
    pid = hub.listener_pid
    assert pid is not None and await _backend_alive(database_url, pid)
    await _write(database_url, organisation_id, ["SEEN"])
    assert [event.type for event in await first] == ["SEEN"]  # from its start, not what came before

    await stream.aclose()  # type: ignore[attr-defined]
    # A subscriber back within the grace period (a reloaded page) finds the same connection.
    assert _listens(hub)
    back = hub.stream(organisation_id, None, None)
    returning = asyncio.create_task(_take(back, 1))
    await until(lambda: hub.subscribers == 1, "the returning subscriber is registered")
    await asyncio.sleep(0.8)  # longer than the grace period
    assert _listens(hub) and hub.listener_pid == pid
    await _write(database_url, organisation_id, ["BACK"])
    assert [event.type for event in await returning] == ["BACK"]

    await back.aclose()  # type: ignore[attr-defined]
    await until(lambda: not hub.listening, "the grace period after the last subscriber ends the listening")
    for _ in range(50):  # its connection is closed, not left open in the database
        if not await _backend_alive(database_url, pid):
            break
        await asyncio.sleep(0.05)
    assert not await _backend_alive(database_url, pid)

    await _write(database_url, organisation_id, ["WHILE-IDLE"])
    again = hub.stream(organisation_id, None, None)
    following = asyncio.create_task(_take(again, 1))
    await until(lambda: hub.listening, "a new subscriber makes the hub listen again")
    await _write(database_url, organisation_id, ["AGAIN"])
    assert [event.type for event in await following] == ["AGAIN"]
    await again.aclose()  # type: ignore[attr-defined]


async def test_resuming_repeatedly_under_concurrent_writers_sees_the_log_exactly_once(
    hub: EventHub, database_url: str
) -> None:
    organisation_id = await _organisation(database_url)
    total = 120

    async def writer(prefix: str) -> None:
        connection = await asyncpg.connect(plain(database_url))
        try:
            for number in range(total // 4):
                async with connection.transaction():
                    await connection.execute(INSERT, organisation_id, f"{prefix}{number}")
                    await asyncio.sleep(0.002)  # transactions overlap and commit out of id order
        finally:
            await connection.close()

    writers = asyncio.gather(*(writer(prefix) for prefix in "abcd"))
    received: list[Event] = []
    last: EventCursor | None = None
    while len(received) < total:
        stream = hub.stream(organisation_id, None, last)
        try:
            for _ in range(7):  # read a few, then drop the connection and resume
                event = await asyncio.wait_for(anext(stream), 10)
                received.append(event)
                last = cursor_of(event)
                if len(received) == total:
                    break
        except SubscriberTooSlowError as cut:  # a tiny buffer: being cut off is one more way to resume
            assert cut.last_cursor == last or (cut.last_cursor is None and last is None)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
    await writers
    async with unit_of_work(database_url) as uow:
        log = await uow.events.page(organisation_id=organisation_id, after=None, first=1000)
    assert [cursor_of(event) for event in received] == [cursor_of(event) for event in log]
    assert len({event.type for event in received}) == total


async def _write_together(database_url: str, organisation_id: uuid.UUID, names: list[str]) -> None:
    """Events committed in one transaction: the hub reads them as one run."""
    connection = await asyncpg.connect(plain(database_url))
    try:
        async with connection.transaction():
            for name in names:
                await connection.execute(INSERT, organisation_id, name)
    finally:
        await connection.close()


async def test_events_go_out_directly_only_to_a_waiting_subscriber_with_nothing_queued(
    hub: EventHub, database_url: str
) -> None:
    organisation_id = await _organisation(database_url)
    offered: list[list[str]] = []  # each direct write the hub asked for, with the events it carried
    sent: list[str] = []  # the subscriber's whole sequence: direct sends and queued events alike
    busy = {"E2"}  # a socket that cannot take this one at once

    def direct(events: list[Event]) -> bool:
        names = [event.type for event in events]
        offered.append(names)
        if busy.intersection(names):
            return False
        sent.extend(names)
        return True

    delivery = DirectDelivery(direct)
    stream = hub.stream(organisation_id, None, None, delivery)

    async def next_event() -> Event:
        return await anext(stream)

    async def handed_over(count: int) -> None:
        for _ in range(200):
            if hub.delivered >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{hub.delivered} events handed over, expected {count}")

    waiting = asyncio.create_task(next_event())
    await asyncio.sleep(0.1)  # the subscriber waits for its next event
    start, writes = hub.delivered, hub.direct_writes
    # Committed together: one write carries both, and the waiting task is not woken.
    await _write_together(database_url, organisation_id, ["E0", "E1"])
    await handed_over(start + 2)
    assert offered == [["E0", "E1"]] and hub.direct_writes == writes + 1
    assert not waiting.done()

    # A run the socket cannot take goes to the queue whole, in order, behind nothing.
    await _write_together(database_url, organisation_id, ["E2", "E3"])
    await handed_over(start + 4)
    sent.append((await asyncio.wait_for(waiting, 10)).type)
    assert offered == [["E0", "E1"], ["E2", "E3"]]

    # Nobody waits now (the subscriber is busy, E3 still queued): the next event is queued too.
    await _write(database_url, organisation_id, ["E4"])
    await handed_over(start + 5)
    assert offered == [["E0", "E1"], ["E2", "E3"]]
    sent.extend(event.type for event in await _take(stream, 2))

    # Waiting again with nothing queued: straight to the socket, without waking the task.
    waiting = asyncio.create_task(next_event())
    await asyncio.sleep(0.1)
    directly_before = hub.delivered_directly
    await _write(database_url, organisation_id, ["E5"])
    await handed_over(start + 6)
    assert sent == [f"E{number}" for number in range(6)]  # one sequence, in log order
    assert offered == [["E0", "E1"], ["E2", "E3"], ["E5"]]
    assert hub.delivered_directly == directly_before + 1
    assert not waiting.done()

    # Past its deadline (a token re-check due) the subscriber's own task gets the event.
    delivery.until = 0.0
    await _write(database_url, organisation_id, ["E6"])
    assert (await asyncio.wait_for(waiting, 10)).type == "E6"
    assert offered == [["E0", "E1"], ["E2", "E3"], ["E5"]]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_run_goes_to_each_subscriber_in_one_write_of_its_own_events(hub: EventHub, database_url: str) -> None:
    first, second = await _organisation(database_url), await _organisation(database_url)
    package_id = uuid.uuid4()
    writes: dict[str, list[list[str]]] = {"first": [], "first's package": [], "second": []}

    def recorder(name: str) -> Callable[[list[Event]], bool]:
        def send(events: list[Event]) -> bool:
            writes[name].append([event.type for event in events])
            return True

        return send

    streams = [
        hub.stream(first, None, None, DirectDelivery(recorder("first"))),
        hub.stream(first, package_id, None, DirectDelivery(recorder("first's package"))),
        hub.stream(second, None, None, DirectDelivery(recorder("second"))),
    ]

    async def next_event(stream: AsyncIterator[Event]) -> Event:
        return await anext(stream)

    waiting = [asyncio.create_task(next_event(stream)) for stream in streams]
    await until(lambda: hub.subscribers == 3, "every subscriber waits")
    start = hub.delivered
    rows = [(first, None, "A1"), (second, None, "B1"), (first, package_id, "A2"), (first, None, "A3")]  # a page
    connection = await asyncpg.connect(plain(database_url))
    try:
        async with connection.transaction():  # one commit: the hub reads the four as one run
            for organisation_id, package, name in rows:
                await connection.execute(INSERT_INTO_PACKAGE, organisation_id, package, name)
    finally:
        await connection.close()
    for _ in range(200):
        if hub.delivered >= start + 5:
            break
        await asyncio.sleep(0.05)
    assert writes == {"first": [["A1", "A2", "A3"]], "first's package": [["A2"]], "second": [["B1"]]}
    assert not any(task.done() for task in waiting)  # nobody's task was woken
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)


async def test_a_long_run_is_split_and_events_already_handed_over_are_not_sent_again(
    hub: EventHub, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "_RUN", 2)
    organisation_id = await _organisation(database_url)
    writes: list[list[str]] = []

    def send(events: list[Event]) -> bool:
        writes.append([event.type for event in events])
        return True

    stream = hub.stream(organisation_id, None, None, DirectDelivery(send))
    waiting = asyncio.create_task(_take(stream, 1))
    await until(lambda: hub.subscribers == 1, "the subscriber waits")
    start = hub.delivered
    await _write_together(database_url, organisation_id, ["E0", "E1", "E2", "E3", "E4"])  # read 4, then 1
    await until(lambda: hub.delivered >= start + 5, "every event is handed over")
    assert writes == [["E0", "E1"], ["E2", "E3"], ["E4"]]
    assert not waiting.done()

    # A subscriber that has had part of a run (its last cursor inside it) gets only the rest.
    (subscription,) = hub._subscriptions[organisation_id]
    async with unit_of_work(database_url) as uow:
        log = await uow.events.page(organisation_id=organisation_id, after=None, first=10)
    subscription.last = cursor_of(log[2])
    await hub._dispatch([(cursor_of(event), event) for event in log[1:4]])
    assert writes[-1] == ["E3"]
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await stream.aclose()  # type: ignore[attr-defined]


async def test_writing_one_event_to_many_waiting_subscribers_lets_the_loop_run_in_between(
    hub: EventHub, database_url: str
) -> None:
    organisation_id = await _organisation(database_url)
    turns = 0  # how often another task got the loop
    seen: list[int] = []  # the value of ``turns`` at each direct send

    def send(_: list[Event]) -> bool:
        seen.append(turns)
        return True

    count = 2 * hub_module._DIRECT_SLICE + 100  # enough for the loop to turn twice within one event
    streams = [hub.stream(organisation_id, None, None, DirectDelivery(send)) for _ in range(count)]

    async def next_event(stream: AsyncIterator[Event]) -> Event:
        return await anext(stream)

    waiting = [asyncio.create_task(next_event(stream)) for stream in streams]
    await until(  # every subscriber waits (on a busy machine that takes longer than a moment)
        lambda: sum(subscription.waiting for group in hub._subscriptions.values() for subscription in group) == count,
        "every subscriber waits",
    )

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    await _write(database_url, organisation_id, ["BIG"])
    for _ in range(200):
        if len(seen) == len(streams):
            break
        await asyncio.sleep(0.05)
    other.cancel()
    assert len(seen) == len(streams)  # all sent directly
    assert len(set(seen)) >= 3  # the loop turned at least twice during the one event's writes
    assert not any(task.done() for task in waiting)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, other, return_exceptions=True)
    for stream in streams:
        await stream.aclose()  # type: ignore[attr-defined]
