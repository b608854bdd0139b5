"""Execute and serialise a live event once per distinct subscription, not once per subscriber.

Every subscriber of an organisation receives the same event; most of them send the same
document with the same variables (the same dashboard, the same wizard). graphql-core runs
a subscription's selection once per event per subscriber; the executor below remembers
the result of each (document, variables, event) and hands it to every subscriber asking
the same, and ``encode_next`` serialises each shared result to JSON once. The events'
GraphQL types are flat (no per-subscriber loaders), so a result never depends on who asks.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_RESULTS_KEPT = 2048
_SERIALISED_KEPT = 2048
_results: OrderedDict[tuple[int, str, str], tuple[Any, Any]] = OrderedDict()


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with per-event results shared between identical subscriptions."""

    executions = 0  # events actually executed (not served from the cache); read by tests and benchmarks
    _event_key: tuple[int, str, str] | None = None

    def build_per_event_executor(self, payload: Any) -> SharedEventExecutor:
        executor: SharedEventExecutor = super().build_per_event_executor(payload)  # type: ignore[assignment]
        cursor = getattr(payload, "cursor", None)
        if isinstance(cursor, str):
            executor._event_key = (id(self.operation), repr(self.variable_values), cursor)
        return executor

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
