"""The websocket side of live events: both protocols, each operation with its own frame lane.

strawberry's protocol handlers do the protocol (connection_init, ids, complete, errors); the
subclasses here only bind a ``FrameLane`` to the task that runs each operation, so that its
live events are written as ready-made frames of that protocol (``next`` or ``data``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from typing import Any, cast

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonTextMessageReceived, WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage

from api.context import Context
from api.http_limits import RequestRefused
from api.live.frames_in import legacy_message_problem, transport_message_problem
from api.live.lanes import bind_lane
from trainpack.frames import WRITE_FRAMES_NOW


class FrameWebSocket(ASGIWebSocketAdapter):
    """strawberry's ASGI websocket adapter, able to send an already encoded frame.

    Messages are decoded as request bodies are (``GraphQLApp.decode_json``: valid UTF-8 JSON,
    an object, not nested too deeply); any other frame closes the socket with 4400, on both
    protocols, instead of failing inside a handler.
    """

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        while self.ws.application_state != WebSocketState.DISCONNECTED:
            try:
                text = await self.ws.receive_text()
            except KeyError:  # a binary frame
                raise NonTextMessageReceived from None
            except WebSocketDisconnect:
                return
            try:
                message = self.view.decode_json(text)
            except RequestRefused as refused:
                await self.close(4400, refused.reason)
                return
            yield message

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
    """graphql-transport-ws, with live results sent as ``next`` frames through a lane.

    A message of the wrong shape closes the socket with 4400; a document that does not parse
    gets an ``error`` message (the protocol's answer to an operation that cannot run), and the
    connection goes on serving.
    """

    async def handle_message(self, message: Any) -> None:
        problem = transport_message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        if isinstance(error, GraphQLSyntaxError):
            return None  # answered with an error message, like any invalid document
        return BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        websocket = _sender(self.websocket)
        bind_lane(
            f'{{"id":{json.dumps(operation.id)},"type":"next","payload":',
            websocket.send_text,
            websocket.write_frames_now,
        )
        await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol, with live results sent as ``data`` frames through a lane.

    A message of the wrong shape closes the socket with 4400, as on graphql-transport-ws.
    """

    async def handle_message(self, message: Any) -> None:
        problem = legacy_message_problem(message)
        if problem is not None:
            await self.websocket.close(code=4400, reason=problem)
            return
        if message["type"] == "start" and _operation_type(message["payload"]) not in (None, "subscription"):
            # strawberry serves only subscriptions on this protocol; say so rather than fail inside.
            error = {
                "message": "The legacy graphql-ws protocol serves subscriptions only: send queries and mutations"
                " over HTTP or graphql-transport-ws.",
                "extensions": {"code": "OPERATION_NOT_SUPPORTED"},
            }
            await self.send_message(cast(ErrorMessage, {"type": "error", "id": message["id"], "payload": error}))
            return
        await super().handle_message(message)

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


def _operation_type(payload: dict[str, Any]) -> str | None:
    """The type of the operation a payload names (``None`` when the document does not parse: the
    handler reports that itself)."""
    try:
        document = parse(payload["query"])
    except GraphQLError:
        return None
    wanted = payload.get("operationName")
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            wanted is None or (definition.name is not None and definition.name.value == wanted)
        ):
            return definition.operation.value
    return None
