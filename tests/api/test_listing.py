"""The packages connection: ordering, keyset cursors, filters and page-size limits."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.support import documents as docs
from tests.support.content import MODEL
from tests.support.flows import complete_all, create_package, publish, save
from tests.support.graphql import Api


async def _walk(api: Api, first: int, filter: dict[str, Any] | None = None) -> list[str]:
    names: list[str] = []
    after = None
    while True:
        page = (await api.execute(docs.PACKAGES, first=first, after=after, filter=filter))["packages"]
        names.extend(edge["node"]["name"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


async def test_pages_follow_the_last_update_without_gaps_or_duplicates(api: Api) -> None:
    ids = [(await create_package(api, name=f"pkg-{number:02d}"))[0] for number in range(7)]
    # Touch an old package: it moves to the front.
    await save(api, ids[0], 1, {"model": MODEL})
    names = await _walk(api, first=3)
    assert names == ["pkg-00", "pkg-06", "pkg-05", "pkg-04", "pkg-03", "pkg-02", "pkg-01"]


async def test_filters_archived_draft_and_name(api: Api) -> None:
    archived_id, _ = await create_package(api, name="old-experiment")
    await api.execute(docs.ARCHIVE, input={"id": archived_id})
    published_id, revision = await create_package(api, name="production-model")
    revision = await complete_all(api, published_id, revision)
    await publish(api, published_id, revision)
    await create_package(api, name="draft-only")
    assert set(await _walk(api, 10)) == {"production-model", "draft-only"}  # archived hidden by default
    assert await _walk(api, 10, {"archived": True}) == ["old-experiment"]
    assert set(await _walk(api, 10, {"archived": None})) == {"old-experiment", "production-model", "draft-only"}
    assert await _walk(api, 10, {"hasDraft": False}) == ["production-model"]
    assert await _walk(api, 10, {"search": "MODEL"}) == ["production-model"]
    assert await _walk(api, 10, {"search": "%"}) == []  # wildcards are literal


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (docs.PACKAGES, {"after": _cursor("p", "0001-01-01T00:00:00+14:00", str(uuid.uuid4()))}),
        (docs.PACKAGES, {"after": _cursor("p", "2026-01-01T00:00:00", str(uuid.uuid4()))}),
        (docs.ORG_EVENTS, {"after": _cursor("e", 10**20, 1)}),
        (docs.ORG_EVENTS, {"after": _cursor("e", True, 1)}),
        (docs.ORG_EVENTS, {"after": _cursor("v", 1)}),
    ],
)
async def test_malformed_cursors_are_refused_clearly(api: Api, document: str, variables: dict[str, object]) -> None:
    body = (await api.raw(document, variables)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_odd_node_ids_are_simply_not_found(api: Api) -> None:
    for raw in ("Event:²", "Event:" + "9" * 30, "Version:" + "x" * 40, "Nope:1"):
        encoded = base64.b64encode(raw.encode()).decode()
        assert (await api.execute(docs.NODE, id=encoded))["node"] is None


async def test_page_size_and_cursor_errors_are_clear(api: Api) -> None:
    for size in (10_000, 0, -1):  # an empty page would say "more follow" with no cursor to follow
        refused = (await api.raw(docs.PACKAGES, {"first": size})).json()
        assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "BAD_PAGE_SIZE"
    bad_cursor = (await api.raw(docs.PACKAGES, {"after": "bm9wZQ=="})).json()
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_version_history_pages_newest_first(api: Api) -> None:
    package_id, revision = await create_package(api)
    revision = await complete_all(api, package_id, revision)
    for epochs in (3, 4, 5):
        if epochs != 3:
            saved = await save(api, package_id, revision, {"config": {**_config(), "epochs": epochs}})
            done = (
                await api.execute(
                    docs.COMPLETE, input={"id": package_id, "expectedRevision": saved["revision"], "step": "CONFIG"}
                )
            )["completeStep"]
            revision = done["revision"]
        published = await publish(api, package_id, revision)
        revision = published["version"]["revision"]
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Package {
        versions(first: 2, after: $after) { edges { node { number } } pageInfo { hasNextPage endCursor } } } } }"""
    first = (await api.execute(query, id=package_id))["node"]["versions"]
    assert [edge["node"]["number"] for edge in first["edges"]] == [3, 2]
    rest = (await api.execute(query, id=package_id, after=first["pageInfo"]["endCursor"]))["node"]["versions"]
    assert [edge["node"]["number"] for edge in rest["edges"]] == [1] and not rest["pageInfo"]["hasNextPage"]


def _config() -> dict[str, Any]:
    from tests.support.content import CONFIG

    return dict(CONFIG)
