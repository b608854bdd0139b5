"""Execute and serialise a live event once per distinct subscription, not once per subscriber.

Every subscriber of an organisation receives the same event; most of them send the same
document with the same variables (the same dashboard, the same wizard). graphql-core runs
a subscription's selection once per event per subscriber; the executor below remembers
the result of each (document, variables, event) and hands it to every subscriber asking
the same. The events' GraphQL types are flat (no per-subscriber loaders), so a result
never depends on who asks.

Over a websocket, a subscription goes further: its ``FrameLane`` writes each event as a
ready-made frame, the shared JSON payload behind the operation's own id, without passing
each result through strawberry's per-result pipeline (extension hooks, result conversion,
message encoding). With a thousand subscribers that pipeline, not the event, was the cost.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from contextvars import ContextVar
from typing import Any

import structlog
from graphql import ExecutionResult, GraphQLError, GraphQLField, GraphQLObjectType
from graphql.language import FieldNode
from graphql.pyutils import Path
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.masking import MASKED_MESSAGE, is_unexpected

log = structlog.get_logger(__name__)

_RESULTS_KEPT = 2048
_SERIALISED_KEPT = 2048
_PAYLOADS_KEPT = 2048
_results: OrderedDict[tuple[int, str, str], tuple[Any, Any]] = OrderedDict()
_lane: ContextVar[FrameLane | None] = ContextVar("live_frame_lane", default=None)


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with per-event results shared between identical subscriptions."""

    executions = 0  # events actually executed (not served from a cache); read by tests and benchmarks
    _event_key: tuple[int, str, str] | None = None
    _per_event = False

    def build_per_event_executor(self, payload: Any) -> SharedEventExecutor:
        executor: SharedEventExecutor = super().build_per_event_executor(payload)  # type: ignore[assignment]
        executor._per_event = True
        cursor = getattr(payload, "cursor", None)
        if isinstance(cursor, str):
            executor._event_key = (id(self.operation), repr(self.variable_values), cursor)
        return executor

    def build_resolve_info(
        self, field_def: GraphQLField, field_nodes: list[FieldNode], parent_type: GraphQLObjectType, path: Path
    ) -> GraphQLResolveInfo[Any]:
        if path.prev is None and not self._per_event and parent_type is self.schema.subscription_type:
            # About to call a subscription's resolver: a websocket lane bound to this operation
            # learns the executor that will run the operation's selection for each event.
            lane = _lane.get()
            if lane is not None and lane.executor is None:
                lane.executor = self
        return super().build_resolve_info(field_def, field_nodes, parent_type, path)

    def execute_operation(self, serially: bool | None = None) -> Any:
        key = self._event_key
        if key is None:
            return super().execute_operation(serially)
        cached = _results.get(key)
        if cached is not None and cached[0] is self.operation:  # the id belongs to this very document
            _results.move_to_end(key)
            return cached[1]
        result = super().execute_operation(serially)
        SharedEventExecutor.executions += 1
        if not self.is_awaitable(result):
            _results[key] = (self.operation, result)
            if len(_results) > _RESULTS_KEPT:
                _results.popitem(last=False)
        return result


_payloads: OrderedDict[tuple[int, str, str], tuple[Any, str]] = OrderedDict()


class FrameLane:
    """Where a websocket operation's live events go: straight to its socket as finished frames.

    Bound by the websocket handler to the task that runs one operation; the subscription's
    executor registers itself when the resolver is about to be called. The payload of an
    event (``{"data": …}``) is computed and encoded once per (document, variables, event) and
    shared by every lane asking the same; each lane only puts its own envelope around it.
    """

    def __init__(self, envelope: str, send_text: Callable[[str], Awaitable[None]]) -> None:
        self._envelope = envelope  # the frame up to its payload, e.g. '{"id":"1","type":"next","payload":'
        self._send_text = send_text
        self.executor: SharedEventExecutor | None = None
        self._selection: tuple[int, str] | None = None

    async def pump(self, events: AsyncGenerator[Any, None]) -> None:
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

    async def _send_all(self, events: AsyncGenerator[Any, None]) -> None:
        async with aclosing(events):  # its subscription ends with it, not when it is collected
            async for event in events:
                await self.deliver(event)

    async def deliver(self, event: Any) -> None:
        """Send one event's result to this operation's client."""
        executor = self.executor
        assert executor is not None, "a lane delivers only once its subscription's executor is known"
        if self._selection is None:
            self._selection = (id(executor.operation), repr(executor.variable_values))
        key = (*self._selection, event.cursor)
        cached = _payloads.get(key)
        if cached is None or cached[0] is not executor.operation:  # an id reused by another document
            cached = (executor.operation, encode_payload(await _executed(executor, event)))
            _payloads[key] = cached
            if len(_payloads) > _PAYLOADS_KEPT:
                _payloads.popitem(last=False)
        await self._send_text(f"{self._envelope}{cached[1]}}}")


def bind_lane(envelope: str, send_text: Callable[[str], Awaitable[None]]) -> FrameLane:
    """Bind a lane to the current task (the one about to run a websocket operation)."""
    lane = FrameLane(envelope, send_text)
    _lane.set(lane)
    return lane


def current_lane() -> FrameLane | None:
    """The lane of the operation running in this task, once its subscription executor is known."""
    lane = _lane.get()
    return lane if lane is not None and lane.executor is not None else None


async def _executed(executor: SharedEventExecutor, event: Any) -> ExecutionResult:
    result = executor.build_per_event_executor(event).execute_operation(False)  # counts the execution
    if executor.is_awaitable(result):
        result = await result
    return result  # type: ignore[no-any-return]


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


_serialised: OrderedDict[int, tuple[Any, str]] = OrderedDict()


def encode_message(message: Any) -> str:
    """JSON for a websocket message; the shared ``data`` of a result is serialised only once."""
    if isinstance(message, dict) and message.get("type") in ("next", "data"):
        payload = message.get("payload")
        if isinstance(payload, dict) and set(payload) == {"data"} and isinstance(payload["data"], dict):
            data = payload["data"]
            cached = _serialised.get(id(data))
            if cached is None or cached[0] is not data:
                cached = (data, json.dumps(data, separators=(",", ":")))
                _serialised[id(data)] = cached
                if len(_serialised) > _SERIALISED_KEPT:
                    _serialised.popitem(last=False)
            return (
                f'{{"id":{json.dumps(message.get("id"))},"type":"{message["type"]}","payload":{{"data":{cached[1]}}}}}'
            )
    return json.dumps(message, separators=(",", ":"))
