"""The shared payload of a live frame: compact JSON, and errors masked exactly as in queries."""

from __future__ import annotations

import json

from graphql import ExecutionResult, GraphQLError, GraphQLInterfaceType, GraphQLObjectType, get_named_type

from api.live.lanes import encode_payload
from api.masking import MASKED_MESSAGE
from api.schema import build_schema
from trainpack.settings import Settings


def test_a_result_is_encoded_as_compact_json_data() -> None:
    result = ExecutionResult(data={"organisationEvents": {"__typename": "DraftSavedEvent", "revision": 3}})
    encoded = encode_payload(result)
    assert encoded == '{"data":{"organisationEvents":{"__typename":"DraftSavedEvent","revision":3}}}'


def test_an_error_from_a_bug_is_masked_and_a_deliberate_one_is_kept() -> None:
    bug = GraphQLError("division by zero in a resolver", path=["organisationEvents", "revision"])
    bug.original_error = ZeroDivisionError("division by zero")
    deliberate = GraphQLError("The token was revoked.", extensions={"code": "UNAUTHENTICATED"})
    payload = json.loads(encode_payload(ExecutionResult(data=None, errors=[bug, deliberate])))
    assert payload["data"] is None
    masked, kept = payload["errors"]
    assert masked["message"] == MASKED_MESSAGE and "division" not in json.dumps(masked)
    assert masked["path"] == ["organisationEvents", "revision"]  # where it failed is still said
    assert kept["message"] == "The token was revoked." and kept["extensions"] == {"code": "UNAUTHENTICATED"}


def test_every_field_a_live_event_can_select_resolves_without_waiting() -> None:
    """The hub executes an event for a direct write inline (``execute_event_now``); a field
    that had to be awaited would make every such event run twice, once dropped."""
    schema = build_schema(Settings())._schema
    assert schema.subscription_type is not None
    pending = [get_named_type(field.type) for field in schema.subscription_type.fields.values()]
    seen: set[str] = set()
    awaiting: list[str] = []
    while pending:
        graphql_type = pending.pop()
        if graphql_type.name in seen or not isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            continue
        seen.add(graphql_type.name)
        if isinstance(graphql_type, GraphQLInterfaceType):
            pending.extend(schema.get_implementations(graphql_type).objects)
            continue
        definition = graphql_type.extensions["strawberry-definition"]
        awaiting += [f"{graphql_type.name}.{field.name}" for field in definition.fields if field.is_async]
        pending.extend(get_named_type(field.type) for field in graphql_type.fields.values())
    assert {"DraftSavedEvent", "StepStatusChangedEvent", "JobEvent"} <= seen
    assert awaiting == []
