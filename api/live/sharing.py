"""The subscription executor that lets a live event be executed once per distinct subscription.

Every subscriber of an organisation receives the same event; most of them send the same
document with the same variables (the same dashboard, the same wizard). Over a websocket the
executor claims its operation's frame lane (``api.live.lanes``) just before the subscription's
resolver runs; the lane then asks it for one execution per event and shares the encoded
payload between every subscriber asking the same. The events' GraphQL types are flat (no
per-subscriber loaders), so a result never depends on who asks.
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import ExecutionResult, GraphQLField, GraphQLObjectType
from graphql.language import FieldNode
from graphql.pyutils import Path
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.live.lanes import unclaimed_lane


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, able to hand a subscription's per-event runs to its lane."""

    executions = 0  # events actually executed for lanes (not served from their cache); read by tests
    _per_event = False

    def build_per_event_executor(self, payload: Any) -> SharedEventExecutor:
        executor: SharedEventExecutor = super().build_per_event_executor(payload)  # type: ignore[assignment]
        executor._per_event = True
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
        """Run this subscription's selection on one event (the lane caches the encoded result)."""
        result = self._start_event(event)
        if self.is_awaitable(result):
            result = await result
        return _single(result)

    def execute_event_now(self, event: Any) -> ExecutionResult | None:
        """The same, when it completes without waiting (event types resolve from the event alone);
        ``None`` when a resolver would have to be awaited."""
        result = self._start_event(event)
        if self.is_awaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # dropped: the caller runs the event again through ``execute_event``
            return None
        return _single(result)

    def _start_event(self, event: Any) -> Any:
        """The per-event run: a result, or an awaitable of one."""
        SharedEventExecutor.executions += 1
        return self.build_per_event_executor(event).execute_operation(False)


def _single(result: object) -> ExecutionResult:
    if not isinstance(result, ExecutionResult):  # incremental delivery is not used by subscriptions
        raise TypeError(f"a subscription event gave {type(result).__name__}, not one result")
    return result
