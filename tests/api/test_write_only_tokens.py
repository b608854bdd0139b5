"""A token that may write but not read: its mutations answer what happened, never half of it.

A mutation whose answer reads other data (a package's draft, its jobs …) needs the read scope;
a write-only token asking for such an answer is refused before anything is written, so a retry
never creates a duplicate. The objects a mutation wrote are its answer, and need nothing more.
"""

from __future__ import annotations

import uuid

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from workflow.access import Scope

CREATE_READING = """mutation { createPackage(input: {}) { __typename
  ... on PackageCreated { package { id name draft { revision } } } } }"""
CREATE_PLAIN = """mutation { createPackage(input: {}) { __typename
  ... on PackageCreated { package { id name } draft { revision number } } ... on UserError { code } } }"""
COUNT = "{ packages(first: 50) { edges { node { id } } } }"


async def test_a_write_only_token_asking_for_read_data_is_refused_before_anything_is_written(
    api_server: InProcessServer, database_url: str
) -> None:
    organisation = f"org-{uuid.uuid4().hex[:10]}"
    writer = await issue_token(database_url, [Scope.WRITE], organisation)
    reader = await issue_token(database_url, [Scope.READ], organisation)
    async with Api(api_server.graphql_url, writer) as write_only, Api(api_server.graphql_url, reader) as read_only:
        response = await write_only.raw(CREATE_READING)
        body = response.json()
        assert body.get("data") is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
        assert "read" in body["errors"][0]["message"]
        assert (await read_only.execute(COUNT))["packages"]["edges"] == []  # nothing was created

        created = (await write_only.execute(CREATE_PLAIN))["createPackage"]
        assert created["__typename"] == "PackageCreated" and created["draft"]["revision"] == 1
        [edge] = (await read_only.execute(COUNT))["packages"]["edges"]
        assert edge["node"]["id"] == created["package"]["id"]


async def test_every_field_that_looks_data_up_is_refused_and_plain_fields_are_not(
    api_server: InProcessServer, database_url: str
) -> None:
    writer = await issue_token(database_url, [Scope.WRITE])
    async with Api(api_server.graphql_url, writer) as write_only:
        for selection in (
            "latestPublishedVersion { number }",
            "currentRevision",
            "jobs(first: 1) { edges { cursor } }",
        ):
            document = (
                f"mutation {{ createPackage(input: {{}}) {{ ... on PackageCreated {{ package {{ {selection} }} }} }} }}"
            )
            body = (await write_only.raw(document)).json()
            assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", selection
        plain = (
            "mutation { createPackage(input: {}) { ... on PackageCreated { draft { revision steps { status } } } } }"
        )
        body = (await write_only.raw(plain)).json()
        assert "errors" not in body and body["data"]["createPackage"]["draft"]["revision"] == 1
