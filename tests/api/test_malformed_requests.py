"""Malformed HTTP requests get a 4xx with a typed error, never a 500 (and nothing is stored)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.graphql import Api
from tests.support.servers import InProcessServer

SAVE = "mutation ($input: SaveDraftInput!) { saveDraft(input: $input) { __typename } }"


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


async def _post(api: Api, content: bytes, content_type: str = "application/json", **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            api.url,
            content=content,
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": content_type, **headers},
        )


def _assert_typed_4xx(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["errors"] and all(error["extensions"]["code"] for error in body["errors"])
    assert "Traceback" not in response.text


@pytest.mark.parametrize("body", [b"42", b"null", b'"s"', b"[]", b"true"])
async def test_a_json_body_that_is_not_an_object_is_a_400(api: Api, body: bytes) -> None:
    _assert_typed_4xx(await _post(api, body))


async def test_a_body_that_is_not_utf8_is_a_400(api: Api) -> None:
    _assert_typed_4xx(await _post(api, b'{"query": "{ viewer { scopes } }", "x": "\xff\xfe"}'))


@pytest.mark.parametrize("depth", [200, 1000, 5000])
async def test_json_nested_too_deeply_in_variables_is_a_400(api: Api, depth: int) -> None:
    document = json.dumps({"query": SAVE, "variables": {}})[:-2] + '"input": ' + _deep(depth) + "}}"
    _assert_typed_4xx(await _post(api, document.encode()))


async def test_step_data_nested_too_deeply_is_refused_and_stores_nothing(api: Api) -> None:
    created = await api.execute("mutation { createPackage(input: {}) { ... on PackageCreated { package { id } } } }")
    package_id = created["createPackage"]["package"]["id"]
    steps = '{"config": {"lora": ' + _deep(900) + "}}"
    body = (
        '{"query": '
        + json.dumps(SAVE)
        + ', "variables": {"input": {"id": '
        + json.dumps(package_id)
        + ', "expectedRevision": 1, "steps": '
        + steps
        + "}}}"
    )
    _assert_typed_4xx(await _post(api, body.encode()))


@pytest.mark.parametrize(
    ("operations", "files_map"),
    [
        (json.dumps({"query": "mutation ($f: Upload!) { uploadDataset(file: $f) { __typename } }"}), "[1, 2]"),
        ("42", json.dumps({"0": ["variables.f"]})),
        ("{not json", json.dumps({"0": ["variables.f"]})),
        (json.dumps({"query": "{ viewer { scopes } }"}), json.dumps({"0": "variables.f"})),
    ],
)
async def test_a_malformed_multipart_request_is_a_400(api: Api, operations: str, files_map: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            api.url,
            headers={"Authorization": f"Bearer {api.token}", "Apollo-Require-Preflight": "true"},
            data={"operations": operations, "map": files_map},
            files={"0": ("a.jsonl", b'{"text": "x"}\n', "application/octet-stream")},
        )
    _assert_typed_4xx(response)


async def test_an_oversized_body_sent_chunked_without_a_length_is_a_413(api_server: InProcessServer, api: Api) -> None:
    limit = api_server.services.settings.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ viewer { scopes } }", "pad": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            api.url,
            content=chunks(),
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        )
    _assert_typed_4xx(response, 413)
