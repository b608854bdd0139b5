"""GraphQL types of packages, their version history and their events."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.context import Info
from api.ids import encode
from api.loaders import load_by_node_ids
from api.pagination import event_cursor, number_cursor, page_size, parse_event_cursor, parse_number_cursor
from api.types.jobs import Job, JobStatus, job_connection
from api.types.versions import FieldChange, Version, VersionDiff
from db.models import Event as EventRow
from db.models import Package as PackageRow
from db.repositories.events import EventRepository
from workflow.diff import diff_content
from workflow.records import state_of


@strawberry.type(description="A recorded state change of a package.")
class Event(relay.Node):
    id: relay.NodeID[str]
    cursor: str
    type: str
    payload: JSON
    actor: str
    created_at: datetime
    package_id: strawberry.ID | None

    @classmethod
    def of(cls, row: EventRow) -> Self:
        """The GraphQL view of a logged event."""
        return cls(
            id=str(row.id),
            cursor=event_cursor(row.tx, row.id),
            type=row.type,
            payload=JSON(row.payload),
            actor=row.actor,
            created_at=row.created_at,
            package_id=strawberry.ID(encode("Package", row.package_id)) if row.package_id else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Event | None]:
        actor = info.context.reader()
        ids = [
            int(node_id) if node_id.isascii() and node_id.isdigit() and len(node_id) < 19 else None
            for node_id in node_ids
        ]
        async with info.context.reading() as session:
            found = await EventRepository(session).by_ids(
                actor.organisation_id, [key for key in ids if key is not None]
            )
        return [Event.of(found[key]) if key in found else None for key in ids]


@strawberry.type(description="A training package: a model, a configuration, datasets and a deployment target.")
class Package(relay.Node):
    id: relay.NodeID[str]
    name: str
    name_is_custom: bool = strawberry.field(description="False while the name follows the selections.")
    description: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    archived_at: datetime | None
    row: strawberry.Private[PackageRow]

    @classmethod
    def of(cls, row: PackageRow) -> Self:
        """The GraphQL view of a stored package."""
        return cls(
            id=str(row.id),
            name=row.name,
            name_is_custom=row.name_is_custom,
            description=row.description,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            row=row,
        )

    @strawberry.field(description="The current draft, if the package has one.")
    async def draft(self, info: Info) -> Version | None:
        row = await info.context.loaders.draft.load(self.row.id)
        return Version.of(row) if row else None

    @strawberry.field(description="The highest-numbered published version.")
    async def latest_published_version(self, info: Info) -> Version | None:
        row = await info.context.loaders.latest_published.load(self.row.id)
        return Version.of(row) if row else None

    @strawberry.field(description="The revision a write must name as `expectedRevision` (draft, else latest).")
    async def current_revision(self, info: Info) -> int:
        draft = await info.context.loaders.draft.load(self.row.id)
        latest = draft or await info.context.loaders.latest_published.load(self.row.id)
        return latest.revision if latest else 0

    @strawberry.field(description="Version `number` of this package.")
    async def version(self, info: Info, number: int) -> Version | None:
        row = await info.context.loaders.version_by_number.load((self.row.id, number))
        return Version.of(row) if row else None

    @strawberry.field(description="Every version, newest first.")
    async def versions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[Version]:
        context = info.context
        context.reader()
        size = page_size(first, context.services.settings.max_page_size)
        before = parse_number_cursor(after, "v") if after else None
        rows = await context.loaders.version_page.load((self.row.id, size, before))
        edges = [relay.Edge(node=Version.of(row), cursor=number_cursor("v", row.number)) for row in rows[:size]]
        return relay.Connection(edges=edges, page_info=_page_info(edges, has_next=len(rows) > size))

    @strawberry.field(description="The field-by-field changes from version `fromNumber` to `toNumber`.")
    async def diff(self, info: Info, from_number: int, to_number: int) -> VersionDiff | None:
        before, after = await info.context.loaders.version_by_number.load_many(
            [(self.row.id, from_number), (self.row.id, to_number)]
        )
        if before is None or after is None:
            return None
        changes = diff_content(state_of(before).content, state_of(after).content)
        return VersionDiff(
            from_version=Version.of(before),
            to_version=Version.of(after),
            changes=[FieldChange.of(change) for change in changes],
            identical=not changes,
        )

    @strawberry.field(description="The package's event log, oldest first.")
    async def events(self, info: Info, first: int | None = None, after: str | None = None) -> relay.Connection[Event]:
        context = info.context
        size = page_size(first, context.services.settings.max_page_size)
        position = parse_event_cursor(after) if after else None
        rows = await context.loaders.event_page.load((self.row.id, size, position))
        edges = [relay.Edge(node=Event.of(row), cursor=event_cursor(row.tx, row.id)) for row in rows[:size]]
        return relay.Connection(edges=edges, page_info=_page_info(edges, has_next=len(rows) > size))

    @strawberry.field(description="The package's jobs, newest first.")
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[JobStatus] | None = None,  # type: ignore[valid-type]
    ) -> relay.Connection[Job]:
        return await job_connection(info, package_row_id=self.row.id, statuses=status, first=first, after=after)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Package | None]:
        rows = await load_by_node_ids(info.context.loaders.package, node_ids)
        return [Package.of(row) if row else None for row in rows]


async def organisation_events(info: Info, *, first: int | None, after: str | None) -> relay.Connection[Event]:
    """A page of the organisation's events (all packages) after a cursor."""
    context = info.context
    actor = context.reader()
    size = page_size(first, context.services.settings.max_page_size)
    position = parse_event_cursor(after) if after else None
    async with context.reading() as session:
        rows = await EventRepository(session).page(organisation_id=actor.organisation_id, after=position, first=size)
    edges = [relay.Edge(node=Event.of(row), cursor=event_cursor(row.tx, row.id)) for row in rows[:size]]
    return relay.Connection(edges=edges, page_info=_page_info(edges, has_next=len(rows) > size))


def _page_info(
    edges: list[relay.Edge[Version]] | list[relay.Edge[Event]] | list[relay.Edge[Package]], *, has_next: bool
) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=False,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
