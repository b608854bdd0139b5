"""Query root: the viewer, node look-ups, the package listing and events."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay

from api.context import Info
from api.errors import to_user_error
from api.ids import decode, encode
from api.inputs import PackageFilterInput, TrainingEstimateInput
from api.pagination import package_cursor, page_size, parse_package_cursor
from api.types.common import NotFound, ValidationFailed
from api.types.estimates import TrainingEstimate
from api.types.hardware import HardwareCatalogue
from api.types.jobs import Job, JobStatus, job_connection
from api.types.packages import Event, Package, organisation_events
from api.types.secrets import Secret
from api.types.versions import Version
from api.types.viewer import ConfigPreset, Organisation, Viewer, config_presets
from db.repositories.hardware import HardwareRepository
from db.repositories.packages import PackageFilter, PackageRepository
from db.repositories.secrets import SecretRepository
from workflow import catalogue
from workflow.errors import DomainError, NotFoundError
from workflow.estimates import WhatIf, what_if
from workflow.fact_store import facts_for
from workflow.records import state_of
from workflow.text import text_problem

TrainingEstimateResult = Annotated[
    TrainingEstimate | ValidationFailed | NotFound, strawberry.union("TrainingEstimateResult")
]

NODE_TYPES: dict[str, type[Package] | type[Version] | type[Event] | type[Job]] = {
    "Package": Package,
    "Version": Version,
    "Event": Event,
    "Job": Job,
}


async def resolve_nodes(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """Look up global ids of any node type, batching each type; malformed ids answer null."""
    info.context.reader()
    wanted: dict[str, list[str]] = {}
    parsed: list[tuple[str, str] | None] = []
    for raw in ids:
        try:
            global_id = relay.GlobalID.from_id(raw)
        except (ValueError, TypeError):
            parsed.append(None)
            continue
        if global_id.type_name not in NODE_TYPES:
            parsed.append(None)
            continue
        parsed.append((global_id.type_name, global_id.node_id))
        wanted.setdefault(global_id.type_name, []).append(global_id.node_id)
    found: dict[tuple[str, str], relay.Node] = {}
    for type_name, node_ids in wanted.items():
        results = await NODE_TYPES[type_name].resolve_nodes(info=info, node_ids=node_ids)
        for node_id, result in zip(node_ids, results, strict=True):
            if result is not None:
                found[(type_name, node_id)] = result
    return [found.get(key) if key else None for key in parsed]


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id (null if it is not yours or does not exist).")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await resolve_nodes(info, [id]))[0]

    @strawberry.field(description="Objects by global id, in order (null where not yours or not found).")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        return await resolve_nodes(info, ids)

    @strawberry.field
    def viewer(self, info: Info) -> Viewer:
        actor = info.context.reader()
        organisation = Organisation(
            id=strawberry.ID(encode("Organisation", actor.organisation_id)), name=actor.organisation_name
        )
        return Viewer(
            organisation=organisation, token_name=actor.token_name, scopes=sorted(scope.value for scope in actor.scopes)
        )

    @strawberry.field(description="Packages of your organisation, most recently updated first.")
    async def packages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PackageFilterInput | None = None,
    ) -> relay.Connection[Package]:
        context = info.context
        actor = context.reader()
        size = page_size(first, context.services.settings.max_page_size)
        criteria = filter or PackageFilterInput()
        problem = text_problem(criteria.search) if criteria.search else None
        if problem:
            raise GraphQLError(f"`search`: {problem}", extensions={"code": "BAD_INPUT"})
        async with context.reading() as session:
            rows = await PackageRepository(session).page(
                actor.organisation_id,
                PackageFilter(archived=criteria.archived, has_draft=criteria.has_draft, search=criteria.search),
                first=size,
                after=parse_package_cursor(after) if after else None,
            )
        edges = [relay.Edge(node=Package.of(row), cursor=package_cursor(row.updated_at, row.id)) for row in rows[:size]]
        page_info = relay.PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return relay.Connection(edges=edges, page_info=page_info)

    @strawberry.field(description="Events of your organisation (all packages), oldest first.")
    async def events(self, info: Info, first: int | None = None, after: str | None = None) -> relay.Connection[Event]:
        return await organisation_events(info, first=first, after=after)

    @strawberry.field(description="Jobs of your organisation (all packages), newest first.")
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[JobStatus] | None = None,  # type: ignore[valid-type]
    ) -> relay.Connection[Job]:
        return await job_connection(info, package_row_id=None, statuses=status, first=first, after=after)

    @strawberry.field(description="Your organisation's secrets by name: never their values.")
    async def secrets(self, info: Info) -> list[Secret]:
        actor = info.context.reader()
        async with info.context.reading() as session:
            rows = await SecretRepository(session).listing(actor.organisation_id)
        return [Secret.of(row) for row in rows]

    @strawberry.field(
        description="Memory, time and cost of unsaved what-if values on every flavour (the wizard asks as the user "
        "types): the same training plan and estimator as the estimate job."
    )
    async def training_estimate(self, info: Info, input: TrainingEstimateInput) -> TrainingEstimateResult:
        actor = info.context.reader()
        asked = WhatIf(input.config, input.model_config, input.parameters, input.tokens)
        try:
            content, facts = None, None
            async with info.context.reading() as session:
                hardware = HardwareRepository(session)
                in_use, names = await catalogue.current(hardware), await hardware.flavour_names()
            if input.package_id is not None:
                _, package_id = decode(input.package_id, "Package")
                package = await info.context.loaders.package.load(package_id)
                if package is None or package.organisation_id != actor.organisation_id:
                    raise NotFoundError(input.package_id)
                version = await info.context.loaders.draft.load(package_id)
                version = version or await info.context.loaders.latest_published.load(package_id)
                if version is not None:
                    content = state_of(version).content
                    facts = facts_for(content, package.facts, names)
            found = what_if(asked, content, facts, in_use.catalogue)
        except DomainError as error:
            member = to_user_error(error, input.package_id)
            assert isinstance(member, ValidationFailed | NotFound)
            return member
        return TrainingEstimate.of(found.to_json())

    @strawberry.field(
        description="The Spaces hardware flavours step 4 offers: the last reading of the Hub, else the shipped "
        "default table."
    )
    async def hardware_flavours(self, info: Info) -> HardwareCatalogue:
        info.context.reader()
        async with info.context.reading() as session:
            current = await catalogue.current(HardwareRepository(session))
        return HardwareCatalogue.of(current)

    @strawberry.field(description="Named presets for step 2.")
    def config_presets(self) -> list[ConfigPreset]:
        return config_presets()
