"""Live events across processes: two `trainpack serve` processes, real websockets, real writers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support.content import CONFIG, MODEL
from tests.support.flows import create_package, save
from tests.support.graphql import Api
from tests.support.servers import subprocess_server
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, WsClient

ORGANISATION_EVENTS = """
subscription($after: String) {
  organisationEvents(after: $after) { __typename cursor packageId ... on DraftSavedEvent { revision } }
}
"""
LOG = """
query($after: String) {
  events(first: 200, after: $after) { edges { node { cursor } } pageInfo { hasNextPage endCursor } }
}
"""


@pytest.fixture(scope="module")
def two_servers(database_url: str) -> Iterator[tuple[str, str]]:
    with subprocess_server(database_url) as first, subprocess_server(database_url) as second:
        yield f"{first}/graphql", f"{second}/graphql"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_save_on_one_process_reaches_a_subscriber_on_another(
    two_servers: tuple[str, str], database_url: str, protocol: str
) -> None:
    writer_url, reader_url = two_servers
    token = await issue_token(database_url)
    async with Api(writer_url, token) as api, WsClient(reader_url, protocol) as ws:
        package_id, revision = await create_package(api)
        assert (await ws.init(token))["type"] == "connection_ack"
        await ws.subscribe("1", ORGANISATION_EVENTS)
        await asyncio.sleep(0.3)
        saved = await save(api, package_id, revision, {"model": MODEL})
        received: list[dict[str, Any]] = []
        while not any(event["__typename"] == "DraftSavedEvent" for event in received):
            received.extend(data["organisationEvents"] for data in await ws.events(1, timeout=5))
    assert received[-1]["revision"] == saved["revision"] and received[-1]["packageId"] == package_id


async def test_a_subscriber_that_keeps_reconnecting_sees_the_whole_log_once(
    two_servers: tuple[str, str], database_url: str
) -> None:
    writer_url, reader_url = two_servers
    token = await issue_token(database_url)
    saves_per_writer, writers = 12, 4
    async with Api(writer_url, token) as api:
        packages = [await create_package(api) for _ in range(writers)]
        log_start = await _log(api)

        async def write(package_id: str, revision: int) -> None:
            for number in range(saves_per_writer):
                saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": number}})
                revision = saved["revision"]

        writing = asyncio.gather(*(write(package_id, revision) for package_id, revision in packages))
        received: list[str] = []
        after = log_start[-1] if log_start else None
        expected_saves = saves_per_writer * writers
        saves_seen = 0
        # Generous: it bounds a hang, not the speed (the assertion is about completeness and order).
        deadline = asyncio.get_running_loop().time() + 150
        while saves_seen < expected_saves and asyncio.get_running_loop().time() < deadline:
            async with WsClient(reader_url) as ws:  # drop and resume every few events
                await ws.init(token)
                await ws.subscribe("1", ORGANISATION_EVENTS, after=after)
                for _ in range(5):
                    try:
                        (data,) = await ws.events(1, timeout=5)
                    except TimeoutError:
                        break
                    event = data["organisationEvents"]
                    received.append(event["cursor"])
                    saves_seen += event["__typename"] == "DraftSavedEvent"
                after = received[-1] if received else after
        await writing
        assert saves_seen == expected_saves
        async with WsClient(reader_url) as ws:  # whatever remains after the last save
            await ws.init(token)
            await ws.subscribe("1", ORGANISATION_EVENTS, after=after)
            try:
                while True:
                    received.extend(data["organisationEvents"]["cursor"] for data in await ws.events(1, timeout=2))
            except TimeoutError:
                pass
        log = await _log(api)
    assert received == log[len(log_start) :]


async def _log(api: Api) -> list[str]:
    cursors: list[str] = []
    after = None
    while True:
        page = (await api.execute(LOG, after=after))["events"]
        cursors.extend(edge["node"]["cursor"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return cursors
        after = page["pageInfo"]["endCursor"]
