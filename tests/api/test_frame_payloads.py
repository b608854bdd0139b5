"""The shared payload of a live frame: compact JSON, and errors masked exactly as in queries."""

from __future__ import annotations

import json

from graphql import ExecutionResult, GraphQLError

from api.live.lanes import encode_payload
from api.masking import MASKED_MESSAGE


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
