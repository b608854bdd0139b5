"""Organisation secrets over GraphQL: set, replace, list, delete; validation, scopes, isolation,
concurrency; sealed at rest; step 4's Hub token secret check resolving as secrets change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.job_stack import new_package, save, view
from tests.support.secrets import DELETE, KEY, LIST, SET, private_database, stored_async
from tests.support.servers import InProcessServer
from workflow.access import Scope

VALUE = "hf_live_token_value_0123456789abcdef"
ADMIN = [Scope.ADMIN]


@pytest.fixture(scope="module")
def secrets_database(server_url: str) -> Iterator[str]:
    with private_database(server_url) as url:
        yield url


@pytest.fixture(scope="module")
def server(secrets_database: str) -> Iterator[InProcessServer]:
    with InProcessServer.start(secrets_database, secret_key=KEY) as started:
        yield started


@pytest.fixture
async def admin(server: InProcessServer, secrets_database: str) -> AsyncIterator[Api]:
    async with Api(server.graphql_url, await issue_token(secrets_database, ADMIN)) as client:
        yield client


async def _set(api: Api, name: str, value: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api.execute(SET, input={"name": name, "value": value}))["setSecret"]
    return result


async def _delete(api: Api, name: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api.execute(DELETE, input={"name": name}))["deleteSecret"]
    return result


async def test_set_list_replace_delete(admin: Api, server: InProcessServer, secrets_database: str) -> None:
    created = await _set(admin, "HF_TOKEN", VALUE)
    assert created["__typename"] == "SecretSet" and created["created"] is True
    secret = created["secret"]
    assert secret["name"] == "HF_TOKEN" and secret["lastFour"] == "cdef"
    assert secret["createdBy"] == secret["updatedBy"] == "token:test"
    assert VALUE not in str(created)

    other_admin = await issue_token(secrets_database, ADMIN, organisation=await _organisation(admin))
    async with Api(server.graphql_url, other_admin) as second:
        replaced = await _set(second, "HF_TOKEN", "short")
    assert replaced["created"] is False
    assert replaced["secret"]["lastFour"] is None  # four characters of a short value would be most of it
    assert replaced["secret"]["createdAt"] == secret["createdAt"]
    assert replaced["secret"]["updatedAt"] > secret["updatedAt"]

    listed = (await admin.execute(LIST))["secrets"]
    assert [row["name"] for row in listed] == ["HF_TOKEN"]
    assert await _delete(admin, "HF_TOKEN") == {"__typename": "SecretDeleted", "name": "HF_TOKEN"}
    again = await _delete(admin, "HF_TOKEN")
    assert again["__typename"] == "NotFound" and again["code"] == "NOT_FOUND" and again["id"] == "HF_TOKEN"
    assert (await admin.execute(LIST))["secrets"] == []


async def _organisation(api: Api) -> str:
    name: str = (await api.execute("{ viewer { organisation { name } } }"))["viewer"]["organisation"]["name"]
    return name


@pytest.mark.parametrize(
    ("name", "value", "path", "code"),
    [
        ("hf_token", VALUE, "name", "SECRET_NAME_INVALID"),
        ("1TOKEN", VALUE, "name", "SECRET_NAME_INVALID"),
        ("", VALUE, "name", "SECRET_NAME_INVALID"),
        ("A" * 65, VALUE, "name", "SECRET_NAME_INVALID"),
        ("MY-TOKEN", VALUE, "name", "SECRET_NAME_INVALID"),
        ("TOKEN", "", "value", "REQUIRED"),
        ("TOKEN", "abc\x00def", "value", "INVALID_CHARACTER"),
        ("TOKEN", "x" * 10_001, "value", "TOO_LONG"),
    ],
)
async def test_invalid_input_is_refused_and_changes_nothing(
    admin: Api, name: str, value: str, path: str, code: str
) -> None:
    refused = await _set(admin, name, value)
    assert refused["__typename"] == "ValidationFailed", refused
    assert [(issue["path"], issue["code"]) for issue in refused["issues"]] == [(path, code)]
    if len(value) >= 4:
        assert value not in str(refused)
    assert (await admin.execute(LIST))["secrets"] == []


async def test_writing_needs_admin_and_reading_needs_read(server: InProcessServer, secrets_database: str) -> None:
    organisation = f"scopes-{id(server)}"
    writer = await issue_token(secrets_database, [Scope.READ, Scope.WRITE, Scope.PUBLISH, Scope.DEPLOY], organisation)
    admin_only = await issue_token(secrets_database, ADMIN, organisation)
    write_only = await issue_token(secrets_database, [Scope.WRITE], organisation)
    async with Api(server.graphql_url, writer) as api:
        for refused in (await _set(api, "HF_TOKEN", VALUE), await _delete(api, "HF_TOKEN")):
            assert refused["__typename"] == "Forbidden" and refused["requiredScope"] == "admin", refused
        assert (await api.execute(LIST))["secrets"] == []
    async with Api(server.graphql_url, admin_only) as api:
        assert (await _set(api, "HF_TOKEN", VALUE))["__typename"] == "SecretSet"
    async with Api(server.graphql_url, writer) as api:
        assert [row["name"] for row in (await api.execute(LIST))["secrets"]] == ["HF_TOKEN"]
    async with Api(server.graphql_url, write_only) as api:
        body = (await api.raw(LIST)).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_organisations_see_and_touch_only_their_own(server: InProcessServer, secrets_database: str) -> None:
    async with (
        Api(server.graphql_url, await issue_token(secrets_database, ADMIN)) as first,
        Api(server.graphql_url, await issue_token(secrets_database, ADMIN)) as second,
    ):
        assert (await _set(first, "SHARED_NAME", VALUE))["created"] is True
        assert (await second.execute(LIST))["secrets"] == []
        assert (await _delete(second, "SHARED_NAME"))["__typename"] == "NotFound"
        assert (await _set(second, "SHARED_NAME", "another value entirely"))["created"] is True
        assert [row["lastFour"] for row in (await first.execute(LIST))["secrets"]] == ["cdef"]


async def test_concurrent_first_sets_of_one_name_create_it_once(admin: Api) -> None:
    results = await asyncio.gather(*(_set(admin, "RACED", f"{VALUE}-{n}") for n in range(6)))
    assert [result["__typename"] for result in results] == ["SecretSet"] * 6
    assert sum(result["created"] for result in results) == 1
    assert [row["name"] for row in (await admin.execute(LIST))["secrets"]] == ["RACED"]


async def test_the_stored_column_holds_no_plaintext(admin: Api, secrets_database: str) -> None:
    name = "RAW_CHECKED"
    await _set(admin, name, VALUE)
    [(_, sealed, last_four)] = [row for row in await stored_async(secrets_database) if row[0] == name]
    assert VALUE.encode() not in sealed and VALUE[:8].encode() not in sealed
    assert last_four == VALUE[-4:]
    assert Fernet(KEY.encode()).decrypt(sealed).decode() == VALUE
    await _delete(admin, name)


async def test_a_malformed_request_never_echoes_the_value(admin: Api) -> None:
    # graphql-core quotes a malformed variable in its message; the value is redacted from it.
    for variables in ({"input": {"value": VALUE}}, {"input": {"name": 5, "value": VALUE}}):
        response = await admin.raw(SET, variables)
        assert response.status_code == 200 and "errors" in response.json()
        assert VALUE not in response.text and "[redacted]" in response.text
    literal = 'mutation { setSecret(input: {value: "' + VALUE + '", nam: "X"}) { __typename } }'
    response = await admin.raw(literal)
    assert "errors" in response.json() and VALUE not in response.text


async def test_step_4_hub_token_secret_resolves_when_the_secret_is_set(admin: Api) -> None:
    package_id, revision = await new_package(admin)
    deploy = {
        "target": "HF_SPACE",
        "space": {"owner": "acme", "name": "trainer", "hardware": "t4-small"},
        "hubTokenSecret": "DEPLOY_TOKEN",
    }
    saved = await save(admin, package_id, revision, {"deploy": deploy})
    assert "HUB_TOKEN_SECRET_MISSING" in _codes(saved["errors"])
    package = await view(admin, package_id)
    deploy_state = next(step for step in package["draft"]["steps"] if step["step"] == "DEPLOY")
    assert "HUB_TOKEN_SECRET_PENDING" not in _codes(deploy_state["warnings"])

    await _set(admin, "DEPLOY_TOKEN", VALUE)
    assert "HUB_TOKEN_SECRET_MISSING" not in _codes(_deploy_errors(await view(admin, package_id)))
    resaved = await save(admin, package_id, saved["revision"], {"deploy": {**deploy, "budgetUsd": 5}})
    assert "HUB_TOKEN_SECRET_MISSING" not in _codes(resaved["errors"])

    await _delete(admin, "DEPLOY_TOKEN")
    assert "HUB_TOKEN_SECRET_MISSING" in _codes(_deploy_errors(await view(admin, package_id)))


def _codes(issues: list[dict[str, Any]]) -> list[str]:
    return [issue["code"] for issue in issues]


def _deploy_errors(package: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = package["draft"]["steps"]
    return next(step["errors"] for step in steps if step["step"] == "DEPLOY")


async def test_without_a_key_nothing_is_stored(database_url: str) -> None:
    with InProcessServer.start(database_url, secret_key=None) as keyless:
        async with Api(keyless.graphql_url, await issue_token(database_url, ADMIN)) as api:
            refused = await _set(api, "HF_TOKEN", VALUE)
            assert refused["__typename"] == "OperationRefused" and refused["code"] == "SECRETS_UNAVAILABLE"
            assert VALUE not in str(refused)
            assert (await api.execute(LIST))["secrets"] == []


async def test_the_cap_on_secrets_holds_under_concurrent_writes(
    server: InProcessServer, secrets_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow import secrets

    monkeypatch.setattr(secrets, "MAX_SECRETS_PER_ORGANISATION", 3)
    async with Api(server.graphql_url, await issue_token(secrets_database, ADMIN)) as api:
        results = await asyncio.gather(*(_set(api, f"CAPPED_{n}", VALUE) for n in range(8)))
        kinds = sorted(result["__typename"] for result in results)
        assert kinds == ["OperationRefused"] * 5 + ["SecretSet"] * 3, results
        assert {result["code"] for result in results if result["__typename"] == "OperationRefused"} == {
            "TOO_MANY_SECRETS"
        }
        assert len((await api.execute(LIST))["secrets"]) == 3
        kept = next(result["secret"]["name"] for result in results if result["__typename"] == "SecretSet")
        assert (await _set(api, kept, "replacing is no new secret"))["created"] is False
