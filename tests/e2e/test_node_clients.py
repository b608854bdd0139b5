"""The reference websocket clients from npm (graphql-ws, subscriptions-transport-ws) against `trainpack serve`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support.content import CONFIG
from tests.support.flows import create_package, save
from tests.support.graphql import Api
from tests.support.node import needs_node, node_binary, node_project
from tests.support.servers import subprocess_server

pytestmark = needs_node


@pytest.fixture(scope="module")
def node_clients() -> Path:
    return node_project("graphql-ws", "subscriptions-transport-ws", "ws") / "subscribe.mjs"


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[str]:
    with subprocess_server(database_url) as base_url:
        yield base_url


async def _node(
    script: Path, url: str, token: str, protocol: str, package_id: str, count: int
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        node_binary(),
        str(script),
        url.replace("http://", "ws://") + "/graphql",
        token,
        protocol,
        package_id,
        str(count),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line: dict[str, Any] = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    return line


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_reference_clients_receive_saves_live(
    node_clients: Path, served: str, database_url: str, protocol: str
) -> None:
    token = await issue_token(database_url)
    async with Api(f"{served}/graphql", token) as api:
        package_id, revision = await create_package(api)
        client = await _node(node_clients, served, token, protocol, package_id, 3)
        assert await _line(client) == {"connected": True}
        await asyncio.sleep(0.3)
        revisions = []
        for number in range(3):
            saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": number}}, trigger="AUTOSAVE")
            revision = saved["revision"]
            revisions.append(revision)
        events = [await _line(client) for _ in range(3)]
        assert await asyncio.wait_for(client.wait(), 20) == 0
    saves = [event for event in events if event["__typename"] == "DraftSavedEvent"]
    assert [event["revision"] for event in saves] == revisions[: len(saves)] and saves
    assert all(event["trigger"] == "AUTOSAVE" for event in saves)


async def test_reference_client_is_refused_with_a_bad_token(node_clients: Path, served: str) -> None:
    client = await _node(node_clients, served, "tp_wrong", "graphql-transport-ws", "UGFja2FnZTp4", 1)
    assert "4403" in (await _line(client))["error"]
    assert await asyncio.wait_for(client.wait(), 20) == 3
