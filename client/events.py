"""Following a package's or a job's events over graphql-transport-ws, through dropped connections.

Every event carries a cursor; after a drop (server restart, network) the subscription is opened
again with ``after: <last cursor>`` and the server replays what was missed, so the caller sees
each event once and in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TypeVar

from websockets.exceptions import InvalidHandshake, WebSocketException

from client.generated import GraphQLClient
from client.generated.exceptions import GraphQLClientError, GraphQLClientGraphQLMultiError
from client.generated.job_events import JobEventsJobEvents
from client.generated.package_events import PackageEvents

_DROPS = (OSError, WebSocketException, InvalidHandshake, asyncio.TimeoutError, GraphQLClientError)
Event = TypeVar("Event")


class ConnectionLostError(Exception):
    """The server stayed unreachable for longer than the reconnect budget."""


async def _resuming(
    open_stream: Callable[[str | None], AsyncIterator[Event]],
    cursor_of: Callable[[Event], str],
    after: str | None,
    reconnect_for: float,
    on_drop: Callable[[BaseException], None] | None,
) -> AsyncGenerator[Event, None]:
    cursor = after
    down_since: float | None = None
    delay = 0.2
    while True:
        try:
            async for event in open_stream(cursor):
                down_since, delay = None, 0.2
                cursor = cursor_of(event)
                yield event
            return  # the server completed the subscription
        except GraphQLClientGraphQLMultiError:
            raise  # the server refused the operation itself: retrying would repeat the answer
        except _DROPS as exc:
            now = time.monotonic()
            down_since = down_since or now
            if now - down_since > reconnect_for:
                raise ConnectionLostError(f"no connection for {reconnect_for:.0f}s: {exc}") from exc
            if on_drop is not None:
                on_drop(exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def package_events(
    client: GraphQLClient,
    package_id: str,
    after: str | None = None,
    *,
    reconnect_for: float = 60.0,
    on_drop: Callable[[BaseException], None] | None = None,
) -> AsyncGenerator[PackageEvents, None]:
    """Every event of the package after ``after``, reconnecting with the last cursor."""
    return _resuming(
        lambda cursor: client.package_events(package_id, after=cursor),
        lambda event: event.package_events.cursor,
        after,
        reconnect_for,
        on_drop,
    )


def job_events(
    client: GraphQLClient,
    job_id: str,
    after: str | None = None,
    *,
    reconnect_for: float = 60.0,
    on_drop: Callable[[BaseException], None] | None = None,
) -> AsyncGenerator[JobEventsJobEvents, None]:
    """A job's events until it ends, reconnecting with the last cursor."""

    async def stream(cursor: str | None) -> AsyncIterator[JobEventsJobEvents]:
        async for event in client.job_events(job_id, after=cursor):
            yield event.job_events

    return _resuming(stream, lambda event: event.cursor, after, reconnect_for, on_drop)


async def latest_cursor(client: GraphQLClient, package_id: str) -> str | None:
    """The cursor of the package's newest event (a subscription after it misses nothing newer)."""
    cursor: str | None = None
    while True:
        page = (await client.package_event_cursors(package_id, first=100, after=cursor)).node
        events = getattr(page, "events", None)
        if events is None:
            return cursor
        cursor = events.page_info.end_cursor or cursor
        if not events.page_info.has_next_page:
            return cursor
