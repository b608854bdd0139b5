"""Execute a live event once per distinct subscription, not once per subscriber.

Every subscriber of an organisation receives the same event; most of them send the same
document with the same variables (the same dashboard, the same wizard). graphql-core runs
a subscription's selection once per event per subscriber; the executor below remembers
the result of each (document, variables, event) and hands it to every subscriber asking
the same. The events' GraphQL types are flat (no per-subscriber loaders), so a result
never depends on who asks. Over a websocket the executor also claims its operation's frame
lane (``api.live.lanes``), which then shares the encoded payload as well.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from graphql import ExecutionResult, GraphQLField, GraphQLObjectType
from graphql.language import FieldNode
from graphql.pyutils import Path
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.live.lanes import unclaimed_lane

_RESULTS_KEPT = 2048
_results: OrderedDict[tuple[int, str, str], tuple[Any, Any]] = OrderedDict()


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
            lane = unclaimed_lane()
            if lane is not None:
                lane.executor = self
        return super().build_resolve_info(field_def, field_nodes, parent_type, path)

    async def execute_event(self, event: Any) -> ExecutionResult:
        """Run this subscription's selection on one event (a lane caches the encoded result)."""
        executor: SharedEventExecutor = super().build_per_event_executor(event)  # type: ignore[assignment]
        executor._per_event = True
        result = executor.execute_operation(False)
        SharedEventExecutor.executions += 1
        if executor.is_awaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

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
