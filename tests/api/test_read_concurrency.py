"""One request's root fields and loaders read concurrently, each on a connection of its own.

A dashboard asks for several lists in one document; graphql-core resolves root fields (and
dataloader batches) concurrently, so they must never share one database session.
"""

from __future__ import annotations

import asyncio

from tests.support.flows import create_package
from tests.support.graphql import Api

MULTI_ROOT = "{ packages(first: 1) { edges { cursor } } jobs(first: 1) { edges { cursor } } }"
NESTED = """{ packages(first: 5) { edges { node { id currentRevision
  draft { revision basedOn { number } } latestPublishedVersion { number }
  jobs(first: 1) { edges { cursor } } events(first: 1) { edges { cursor } } } } } }"""


async def test_concurrent_multi_root_reads_never_fail(api: Api) -> None:
    await create_package(api)
    for _ in range(3):
        responses = await asyncio.gather(*(api.raw(MULTI_ROOT) for _ in range(60)))
        failed = [
            response.json() for response in responses if response.status_code != 200 or "errors" in response.json()
        ]
        assert failed == []


async def test_concurrent_loader_batches_in_one_request_never_fail(api: Api) -> None:
    for _ in range(3):
        await create_package(api)
    responses = await asyncio.gather(*(api.raw(NESTED) for _ in range(30)))
    failed = [response.json() for response in responses if response.status_code != 200 or "errors" in response.json()]
    assert failed == []
    assert len(responses[0].json()["data"]["packages"]["edges"]) == 3


# A field that fails in a non-null position makes graphql-core cancel its siblings, which may be
# waiting on a loader's shared future that other fields of the same request wait on too.
CANCELLING = """query ($id: ID!) {
  node(id: $id) { ... on Package { draft { id revision } latestPublishedVersion { id }
    versions(first: 5, after: "not-a-cursor") { pageInfo { endCursor } } } }
  again: node(id: $id) { ... on Package { draft { id revision } latestPublishedVersion { id } } }
  packages(first: 5) { edges { node { draft { id } latestPublishedVersion { id } } } } }"""


async def test_a_failing_field_cancels_its_siblings_without_failing_the_request(api: Api) -> None:
    package_id, _ = await create_package(api)
    for _ in range(10):
        responses = await asyncio.gather(*(api.raw(CANCELLING, {"id": package_id}) for _ in range(10)))
        assert {response.status_code for response in responses} == {200}
        for response in responses:
            body = response.json()
            codes = [error.get("extensions", {}).get("code") for error in body["errors"]]
            assert codes == ["BAD_CURSOR"], body
            assert body["data"]["node"] is None
            assert body["data"]["again"]["draft"]["revision"] == 1
            assert body["data"]["packages"]["edges"][0]["node"]["draft"] is not None
