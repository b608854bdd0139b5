"""A request costs a fixed number of database round trips, whatever it returns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.app import HUB_LOGGING_TOKEN
from tests.conftest import issue_token
from tests.support.content import CONFIG
from tests.support.flows import complete, complete_all, create_package, publish, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer

# The typed content reads the facts stored on the version's package: through the package loader.
CONTENT = """
fragment Content on Version { content {
  model { repoId resolved { commit parameterCount } } config { epochs lora { r } }
  dataset { sources { repoId profile { rows sample } } } deploy { target }
} }
"""

LISTING = (
    """
query { packages(first: 100) { edges { node {
  name draft { number revision basedOn { number } package { name } steps { step status } ...Content }
  latestPublishedVersion { number basedOn { number } ...Content }
  versions(first: 3) { edges { node { number status } } }
  events(first: 5) { edges { node { type } } }
  version(number: 1) { number }
  diff(fromNumber: 1, toNumber: 2) { identical changes { path } }
} } } }
"""
    + CONTENT
)

HISTORY = (
    """
query($id: ID!) { node(id: $id) { ... on Package {
  name draft { number } latestPublishedVersion { number }
  versions(first: 100) { edges { node { number status revision basedOn { number } package { name }
                                         steps { step status } ...Content } } }
} } }
"""
    + CONTENT
)


class StatementCounter:
    """Counts SQL statements executed by any engine of this process (the in-process server's)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, connection: Any, *_: Any) -> None:
        if connection.get_execution_options().get("logging_token") != HUB_LOGGING_TOKEN:  # not the live-event hub
            self.count += 1


@pytest.fixture
def statements() -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(Engine, "before_cursor_execute", counter)
    yield counter
    event.remove(Engine, "before_cursor_execute", counter)


async def _package_with_versions(api: Api, published: int) -> str:
    package_id, revision = await create_package(api)
    revision = await complete_all(api, package_id, revision)
    for number in range(published):
        if number:
            saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": number}})
            revision = (await complete(api, package_id, saved["revision"], "CONFIG"))["revision"]
        revision = (await publish(api, package_id, revision))["version"]["revision"]
    saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": 999}})  # a draft on top
    assert saved["__typename"] == "DraftUpdated"
    return package_id


async def _cost(api: Api, statements: StatementCounter, document: str, **variables: Any) -> int:
    before = statements.count
    await api.execute(document, **variables)
    return statements.count - before


async def test_listing_cost_does_not_grow_with_the_number_of_packages(
    api_server: InProcessServer, database_url: str, statements: StatementCounter
) -> None:
    costs = []
    for packages in (2, 8):
        async with Api(api_server.graphql_url, await issue_token(database_url), database_url=database_url) as api:
            for _ in range(packages):
                await _package_with_versions(api, published=1)
            costs.append(await _cost(api, statements, LISTING))
    # An N+1 would add six statements here. A loader batch may occasionally split across two
    # event-loop ticks (that is timing, not the number of packages), hence the tolerance of one.
    assert costs[1] - costs[0] <= 1, costs
    # token, packages page, then one batched query per kind: draft, latest, basedOn, package,
    # version pages, event pages, versions by number.
    assert costs[0] <= 9


async def test_history_cost_does_not_grow_with_the_number_of_versions(api: Api, statements: StatementCounter) -> None:
    small = await _package_with_versions(api, published=1)
    large = await _package_with_versions(api, published=5)
    costs = [await _cost(api, statements, HISTORY, id=package_id) for package_id in (small, large)]
    assert costs[1] - costs[0] <= 1, costs  # four more versions: an N+1 would add at least four
    assert costs[1] <= 6


DRAFT = "query($id: ID!) { node(id: $id) { ... on Package { draft { number } } } }"
DRAFT_AND_BASE = "query($id: ID!) { node(id: $id) { ... on Package { draft { number basedOn { number } } } } }"


async def test_a_drafts_base_comes_with_the_draft_in_the_same_query(api: Api, statements: StatementCounter) -> None:
    # Loaded on its own, the base would race the other loaders into a query of its own.
    package_id = await _package_with_versions(api, published=2)
    read = await api.execute(DRAFT_AND_BASE, id=package_id)
    assert read["node"]["draft"] == {"number": 3, "basedOn": {"number": 2}}
    assert await _cost(api, statements, DRAFT_AND_BASE, id=package_id) == await _cost(
        api, statements, DRAFT, id=package_id
    )
