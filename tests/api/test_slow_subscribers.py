"""A stalled subscriber over a real socket: the others go on, and it gets a resumable error.

Live events go straight from the hub to the sockets of subscribers that wait for them; a
socket that stops taking frames sends its events back to the subscriber's bounded queue,
and an overflowing queue ends the subscription with ``SUBSCRIBER_TOO_SLOW`` naming the last
cursor the client was sent. These tests stall a real websocket client (a small receive
window, and it stops reading) under uvicorn, not the hub alone (see ``test_event_hub``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from tests.conftest import issue_token
from tests.support.databases import plain
from tests.support.servers import InProcessServer
from tests.support.waiting import until
from tests.support.ws import WsClient
from trainpack.database import unit_of_work
from workflow.access import hash_token

RENAMES = """
subscription($after: String) {
  organisationEvents(after: $after) { __typename cursor ... on PackageRenamedEvent { name } }
}
"""
EVENTS = 600
# About 16 kB a frame, 9.6 MB in all: more than a stalled socket's buffers hold, the kernel's
# send buffer included (it grows to a few megabytes on its own).
NAME_LENGTH = 16_000
BATCH = 50
QUEUE = 20


async def _organisation_of(database_url: str, token: str) -> uuid.UUID:
    async with unit_of_work(database_url) as uow:
        found = await uow.tokens.active_by_hash(hash_token(token))
    assert found is not None
    return found[1].id


async def _write_renames(database_url: str, organisation_id: uuid.UUID, numbers: range) -> None:
    """Renames numbered ``numbers``, in one transaction."""
    rows = [
        (
            organisation_id,
            json.dumps({"name": f"{number:04d}".ljust(NAME_LENGTH, "x"), "previousName": "p", "automatic": False}),
        )
        for number in numbers
    ]
    connection = await asyncpg.connect(plain(database_url))
    try:
        await connection.executemany(
            "INSERT INTO events (organisation_id, package_id, type, payload, actor) "
            "VALUES ($1, NULL, 'PACKAGE_RENAMED', $2::jsonb, 'test')",
            rows,
        )
    finally:
        await connection.close()


async def _renames(ws: WsClient, operation_id: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The events an operation receives until it completes or fails, and its error if it failed."""
    events: list[dict[str, Any]] = []
    while True:
        message = await ws.receive(timeout=20)
        if message.get("id") != operation_id:
            continue
        if message["type"] == "next":
            payload = message["payload"]
            if payload.get("errors"):
                return events, payload["errors"][0]
            events.append(payload["data"]["organisationEvents"])
        elif message["type"] == "error":
            return events, message["payload"][0]
        elif message["type"] == "complete":
            return events, None


async def test_a_stalled_socket_does_not_hold_back_the_others_and_gets_a_resumable_error(database_url: str) -> None:
    token = await issue_token(database_url)
    organisation_id = await _organisation_of(database_url, token)
    with InProcessServer.start(database_url, subscriber_buffer=QUEUE) as server:
        hub = server.services.hub
        assert hub is not None
        async with WsClient(server.graphql_url) as reader, WsClient(server.graphql_url, receive_buffer=4096) as stalled:
            for ws in (reader, stalled):
                await ws.init(token)
                await ws.subscribe("live", RENAMES)
            await until(lambda: hub.subscribers == 2, "both subscriptions")
            # The reader gets every batch while the stalled client has read nothing at all.
            read: list[dict[str, Any]] = []
            for first in range(0, EVENTS, BATCH):
                await _write_renames(database_url, organisation_id, range(first, first + BATCH))
                read.extend(await reader.events(BATCH, timeout=20))
            names = [event["organisationEvents"]["name"][:4] for event in read]
            assert names == [f"{number:04d}" for number in range(EVENTS)]
            await asyncio.sleep(2)
            await until(lambda: hub.subscribers == 1, "the stalled subscription to be cut off")
            assert hub.delivered_directly > 0  # the hub wrote to the waiting sockets itself

            # Reading again, the stalled client gets what was sent before the cut, then the error.
            received, error = await _renames(stalled, "live")
        assert error is not None and error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        log = [event["organisationEvents"] for event in read]
        assert 0 < len(received) < EVENTS
        assert received == log[: len(received)]  # in order, nothing skipped before the cut
        assert error["extensions"]["lastCursor"] == received[-1]["cursor"]

        # Resuming from that cursor delivers exactly the rest.
        async with WsClient(server.graphql_url) as resumed:
            await resumed.init(token)
            await resumed.subscribe("again", RENAMES, after=error["extensions"]["lastCursor"])
            rest = [data["organisationEvents"] for data in await resumed.events(EVENTS - len(received), timeout=20)]
        assert received + rest == log
