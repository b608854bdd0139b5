"""A small GraphQL-over-websocket client (both protocols) on the `websockets` library."""

from __future__ import annotations

import asyncio
import json
import socket
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import websockets
from websockets.asyncio.client import ClientConnection

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class WsClient:
    """Speaks graphql-transport-ws (or the legacy graphql-ws) to ``url``."""

    def __init__(self, url: str, protocol: str = TRANSPORT_WS, *, receive_buffer: int | None = None) -> None:
        self.url = url.replace("http://", "ws://")
        self.protocol = protocol
        self.connection: ClientConnection | None = None
        self.receive_buffer = receive_buffer  # a small one makes a client that does not read stall soon

    async def __aenter__(self) -> WsClient:
        if self.receive_buffer is None:
            self.connection = await websockets.connect(self.url, subprotocols=[self.protocol])  # type: ignore[list-item]
            return self
        # Set before connecting, so the window the server may fill is small from the start;
        # and the library reads ahead at most one message before it stops reading the socket.
        target = urlsplit(self.url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (target.hostname, target.port))
        self.connection = await websockets.connect(
            self.url,
            subprotocols=[self.protocol],  # type: ignore[list-item]
            sock=sock,
            max_queue=1,
            compression=None,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.connection is not None
        await self.connection.close()

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message."""
        assert self.connection is not None
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next protocol message (keep-alives skipped)."""
        assert self.connection is not None
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
            if message.get("type") not in ("ka", "ping", "pong"):
                return message

    async def init(self, token: str | None) -> dict[str, Any]:
        """Send connection_init with the token and return the server's answer."""
        await self.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
        return await self.receive()

    async def subscribe(self, operation_id: str, query: str, **variables: Any) -> None:
        """Start an operation."""
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send({"id": operation_id, "type": kind, "payload": {"query": query, "variables": variables}})

    async def events(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The payload data of the next ``count`` results."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            message = await self.receive(timeout)
            assert message["type"] in ("next", "data"), message
            found.append(message["payload"]["data"])
        return found
