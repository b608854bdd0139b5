"""Authentication, query limits, body limits, error masking and the HTTP probes."""

from __future__ import annotations

import httpx
import pytest

from api.masking import is_unexpected
from tests.conftest import issue_token
from tests.support import documents as docs
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from trainpack.database import unit_of_work
from workflow import tokens
from workflow.access import hash_token


async def test_missing_or_unknown_tokens_are_refused(api_server: InProcessServer) -> None:
    for token in (None, "tp_not-a-real-token"):
        async with Api(api_server.graphql_url, token) as anonymous:
            body = (await anonymous.raw(docs.VIEWER)).json()
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_token_stops_working_at_once(api_server: InProcessServer, database_url: str) -> None:
    secret = await issue_token(database_url)
    async with Api(api_server.graphql_url, secret) as client:
        assert (await client.execute(docs.VIEWER))["viewer"]["tokenName"] == "test"
        async with unit_of_work(database_url) as uow:
            found = await uow.tokens.active_by_hash(hash_token(secret))
            assert found is not None
            assert await tokens.revoke(uow, found[0].id)
        body = (await client.raw(docs.VIEWER)).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_depth_alias_and_token_limits(api: Api) -> None:
    deep = (
        "{ packages { edges { node { draft { package { draft { package { draft { package { draft { package {"
        " draft { package { name } } } } } } } } } } } } } }"
    )
    assert "exceeds maximum operation depth" in (await api.raw(deep)).json()["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{n}: viewer {{ tokenName }}" for n in range(40)) + " }"
    assert "aliases" in (await api.raw(aliases)).json()["errors"][0]["message"]
    tokens_heavy = "{ viewer { " + " ".join(["tokenName"] * 5000) + " } }"
    assert "token" in (await api.raw(tokens_heavy)).json()["errors"][0]["message"].lower()


async def test_request_bodies_over_the_limit_get_413(api: Api) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(api.url, content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_syntax_errors_are_reported_not_masked(api: Api) -> None:
    body = (await api.raw("{ viewer { ")).json()
    assert "Syntax Error" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("original", "masked"),
    [(RuntimeError("database exploded at /srv/secret"), True), (None, False)],
)
def test_only_unexpected_errors_are_masked(original: Exception | None, masked: bool) -> None:
    from graphql import GraphQLError

    assert is_unexpected(GraphQLError("boom", original_error=original)) is masked


async def test_graphiql_health_and_readiness(api_server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=api_server.base_url) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        health = (await client.get("/healthz")).json()
        assert health["status"] == "ok" and isinstance(health["liveSubscriptions"], int)
        ready = (await client.get("/readyz")).json()
        assert ready == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
