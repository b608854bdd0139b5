"""GraphQL over HTTP: the media type an Accept header picks, and what counts as a request error,
then both seen through a real HTTP client (status, content type, ``data`` present or not)."""

from __future__ import annotations

import httpx
import pytest
from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from api.graphql_http import APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, is_request_error, response_media_type
from tests.support.graphql import Api

GRJ, JSON = GRAPHQL_RESPONSE_JSON, APPLICATION_JSON


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRJ),
        ("Application/GraphQL-Response+JSON", GRJ),
        ("application/graphql-response+json, application/json;q=0.9", GRJ),
        ("application/json, application/graphql-response+json", GRJ),
        ("application/json;q=1, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;q=0, application/json", JSON),
        ("application/graphql-response+json;charset=utf-8", GRJ),
        ("application/graphql-response+json;q=oops, application/json;q=0.1", JSON),
        ("application/graphql-response+json;q=0", JSON),
        ("*/*, application/graphql-response+json;q=0.8", GRJ),
    ],
)
def test_the_accept_header_picks_the_media_type(accept: str | None, expected: str) -> None:
    assert response_media_type(accept) == expected


def test_parse_and_validation_failures_are_request_errors() -> None:
    assert is_request_error(PreExecutionError(data=None, errors=[GraphQLError("Syntax Error")]))


def test_a_variable_that_cannot_be_coerced_is_a_request_error() -> None:
    assert is_request_error(ExecutionResult(data=None, errors=[GraphQLError("Variable '$id' got invalid value")]))


def test_a_field_error_is_not_a_request_error_even_when_data_is_null() -> None:
    assert not is_request_error(ExecutionResult(data=None, errors=[GraphQLError("boom", path=["viewer"])]))
    assert not is_request_error(ExecutionResult(data={"viewer": None}, errors=[GraphQLError("no", path=["viewer"])]))
    assert not is_request_error(ExecutionResult(data={"viewer": {}}, errors=None))


async def _post(api: Api, body: dict[str, object], accept: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token}"} | ({"Accept": accept} if accept is not None else {})
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(api.url, json=body, headers=headers)


@pytest.mark.parametrize("query", ["{ viewer { scopes ", "{ noSuchField }", "query ($n: Int!) { viewer { scopes } }"])
async def test_a_request_error_is_a_400_without_data_in_graphql_response_json(api: Api, query: str) -> None:
    response = await _post(api, {"query": query, "variables": {"n": "not a number"}}, GRJ)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRJ)
    body = response.json()
    assert "data" not in body and body["errors"]


@pytest.mark.parametrize("accept", [None, "*/*", JSON])
async def test_a_request_error_stays_a_200_with_data_null_in_application_json(api: Api, accept: str | None) -> None:
    response = await _post(api, {"query": "{ noSuchField }"}, accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSON)
    assert response.json()["data"] is None and response.json()["errors"]


async def test_a_query_that_executes_is_a_200_in_graphql_response_json(api: Api) -> None:
    response = await _post(api, {"query": "{ viewer { scopes } }"}, f"{GRJ}, {JSON};q=0.9")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(GRJ)
    assert response.json()["data"]["viewer"]["scopes"]


async def test_a_field_error_executes_and_stays_a_200_with_data(api: Api) -> None:
    async with httpx.AsyncClient(timeout=30) as client:  # no token: the field refuses, the request ran
        response = await client.post(api.url, json={"query": "{ viewer { scopes } }"}, headers={"Accept": GRJ})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_malformed_body_stays_a_typed_400_in_the_accepted_media_type(api: Api) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            api.url,
            content=b"[]",
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": JSON, "Accept": GRJ},
        )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRJ)
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_NOT_OBJECT"


@pytest.mark.parametrize("accept", [GRJ, JSON])
async def test_a_mutation_over_get_is_a_405_that_names_post(api: Api, accept: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            api.url,
            params={"query": "mutation { createPackage(input: {}) { __typename } }"},
            headers={"Authorization": f"Bearer {api.token}", "Accept": accept},
        )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    listing = await api.execute("{ packages(first: 1) { edges { node { id } } } }")
    assert listing["packages"]["edges"] == []  # nothing was created


async def test_a_query_over_get_executes(api: Api) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            api.url,
            params={"query": "{ viewer { scopes } }"},
            headers={"Authorization": f"Bearer {api.token}", "Accept": GRJ},
        )
    assert response.status_code == 200 and response.json()["data"]["viewer"]["scopes"]


async def test_a_subscription_over_http_is_refused_before_it_runs_as_a_request_error(api: Api) -> None:
    query = 'subscription { packageEvents(packageId: "UGFja2FnZTp4") { cursor } }'
    strict, legacy = await _post(api, {"query": query}, GRJ), await _post(api, {"query": query}, JSON)
    assert strict.status_code == 400 and "data" not in strict.json()
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    for response in (strict, legacy):
        assert response.json()["errors"][0]["extensions"]["code"] == "WEBSOCKET_REQUIRED"
