"""Frame lanes: a websocket operation's live events, written as finished frames.

strawberry passes every result of a subscription through its per-result pipeline (extension
hooks, result conversion, message encoding); with a thousand subscribers that pipeline, not
the event, was the cost. A lane skips it: the payload of an event (``{"data": …}``) is
executed and encoded once per (document, variables, event) and shared by every lane asking
the same, and each lane only puts its own operation's envelope around it.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from contextvars import ContextVar
from typing import Any, Protocol

import structlog
from graphql import ExecutionResult, GraphQLError
from graphql.language import OperationDefinitionNode
from strawberry.http.exceptions import WebSocketDisconnected

from api.masking import MASKED_MESSAGE, is_unexpected

log = structlog.get_logger(__name__)

_PAYLOADS_KEPT = 2048
_payloads: OrderedDict[tuple[int, str, str], tuple[OperationDefinitionNode, str]] = OrderedDict()
_lane: ContextVar[FrameLane | None] = ContextVar("live_frame_lane", default=None)


class LiveEvent(Protocol):
    """What a lane needs of an event: its position in the log."""

    @property
    def cursor(self) -> str: ...


class EventExecutor(Protocol):
    """The subscription's executor, as a lane uses it: its selection, and one run per event."""

    operation: OperationDefinitionNode
    variable_values: Any

    async def execute_event(self, event: Any) -> ExecutionResult: ...


class FrameLane:
    """Where one websocket operation's live events go: straight to its socket.

    Bound by the websocket handler to the task that runs the operation (``bind_lane``); the
    subscription's executor registers itself (``executor``) when the resolver is about to be
    called, so a lane exists only for subscriptions over a websocket.
    """

    def __init__(self, envelope: str, send_text: Callable[[str], Awaitable[None]]) -> None:
        self._envelope = envelope  # the frame up to its payload, e.g. '{"id":"1","type":"next","payload":'
        self._send_text = send_text
        self.executor: EventExecutor | None = None
        self._selection: tuple[int, str] | None = None

    async def pump(self, events: AsyncGenerator[LiveEvent, None]) -> None:
        """Deliver every event of ``events`` until they end or fail, from a task of its own.

        The operation's own task sits under the protocol handler, strawberry's stream and
        graphql-core's mapping; waking it for each event would resume all of those frames.
        The pump's task holds only this loop and the event stream. Its failure (a slow
        subscriber, a revoked token) is raised here, in the operation, as if it were the
        resolver's own; the operation ending (complete, disconnect) cancels the pump.
        """
        task = asyncio.create_task(self._send_all(events), name="live-frame-pump")
        try:
            await task
        finally:
            task.cancel()
            if task.done() and not task.cancelled():
                task.exception()  # read, even when the operation was cancelled the same instant

    async def _send_all(self, events: AsyncGenerator[LiveEvent, None]) -> None:
        async with aclosing(events):  # its hub subscription ends with it, not when it is collected
            try:
                async for event in events:
                    await self.deliver(event)
            except WebSocketDisconnected:
                return  # the client is gone; the connection's handler ends the operation

    async def deliver(self, event: LiveEvent) -> None:
        """Send one event's result to this operation's client."""
        executor = self.executor
        if executor is None:
            raise RuntimeError("a lane delivers only once its subscription's executor is known")
        if self._selection is None:
            self._selection = (id(executor.operation), repr(executor.variable_values))
        key = (*self._selection, event.cursor)
        cached = _payloads.get(key)
        if cached is not None and cached[0] is executor.operation:  # not an id reused by another document
            _payloads.move_to_end(key)
        else:
            cached = (executor.operation, encode_payload(await executor.execute_event(event)))
            _payloads[key] = cached
            if len(_payloads) > _PAYLOADS_KEPT:
                _payloads.popitem(last=False)
        await self._send_text(f"{self._envelope}{cached[1]}}}")


def bind_lane(envelope: str, send_text: Callable[[str], Awaitable[None]]) -> None:
    """Bind a lane to the current task (the one about to run a websocket operation)."""
    _lane.set(FrameLane(envelope, send_text))


def unclaimed_lane() -> FrameLane | None:
    """The lane of this task while no subscription executor has claimed it yet."""
    lane = _lane.get()
    return lane if lane is not None and lane.executor is None else None


def current_lane() -> FrameLane | None:
    """The lane of the operation running in this task, once its subscription executor is known."""
    lane = _lane.get()
    return lane if lane is not None and lane.executor is not None else None


def encode_payload(result: ExecutionResult) -> str:
    """The JSON of a result's ``payload``; errors from a bug are logged and masked, as in queries."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [_visible(error).formatted for error in result.errors]
    return json.dumps(payload, separators=(",", ":"))


def _visible(error: GraphQLError) -> GraphQLError:
    if not is_unexpected(error):
        return error
    log.error("live event failed", error=str(error), exc_info=error.original_error)
    return GraphQLError(MASKED_MESSAGE, error.nodes, error.source, error.positions, error.path)
