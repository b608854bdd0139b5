"""Uploads in step data: only real upload ids are accepted, and names come from file names."""

from __future__ import annotations

import pytest

from tests.support.flows import create_package, save, upload_dataset
from tests.support.graphql import Api

NAME = "{ node(id: $id) { ... on Package { name } } }"


@pytest.mark.parametrize("bad", ["up_123", "not a uuid", "0b7c3f0e-3c4e-4b8e-9a53"])
async def test_an_upload_id_that_is_not_one_is_refused_at_save_with_its_path(api: Api, bad: str) -> None:
    package_id, revision = await create_package(api)
    result = await save(api, package_id, revision, {"dataset": {"sources": [{"source": "UPLOAD", "uploadId": bad}]}})
    assert result["__typename"] == "ValidationFailed", result
    assert [(issue["path"], issue["code"]) for issue in result["issues"]] == [
        ("dataset.sources[0].uploadId", "UPLOAD_ID_INVALID")
    ]


async def test_a_package_built_on_an_upload_is_named_after_the_file(api: Api) -> None:
    assert api.token is not None
    upload_id = await upload_dataset(api.url, api.token, "Support Tickets.jsonl", b'{"text": "hello"}\n')
    package_id, revision = await create_package(api)
    source = {"source": "UPLOAD", "uploadId": upload_id, "format": "COMPLETION"}
    result = await save(api, package_id, revision, {"dataset": {"sources": [source]}})
    assert result["__typename"] == "DraftUpdated", result
    name = (await api.execute(f"query ($id: ID!) {NAME}", id=package_id))["node"]["name"]
    assert name.startswith("support-tickets-") and upload_id not in name
    created, _ = await create_package(api, steps={"dataset": {"sources": [source]}})
    name = (await api.execute(f"query ($id: ID!) {NAME}", id=created))["node"]["name"]
    assert name.startswith("support-tickets-")


INLINE = 'mutation { uploadDataset(file: "rows.jsonl") { __typename ... on UserError { code message } } }'
AS_VARIABLE = "mutation ($file: Upload!) { uploadDataset(file: $file) { __typename ... on UserError { code } } }"


async def test_an_upload_that_is_not_a_file_part_is_refused_not_an_internal_error(api: Api) -> None:
    inline = (await api.raw(INLINE)).json()
    assert "errors" not in inline, inline
    assert inline["data"]["uploadDataset"]["code"] == "UPLOAD_NOT_A_FILE"
    as_variable = (await api.raw(AS_VARIABLE, {"file": {"name": "rows.jsonl"}})).json()
    assert "errors" not in as_variable, as_variable
    assert as_variable["data"]["uploadDataset"] == {"__typename": "OperationRefused", "code": "UPLOAD_NOT_A_FILE"}
