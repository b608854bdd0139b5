"""The websocket side of live events: both protocols, each operation with its own frame lane.

strawberry's protocol handlers do the protocol (connection_init, ids, complete, errors); the
subclasses here only bind a ``FrameLane`` to the task that runs each operation, so that its
live events are written as ready-made frames of that protocol (``next`` or ``data``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from api.context import Context
from api.live.lanes import bind_lane
from trainpack.frames import WRITE_FRAMES_NOW


class FrameWebSocket(ASGIWebSocketAdapter):
    """strawberry's ASGI websocket adapter, able to send an already encoded frame."""

    @property
    def write_frames_now(self) -> Callable[[list[bytes]], bool] | None:
        """The server's synchronous frame write (``trainpack.frames.WRITE_FRAMES_NOW``), if it offers one."""
        write: Callable[[list[bytes]], bool] | None = self.ws.scope.get("extensions", {}).get(WRITE_FRAMES_NOW)
        return write

    async def send_text(self, text: str) -> None:
        """Send one text frame; a gone client is reported as strawberry's own send would."""
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def _sender(websocket: Any) -> FrameWebSocket:
    if not isinstance(websocket, FrameWebSocket):
        raise TypeError("the app must use FrameWebSocket as its websocket adapter")
    return websocket


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with live results sent as ``next`` frames through a lane."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        websocket = _sender(self.websocket)
        bind_lane(
            f'{{"id":{json.dumps(operation.id)},"type":"next","payload":',
            websocket.send_text,
            websocket.write_frames_now,
        )
        await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol, with live results sent as ``data`` frames through a lane."""

    async def handle_async_results(
        self, operation_id: str, query: str, operation_name: str | None, variables: dict[str, object] | None
    ) -> None:
        websocket = _sender(self.websocket)
        bind_lane(
            f'{{"type":"data","id":{json.dumps(operation_id)},"payload":',
            websocket.send_text,
            websocket.write_frames_now,
        )
        await super().handle_async_results(operation_id, query, operation_name, variables)
