"""What a websocket client may send: malformed frames close with 4400, bad documents get their
errors, and messages obey the same size limit as HTTP bodies."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, WsClient


async def _closed_with(client: WsClient) -> int | None:
    assert client.connection is not None
    with pytest.raises(ConnectionClosed):
        for _ in range(5):
            await client.receive(timeout=5)
    return client.connection.close_code


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize(
    "frame",
    [
        "[]",
        "42",
        '"text"',
        "null",
        '{"type": "subscribe", "id": "1", "payload": 7}',
        '{"type": "connection_init", "payload": [1]}',
        '{"type": 5}',
        "[" * 5000 + "]" * 5000,
    ],
)
async def test_a_malformed_frame_closes_the_socket_with_4400(api: Api, protocol: str, frame: str) -> None:
    async with WsClient(api.url, protocol) as client:
        if '"subscribe"' in frame or '"start"' in frame:
            await client.init(api.token)
        assert client.connection is not None
        await client.connection.send(frame.replace('"subscribe"', '"start"') if protocol == LEGACY_WS else frame)
        assert await _closed_with(client) == 4400


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscribe_with_a_syntax_error_gets_the_error(api: Api, protocol: str) -> None:
    async with WsClient(api.url, protocol) as client:
        await client.init(api.token)
        await client.subscribe("1", "subscription { organisationEvents { cursor ")
        message = await client.receive()
        assert message["type"] == "error", message
        errors = message["payload"] if protocol == TRANSPORT_WS else [message["payload"]]
        assert "Syntax Error" in json.dumps(errors)
        await client.subscribe("2", "query { viewer { scopes } }")  # the connection still serves
        answer = await client.receive()
        if protocol == TRANSPORT_WS:
            assert answer["type"] == "next" and answer["payload"]["data"]["viewer"]["scopes"], answer
        else:  # this protocol serves subscriptions only, and says so
            assert answer["type"] == "error" and answer["payload"]["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_an_operation_over_the_socket_obeys_the_body_limit(
    api_server: InProcessServer, api: Api, protocol: str
) -> None:
    limit = api_server.services.settings.max_body_bytes
    async with WsClient(api.url, protocol) as client:
        await client.init(api.token)
        document = 'mutation { createPackage(input: {description: "' + "x" * (limit + 10) + '"}) { __typename } }'
        await client.subscribe("1", document)
        assert await _closed_with(client) == 1009  # message too big
    result = await api.execute("{ packages(first: 5) { edges { node { id } } } }")
    assert result["packages"]["edges"] == []
