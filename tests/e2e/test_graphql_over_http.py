"""The GraphQL-over-HTTP audit of the ``graphql-http`` npm package against ``trainpack serve``.

The spec's MUST and SHOULD audits all pass: ``application/graphql-response+json`` with 4xx for
requests that never execute, ``application/json`` with 200 for clients that ask for it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support.node import needs_node, node_binary, node_project
from tests.support.servers import subprocess_server

pytestmark = needs_node


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[str]:
    with subprocess_server(database_url) as base_url:
        yield base_url


def _audit(url: str, token: str) -> list[dict[str, Any]]:
    script = node_project("graphql-http") / "http_audit.mjs"
    done = subprocess.run(
        [node_binary(), str(script), url, token], check=True, capture_output=True, text=True, timeout=120
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)["results"]
    return results


def _failures(results: list[dict[str, Any]], level: str) -> list[str]:
    return [
        f"{result['name']}: {result.get('reason')} (status {result.get('responseStatus')}, "
        f"{result.get('contentType')}) {result.get('body', '')}"
        for result in results
        if result["status"] != "ok" and result["name"].startswith(level)
    ]


async def test_the_audit_finds_no_must_or_should_failure(served: str, database_url: str) -> None:
    token = await issue_token(database_url)
    results = _audit(f"{served}/graphql", token)
    assert len(results) > 40  # the audit ran its whole list
    must, should = _failures(results, "MUST"), _failures(results, "SHOULD")
    for failure in must + should:
        print(failure)
    assert must == [] and should == []


async def test_without_a_token_the_audit_is_refused_not_crashed(served: str) -> None:
    results = _audit(f"{served}/graphql", "tp_wrong")
    assert results and all((result.get("responseStatus") or 0) < 500 for result in results)
