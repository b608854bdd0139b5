"""Live events over real websockets (both protocols) against the in-process uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from strawberry.relay import GlobalID as Base64Id

from api.live.sharing import SharedEventExecutor
from api.subscriptions import next_token_check
from tests.conftest import issue_token
from tests.support.content import CONFIG, MODEL
from tests.support.databases import plain
from tests.support.documents import EVENTS
from tests.support.flows import create_package, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from tests.support.waiting import until
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, WsClient
from trainpack.database import unit_of_work
from workflow.access import hash_token
from workflow.drafts import utcnow
from workflow.tokens import revoke

PACKAGE_EVENTS = """
subscription($id: ID!, $after: String) {
  packageEvents(packageId: $id, after: $after) {
    __typename cursor packageId
    ... on DraftSavedEvent { revision trigger steps }
    ... on StepStatusChangedEvent { step fromStatus toStatus }
    ... on PackageRenamedEvent { name automatic }
  }
}
"""

ORGANISATION_EVENTS = """
subscription { organisationEvents { __typename cursor packageId ... on DraftSavedEvent { revision } } }
"""


async def _until_saves(ws: WsClient, count: int) -> list[dict[str, object]]:
    """Every event received until ``count`` DraftSavedEvents have arrived."""
    received: list[dict[str, object]] = []
    while sum(event["__typename"] == "DraftSavedEvent" for event in received) < count:
        received.extend(data["packageEvents"] for data in await ws.events(1))
    return received


async def _saves(api: Api, package_id: str, revision: int, count: int) -> int:
    for number in range(count):
        saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": number}}, trigger="AUTOSAVE")
        revision = saved["revision"]
    return revision


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_saves_stream_live_as_typed_events(api: Api, api_server: InProcessServer, protocol: str) -> None:
    package_id, revision = await create_package(api)
    async with WsClient(api_server.graphql_url, protocol) as ws:
        assert (await ws.init(api.token))["type"] == "connection_ack"
        await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
        await asyncio.sleep(0.2)
        saved = await save(api, package_id, revision, {"model": MODEL}, trigger="AUTOSAVE")
        received = [data["packageEvents"] for data in await ws.events(2)]
    assert [event["__typename"] for event in received] == ["PackageRenamedEvent", "DraftSavedEvent"]
    assert received[1] == {
        "__typename": "DraftSavedEvent",
        "cursor": received[1]["cursor"],
        "packageId": package_id,
        "revision": saved["revision"],
        "trigger": "AUTOSAVE",
        "steps": ["MODEL"],
    }
    assert received[0]["name"] == saved["package"]["name"] and received[0]["automatic"] is True


def test_token_re_checks_are_spread_within_the_interval() -> None:
    due = [next_token_check(100.0, 30.0) for _ in range(200)]
    assert all(124.0 <= moment <= 130.0 for moment in due)  # never later than the interval
    assert max(due) - min(due) > 3.0  # subscriptions opened together do not all check at once


async def test_a_missing_or_bad_token_is_refused_before_any_data(api_server: InProcessServer) -> None:
    for token in (None, "tp_not-a-token"):
        async with WsClient(api_server.graphql_url, TRANSPORT_WS) as ws:
            await ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
            with pytest.raises(websockets.ConnectionClosedError) as closed:
                await ws.receive()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        async with WsClient(api_server.graphql_url, LEGACY_WS) as ws:
            assert (await ws.init(token))["type"] == "connection_error"


async def test_resuming_from_a_cursor_delivers_exactly_what_was_missed(api: Api, api_server: InProcessServer) -> None:
    package_id, revision = await create_package(api)
    async with WsClient(api_server.graphql_url) as ws:
        await ws.init(api.token)
        await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
        await asyncio.sleep(0.2)
        revision = await _saves(api, package_id, revision, 2)
        seen = await _until_saves(ws, 2)
    revision = await _saves(api, package_id, revision, 3)  # missed while disconnected
    async with WsClient(api_server.graphql_url) as ws:
        await ws.init(api.token)
        await ws.subscribe("2", PACKAGE_EVENTS, id=package_id, after=seen[-1]["cursor"])
        missed = await _until_saves(ws, 3)
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=1.5)  # nothing more, nothing twice
    saves = [event["revision"] for event in seen + missed if event["__typename"] == "DraftSavedEvent"]
    assert saves == list(range(revision - 4, revision + 1))
    cursors = [event["cursor"] for event in seen + missed]
    assert len(set(cursors)) == len(cursors)


async def test_organisation_streams_never_carry_another_organisations_events(
    api: Api, api_server: InProcessServer, database_url: str
) -> None:
    package_id, revision = await create_package(api)
    async with Api(api_server.graphql_url, await issue_token(database_url)) as other:
        other_package, other_revision = await create_package(other)
        async with WsClient(api_server.graphql_url) as ws:
            await ws.init(other.token)
            await ws.subscribe("1", ORGANISATION_EVENTS)
            await asyncio.sleep(0.2)
            await _saves(api, package_id, revision, 2)
            await _saves(other, other_package, other_revision, 1)
            received = [data["organisationEvents"] for data in await ws.events(1)]
            with contextlib.suppress(TimeoutError):
                while True:
                    received.extend(data["organisationEvents"] for data in await ws.events(1, timeout=1.5))
    assert {event["packageId"] for event in received} == {other_package}
    assert [event["__typename"] for event in received].count("DraftSavedEvent") == 1


async def test_unknown_packages_and_bad_cursors_are_errors(api: Api, api_server: InProcessServer) -> None:
    package_id, _ = await create_package(api)
    async with WsClient(api_server.graphql_url) as ws:
        await ws.init(api.token)
        await ws.subscribe("1", PACKAGE_EVENTS, id="UGFja2FnZTpub3BlLW5vcGU=")
        assert await _error_code(ws, "1") == "NOT_FOUND"
        await ws.subscribe("2", PACKAGE_EVENTS, id=package_id, after="garbage")
        assert await _error_code(ws, "2") == "BAD_CURSOR"


async def _error_code(ws: WsClient, operation_id: str) -> str:
    """The code of an operation's error, sent as `error` or as a `next` result carrying errors."""
    while True:
        message = await ws.receive()
        if message.get("id") == operation_id and message["type"] in ("error", "next"):
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            code: str = errors[0]["extensions"]["code"]
            return code


async def test_a_cursor_older_than_the_retained_log_requires_a_resync(
    api: Api, api_server: InProcessServer, database_url: str
) -> None:
    package_id, revision = await create_package(api)
    await _saves(api, package_id, revision, 2)
    log = (await api.execute(EVENTS, id=package_id))["node"]["events"]["edges"]
    connection = await asyncpg.connect(plain(database_url))
    try:
        await connection.execute(
            "UPDATE events SET created_at = now() - interval '30 days' WHERE package_id = $1",
            uuid.UUID(Base64Id.from_id(package_id).node_id),
        )
    finally:
        await connection.close()
    async with unit_of_work(database_url) as uow:
        assert await uow.events.prune(utcnow() - timedelta(days=7)) >= len(log)
    async with WsClient(api_server.graphql_url) as ws:
        await ws.init(api.token)
        await ws.subscribe("1", PACKAGE_EVENTS, id=package_id, after=log[0]["node"]["cursor"])
        assert await _error_code(ws, "1") == "RESYNC_REQUIRED"


async def test_an_event_is_executed_once_for_many_identical_subscriptions(
    api: Api, api_server: InProcessServer
) -> None:
    package_id, revision = await create_package(api)
    clients = [WsClient(api_server.graphql_url) for _ in range(12)]
    for client in clients:
        await client.__aenter__()
        await client.init(api.token)
        await client.subscribe("1", PACKAGE_EVENTS, id=package_id)
    try:
        await asyncio.sleep(0.3)
        before = SharedEventExecutor.executions
        await _saves(api, package_id, revision, 1)
        received = [await _until_saves(client, 1) for client in clients]
        executed = SharedEventExecutor.executions - before
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
    assert all(events == received[0] for events in received)  # identical answers for identical subscriptions
    assert executed == len(received[0])  # once per event, not once per subscriber


async def test_revoking_the_token_ends_its_live_subscriptions(api: Api, database_url: str) -> None:
    package_id, revision = await create_package(api)
    with InProcessServer.start(database_url, token_recheck_seconds=0) as server:
        async with WsClient(server.graphql_url) as ws:
            await ws.init(api.token)
            await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
            await asyncio.sleep(0.3)
            revision = await _saves(api, package_id, revision, 1)
            await _until_saves(ws, 1)
            async with unit_of_work(database_url) as uow:
                found = await uow.tokens.active_by_hash(hash_token(api.token or ""))
                assert found is not None
                assert await revoke(uow, found[0].id)
            await _write_event(database_url, package_id)
            assert await _error_code(ws, "1") == "UNAUTHENTICATED"


async def _write_event(database_url: str, package_id: str) -> None:
    """An event on the package, written straight to the log (the revoked token can no longer save)."""
    connection = await asyncpg.connect(plain(database_url))
    try:
        raw_id = uuid.UUID(Base64Id.from_id(package_id).node_id)
        organisation_id = await connection.fetchval("SELECT organisation_id FROM packages WHERE id = $1", raw_id)
        await connection.execute(
            "INSERT INTO events (organisation_id, package_id, type, payload, actor) "
            "VALUES ($1, $2, 'PACKAGE_ARCHIVED', '{}', 'test')",
            organisation_id,
            raw_id,
        )
    finally:
        await connection.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_operations_sharing_a_connection_each_get_their_own_frames(
    api: Api, api_server: InProcessServer, protocol: str
) -> None:
    package_id, revision = await create_package(api)
    kind, stop = ("next", "complete") if protocol == TRANSPORT_WS else ("data", "stop")
    fields = {"package-op": "packageEvents", "org-op": "organisationEvents"}
    async with WsClient(api_server.graphql_url, protocol) as ws:
        await ws.init(api.token)
        await ws.subscribe("package-op", PACKAGE_EVENTS, id=package_id)
        await ws.subscribe("org-op", ORGANISATION_EVENTS)
        await asyncio.sleep(0.3)
        revision = await _saves(api, package_id, revision, 1)
        received: dict[str, list[dict[str, Any]]] = {"package-op": [], "org-op": []}
        while not all(any(e["__typename"] == "DraftSavedEvent" for e in events) for events in received.values()):
            message = await ws.receive()
            assert message["type"] == kind, message
            data = message["payload"]["data"]
            assert set(data) == {fields[message["id"]]}  # each frame carries its own operation's selection
            received[message["id"]].append(data[fields[message["id"]]])
        await ws.send({"id": "org-op", "type": stop})
        await asyncio.sleep(0.3)
        await save(api, package_id, revision, {"config": {**CONFIG, "seed": 99}}, trigger="AUTOSAVE")
        after_stop = [await ws.receive()]
        with contextlib.suppress(TimeoutError):
            while True:
                after_stop.append(await ws.receive(timeout=1.5))
    cursors = {operation: [event["cursor"] for event in events] for operation, events in received.items()}
    assert cursors["package-op"] == cursors["org-op"]  # the same events, each to both operations
    saved = received["package-op"][-1]
    assert saved["trigger"] == "AUTOSAVE" and saved["packageId"] == package_id
    assert received["org-op"][-1] == {
        "__typename": "DraftSavedEvent",
        "cursor": saved["cursor"],
        "packageId": package_id,
        "revision": saved["revision"],
    }
    results = [message for message in after_stop if message["type"] == kind]
    assert results and {message["id"] for message in results} == {"package-op"}  # nothing more for a stopped one


async def test_websocket_compression_is_off_unless_configured(
    api: Api, api_server: InProcessServer, database_url: str
) -> None:
    package_id, revision = await create_package(api)
    async with WsClient(api_server.graphql_url) as ws:  # the client offers permessage-deflate
        assert ws.connection is not None and ws.connection.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.connection.response.headers
    with InProcessServer.start(database_url, websocket_compression=True) as server:
        async with WsClient(server.graphql_url) as ws:
            assert ws.connection is not None and ws.connection.response is not None
            assert "permessage-deflate" in ws.connection.response.headers["Sec-WebSocket-Extensions"]
            # Compressed frames are the library's to write: live events still arrive, compressed.
            await ws.init(api.token)
            await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
            await asyncio.sleep(0.3)
            await _saves(api, package_id, revision, 2)
            assert len(await _until_saves(ws, 2)) >= 2
        hub = server.services.hub
        assert hub is not None and hub.delivered >= 2 and hub.delivered_directly == 0


async def test_events_committed_together_reach_a_waiting_subscriber_in_one_write(api: Api, database_url: str) -> None:
    package_id, revision = await create_package(api)
    with InProcessServer.start(database_url) as server:
        hub = server.services.hub
        assert hub is not None
        async with WsClient(server.graphql_url) as ws:
            await ws.init(api.token)
            await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
            await until(lambda: hub.subscribers == 1, "subscribed (and at once waiting for its first event)")
            # Choosing a model renames the package automatically: both events commit together.
            await save(api, package_id, revision, {"model": MODEL}, trigger="AUTOSAVE")
            received = [data["packageEvents"] for data in await ws.events(2)]
            await until(lambda: hub.direct_writes > 0, "the server's thread counts the write it made")
            together = hub.delivered_directly  # the save's events (a job may be scheduled too)
            received += [data["packageEvents"] for data in await ws.events(together - 2)]
    assert [event["__typename"] for event in received][:2] == ["PackageRenamedEvent", "DraftSavedEvent"]
    assert len({event["cursor"] for event in received}) == together == hub.delivered >= 2
    assert hub.direct_writes == 1  # every frame of the run in one write


async def test_a_finished_operation_leaves_the_hub(api: Api, database_url: str) -> None:
    package_id, _ = await create_package(api)
    with InProcessServer.start(database_url) as server:
        hub = server.services.hub
        assert hub is not None

        async def subscribers(expected: int) -> None:
            for _ in range(100):
                if hub.subscribers == expected:
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"{hub.subscribers} subscribers on the hub, expected {expected}")

        async with WsClient(server.graphql_url) as ws:
            await ws.init(api.token)
            await ws.subscribe("a", PACKAGE_EVENTS, id=package_id)
            await ws.subscribe("b", ORGANISATION_EVENTS)
            await subscribers(2)
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                assert (await client.get("/healthz")).json()["liveSubscriptions"] == 2  # operators see them too
            await ws.send({"id": "a", "type": "complete"})
            await subscribers(1)  # the stopped operation's frame pump ended and unsubscribed
        await subscribers(0)  # a closed connection takes its operations along


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream", 'multipart/mixed;subscriptionSpec="1.0"'])
async def test_a_subscription_over_plain_http_gets_a_clear_error(
    api: Api, api_server: InProcessServer, accept: str
) -> None:
    package_id, _ = await create_package(api)
    headers = {"Authorization": f"Bearer {api.token}", "Accept": accept}
    async with httpx.AsyncClient(base_url=api_server.base_url, timeout=10) as client:
        response = await client.post(
            "/graphql", json={"query": PACKAGE_EVENTS, "variables": {"id": package_id}}, headers=headers
        )
    body = response.json()
    assert response.status_code == 200 and body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "WEBSOCKET_REQUIRED"}
    assert "graphql-transport-ws" in error["message"]
