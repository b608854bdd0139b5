"""The server's log says what happened, at the right level: a client's mistake at info without a
traceback, a client hanging up not at all as an error, in one JSON format from every logger."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.conftest import issue_token
from tests.support.servers import subprocess_server
from tests.support.ws import WsClient

SUBSCRIBE = "subscription { organisationEvents { __typename cursor } }"


def _hang_up_mid_body(base_url: str) -> None:
    """Send half of a declared body, then close the connection."""
    target = urlsplit(base_url)
    with socket.create_connection((target.hostname or "127.0.0.1", target.port or 80)) as connection:
        connection.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"query": "{ viewer'
        )


async def test_client_mistakes_are_info_and_hang_ups_are_not_errors(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    token = await issue_token(database_url)
    with subprocess_server(database_url, log_to=log, TRAINPACK_LOG_LEVEL="INFO") as base_url:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=10) as client:
            bad = {"query": '{ packages(after: "bm9wZQ==") { edges { cursor } } }'}
            answer = (await client.post(f"{base_url}/graphql", json=bad, headers=headers)).json()
            assert answer["errors"][0]["extensions"]["code"] == "BAD_CURSOR"
            missing = {"query": "{ viewer { scopes } }"}
            assert (await client.post(f"{base_url}/graphql", json=missing)).json()["errors"]
        _hang_up_mid_body(base_url)
        async with WsClient(f"{base_url}/graphql") as live:
            await live.init(token)
            await live.subscribe("1", SUBSCRIBE)
            assert live.connection is not None
            live.connection.transport.abort()  # gone without a close frame
        await asyncio.sleep(1.0)  # the server notices and tidies up
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    assert all(isinstance(line, dict) and "level" in line and "event" in line for line in lines)  # one format
    loud = [line for line in lines if line["level"] in ("error", "critical")]
    assert loud == [], json.dumps(loud, indent=1)[:6000]
    refused = [line for line in lines if line.get("code") == "BAD_CURSOR"]
    assert refused and all(line["level"] == "info" and "exception" not in line for line in refused)
