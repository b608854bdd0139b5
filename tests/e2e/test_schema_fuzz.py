"""Schema-generated queries and mutations against a real server, for three tokens.

Two organisations and a read-only token: ``victim`` owns a published package with a draft on
top, ``intruder`` is another organisation with full scopes, ``reader`` is the victim's own
read-only token. Every generated document must be answered without a 5xx and without a masked
internal error. Ids in the generated arguments are drawn from the victim's real ids and from
ghosts of the same shape: the intruder's answer for a query naming the victim's ids must be the
very answer it gets for the ghosts (nothing distinguishes "someone else's" from "does not
exist"), and after the intruder's and the reader's mutations the victim's data is unchanged.

The number of examples per phase is bounded (``TRAINPACK_FUZZ_EXAMPLES``, default 60) so the
test takes well under a minute in CI; raise it locally for a longer hunt.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, mutations, nodes, queries
from strawberry.relay import GlobalID

from api.ids import encode
from api.masking import MASKED_MESSAGE
from api.schema import build_schema
from tests.conftest import issue_token
from tests.support.content import CONFIG
from tests.support.flows import published_package, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from trainpack.settings import Settings
from workflow.access import Scope

EXAMPLES = int(os.environ.get("TRAINPACK_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

SNAPSHOT = """{ packages(first: 100) { edges { node { id name description currentRevision updatedAt archivedAt
  draft { id revision } versions(first: 50) { edges { node { id number } } }
  events(first: 100) { edges { cursor } } } } } }"""

IDS = "query ($id: ID!) { node(id: $id) { ... on Package { id draft { id } versions { edges { node { id } } } } } }"


@dataclass(frozen=True)
class Tokens:
    victim: str
    reader: str
    intruder: str


@dataclass(frozen=True)
class World:
    """The server, the three tokens and the victim's ids with their same-shaped ghosts."""

    url: str
    tokens: Tokens
    ghosts: dict[str, str]  # victim id -> a well-formed id of the same type that exists nowhere


def _ghost(global_id: str) -> str:
    """A well-formed id of the same type as ``global_id`` that names nothing."""
    return encode(GlobalID.from_id(global_id).type_name, uuid.uuid4())


@pytest.fixture(scope="module")
async def world(api_server: InProcessServer, database_url: str) -> World:
    organisation = f"org-{uuid.uuid4().hex[:12]}"
    victim = await issue_token(database_url, list(Scope), organisation)
    reader = await issue_token(database_url, [Scope.READ], organisation)
    intruder = await issue_token(database_url, list(Scope))
    async with Api(api_server.graphql_url, victim, database_url=database_url) as owner:
        package_id, revision = await published_package(owner)
        await save(owner, package_id, revision, {"config": {**CONFIG, "epochs": 6}})
        ids = await owner.execute(IDS, id=package_id)
    package = ids["node"]
    real = [package["id"], package["draft"]["id"], *(edge["node"]["id"] for edge in package["versions"]["edges"])]
    async with Api(api_server.graphql_url, intruder, database_url=database_url) as other:
        await published_package(other)  # the intruder has data of its own to list
    return World(api_server.graphql_url, Tokens(victim, reader, intruder), {each: _ghost(each) for each in real})


def _json_values() -> st.SearchStrategy[graphql.ValueNode]:
    scalars = st.one_of(
        st.text(max_size=20).map(nodes.String),
        st.integers(-(2**40), 2**40).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.booleans().map(nodes.Boolean),
    )

    def extend(children: st.SearchStrategy[graphql.ValueNode]) -> st.SearchStrategy[graphql.ValueNode]:
        field = st.tuples(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z"), children).map(
            lambda pair: graphql.ObjectFieldNode(name=graphql.NameNode(value=pair[0]), value=pair[1])
        )
        return st.one_of(
            st.lists(children, max_size=4).map(nodes.List),
            st.lists(field, max_size=4, unique_by=lambda node: node.name.value).map(nodes.Object),
        )

    return st.recursive(scalars, extend, max_leaves=12)


def _scalars(world: World) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    ids = st.one_of(
        st.sampled_from(sorted(world.ghosts)), st.sampled_from(sorted(world.ghosts.values())), st.text(max_size=40)
    )
    return {
        "ID": ids.map(nodes.String),
        "DateTime": st.one_of(st.datetimes().map(datetime.isoformat), st.text(max_size=30)).map(nodes.String),
        "JSON": _json_values(),
        "Upload": st.text(max_size=10).map(nodes.String),
    }


@pytest.fixture(scope="module")
def schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(build_schema(Settings()).as_str())


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as http:
        yield http


def _post(http: httpx.Client, world: World, token: str, document: str) -> dict[str, Any]:
    """Send one document; assert the answer is a well-formed GraphQL reply with no masked bug."""
    response = http.post(world.url, json={"query": document}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, f"HTTP {response.status_code} for\n{document}\n{response.text[:2000]}"
    body: dict[str, Any] = response.json()
    assert "data" in body or "errors" in body, f"not a GraphQL reply for\n{document}\n{body}"
    masked = [error for error in body.get("errors", []) if error.get("message") == MASKED_MESSAGE]
    assert masked == [], f"masked internal error for\n{document}\n{masked}"
    return body


def _swap(text: str, mapping: dict[str, str]) -> str:
    for old, new in mapping.items():
        text = text.replace(old, new)
    return text


def test_generated_queries_are_answered_and_reveal_nothing_across_organisations(
    world: World, schema: graphql.GraphQLSchema, client: httpx.Client
) -> None:
    reverse = {ghost: real for real, ghost in world.ghosts.items()}
    hits = {"named_victim": 0}

    @FUZZ
    @given(document=queries(schema, custom_scalars=_scalars(world)))
    def check(document: str) -> None:
        for token in (world.tokens.victim, world.tokens.reader):
            _post(client, world, token, document)
        as_intruder = _post(client, world, world.tokens.intruder, document)
        if any(real in document for real in world.ghosts):
            hits["named_victim"] += 1
            # The same question about ids that exist nowhere; ghosts already in the document
            # are left as they are, so only the victim's ids change.
            ghostly = _swap(document, world.ghosts)
            as_nobody = _post(client, world, world.tokens.intruder, ghostly)
            seen_as_nobody = json.loads(_swap(json.dumps(as_nobody), reverse))
            seen_as_intruder = json.loads(_swap(json.dumps(as_intruder), reverse))
            assert seen_as_nobody == seen_as_intruder, f"another organisation's ids answer differently:\n{document}"

    check()
    # The generator must actually have aimed at the victim, or the comparison proved nothing.
    assert hits["named_victim"] > 0


def test_generated_mutations_never_fail_and_touch_nothing_of_another_organisation(
    world: World, schema: graphql.GraphQLSchema, client: httpx.Client
) -> None:
    before = _post(client, world, world.tokens.victim, SNAPSHOT)

    @FUZZ
    @given(document=mutations(schema, custom_scalars=_scalars(world)))
    def intruder_and_reader(document: str) -> None:
        _post(client, world, world.tokens.intruder, document)
        _post(client, world, world.tokens.reader, document)

    intruder_and_reader()
    assert _post(client, world, world.tokens.victim, SNAPSHOT) == before


def test_generated_operations_of_the_owner_never_fail(
    world: World, schema: graphql.GraphQLSchema, client: httpx.Client
) -> None:
    @FUZZ
    @given(document=from_schema(schema, custom_scalars=_scalars(world)))
    def owner(document: str) -> None:
        _post(client, world, world.tokens.victim, document)

    owner()
