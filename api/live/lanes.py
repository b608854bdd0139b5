"""Frame lanes: a websocket operation's live events, written as finished frames.

strawberry passes every result of a subscription through its per-result pipeline (extension
hooks, result conversion, message encoding); with a thousand subscribers that pipeline, not
the event, was the cost. A lane skips it: the payload of an event (``{"data": …}``) is
executed and encoded once per (document, variables, event) and shared by every lane asking
the same, and each lane only puts its own operation's envelope around it.

Where the server offers a synchronous frame write (``trainpack.websocket_protocol``), a lane
whose pump is waiting takes live events straight from the hub's dispatch (``deliver_now``):
one loop over the subscribers, as a broadcast would, instead of a task woken per subscriber,
and the events read together go out in one write per socket. Anything that would have to
wait (a full socket, an execution that awaits) goes the pump's way.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from contextvars import ContextVar
from typing import Any, Protocol

import structlog
from graphql import ExecutionResult, GraphQLError
from graphql.language import OperationDefinitionNode
from strawberry.http.exceptions import WebSocketDisconnected

from api.masking import MASKED_MESSAGE, is_unexpected

log = structlog.get_logger(__name__)

_EVENTS_KEPT = 512
# Encoded payloads by event cursor, then by selection. Oldest events are dropped first: a pump
# that lags further behind executes its event again. An entry holds its document, so the id in
# its selection key cannot be reused by another document while it is kept.
_payloads: dict[str, dict[str, tuple[OperationDefinitionNode, str, bytes]]] = {}
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

    def execute_event_now(self, event: Any) -> ExecutionResult | None: ...


class FrameLane:
    """Where one websocket operation's live events go: straight to its socket.

    Bound by the websocket handler to the task that runs the operation (``bind_lane``); the
    subscription's executor registers itself (``executor``) when the resolver is about to be
    called, so a lane exists only for subscriptions over a websocket.
    """

    __slots__ = ("_envelope", "_envelope_bytes", "_pump", "_selection", "_send_text", "_write_frames_now", "executor")

    def __init__(
        self,
        envelope: str,
        send_text: Callable[[str], Awaitable[None]],
        write_frames_now: Callable[[list[bytes]], bool] | None = None,
    ) -> None:
        self._envelope = envelope  # the frame up to its payload, e.g. '{"id":"1","type":"next","payload":'
        self._envelope_bytes = envelope.encode()
        self._send_text = send_text
        self._write_frames_now = write_frames_now  # the server's synchronous write, where it offers one
        self.executor: EventExecutor | None = None
        self._selection: str | None = None  # the payload cache's key for this document and variables
        self._pump: asyncio.Task[None] | None = None

    async def pump(self, events: AsyncGenerator[LiveEvent, None]) -> None:
        """Deliver every event of ``events`` until they end or fail, from a task of its own.

        The operation's own task sits under the protocol handler, strawberry's stream and
        graphql-core's mapping; waking it for each event would resume all of those frames.
        The pump's task holds only this loop and the event stream. Its failure (a slow
        subscriber, a revoked token) is raised here, in the operation, as if it were the
        resolver's own; the operation ending (complete, disconnect) cancels the pump.
        """
        task = self._pump = asyncio.create_task(self._send_all(events), name="live-frame-pump")
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
        cached = _payloads.get(event.cursor, {}).get(self._selection_key())
        if cached is None:
            cached = self._keep(event, await self._executor().execute_event(event))
        await self._send_text(f"{self._envelope}{cached[1]}}}")

    def deliver_now(self, events: Sequence[LiveEvent]) -> bool:
        """Write the frames of ``events`` (in order, in one write) at once, if the socket takes
        them now; ``False`` (nothing sent) if not.

        Called from the event hub's dispatch, for every waiting subscriber of every run of
        events: kept to a few lookups per event when the payloads are already encoded.
        """
        write, pump = self._write_frames_now, self._pump
        if write is None or pump is None or pump.done() or pump.cancelling():
            # An operation being stopped sends nothing more, even before its pump has unwound:
            # the client may already be reusing its id for a new operation.
            return False
        selection = self._selection or self._selection_key()
        frames = []
        for event in events:
            cached = _payloads.get(event.cursor, {}).get(selection)
            if cached is None:
                result = self._executor().execute_event_now(event)
                if result is None:  # its execution would have to wait: the pump's ordinary delivery does it
                    return False
                cached = self._keep(event, result)
            frames.append(self._envelope_bytes + cached[2] + b"}")
        return write(frames)

    def _executor(self) -> EventExecutor:
        if self.executor is None:
            raise RuntimeError("a lane delivers only once its subscription's executor is known")
        return self.executor

    def _selection_key(self) -> str:
        if self._selection is None:
            executor = self._executor()
            self._selection = f"{id(executor.operation)}:{executor.variable_values!r}"
        return self._selection

    def _keep(self, event: LiveEvent, result: ExecutionResult) -> tuple[OperationDefinitionNode, str, bytes]:
        payload = encode_payload(result)
        cached = (self._executor().operation, payload, payload.encode())
        by_selection = _payloads.get(event.cursor)
        if by_selection is None:
            by_selection = _payloads[event.cursor] = {}
            if len(_payloads) > _EVENTS_KEPT:
                del _payloads[next(iter(_payloads))]
        by_selection[self._selection_key()] = cached
        return cached


def bind_lane(
    envelope: str,
    send_text: Callable[[str], Awaitable[None]],
    write_frames_now: Callable[[list[bytes]], bool] | None,
) -> None:
    """Bind a lane to the current task (the one about to run a websocket operation)."""
    _lane.set(FrameLane(envelope, send_text, write_frames_now))


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
