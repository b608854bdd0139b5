"""Query root: the viewer, node look-ups, the package listing and events."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.context import Info
from api.ids import encode
from api.inputs import PackageFilterInput
from api.pagination import package_cursor, page_size, parse_package_cursor
from api.types.packages import Event, Package, event_page
from api.types.viewer import ConfigPreset, Organisation, Viewer, config_presets
from db.repositories.packages import PackageFilter, PackageRepository


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(description="Any object by its global id (null if not yours).")
    nodes: list[relay.Node | None] = relay.node(description="Objects by global id, in order.")

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
        rows = await PackageRepository(context.read_session).page(
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
        return await event_page(info, package_id=None, first=first, after=after)

    @strawberry.field(description="Named presets for step 2.")
    def config_presets(self) -> list[ConfigPreset]:
        return config_presets()
