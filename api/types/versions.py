"""GraphQL types of versions: step states, progress, diffs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.context import Info
from api.loaders import CATALOGUE, load_by_node_ids
from api.steps.outputs import VersionContent
from api.steps.reads import version_content
from api.types.bundles import Bundle, Pipeline
from api.types.common import Issue, StepName, StepStatus, VersionStatus
from api.types.estimates import TrainingEstimate
from db.models import Version as VersionRow
from workflow import machine
from workflow.diff import FieldChange as DomainFieldChange
from workflow.fact_store import estimate_entry
from workflow.records import state_of
from workflow.steps import STEP_ORDER, Step

if TYPE_CHECKING:
    from api.types.packages import Package


@strawberry.type(description="One step of a version: its data as entered and its state.")
class StepView:
    step: StepName  # type: ignore[valid-type]
    status: StepStatus  # type: ignore[valid-type]
    data: JSON = strawberry.field(
        description="The step's data as stored, as JSON.",
        deprecation_reason="Use the typed `Version.content`; this untyped form will be removed.",
    )
    errors: list[Issue]
    warnings: list[Issue]
    summary: str | None = strawberry.field(description="One line for a collapsed step header.")
    completed_at: datetime | None
    pending: list[Issue] = strawberry.field(
        description="The checks that wait for a worker's result (also among `warnings`): pending is not done."
    )
    awaiting_completion: bool = strawberry.field(
        description="Completion was asked for: the step completes by itself once `pending` is empty and it passes."
    )


@strawberry.type(description="Steps complete out of four and what to do next.")
class Progress:
    completed: int
    total: int
    next_action: str = strawberry.field(description="COMPLETE_STEP, FIX_ERRORS, PUBLISH or EDIT.")
    next_step: StepName | None  # type: ignore[valid-type]


@strawberry.type(description="A version of a package: a mutable DRAFT or an immutable PUBLISHED snapshot.")
class Version(relay.Node):
    id: relay.NodeID[str]
    number: int
    status: VersionStatus  # type: ignore[valid-type]
    revision: int
    current_step: StepName  # type: ignore[valid-type]
    content_hash: str
    created_at: datetime
    created_by: str
    saved_at: datetime | None
    autosaved_at: datetime | None
    published_at: datetime | None
    published_by: str | None
    changelog: str | None
    row: strawberry.Private[VersionRow]

    @classmethod
    def of(cls, row: VersionRow) -> Self:
        """The GraphQL view of a stored version."""
        return cls(
            id=str(row.id),
            number=row.number,
            status=machine.VersionStatus(row.status),
            revision=row.revision,
            current_step=Step(row.current_step),
            content_hash=row.content_hash,
            created_at=row.created_at,
            created_by=row.created_by,
            saved_at=row.saved_at,
            autosaved_at=row.autosaved_at,
            published_at=row.published_at,
            published_by=row.published_by,
            changelog=row.changelog,
            row=row,
        )

    @strawberry.field(description="The four steps in order.")
    def steps(self) -> list[StepView]:
        state = state_of(self.row)
        return [
            StepView(
                step=step,
                status=state.step(step).status,
                data=self.row.step_data.get(step.value, {}),
                errors=[Issue.of(issue) for issue in state.step(step).errors],
                warnings=[Issue.of(issue) for issue in state.step(step).warnings],
                summary=state.step(step).summary,
                completed_at=state.step(step).completed_at,
                pending=[Issue.of(issue) for issue in state.step(step).pending],
                awaiting_completion=state.step(step).awaiting,
            )
            for step in STEP_ORDER
        ]

    @strawberry.field(description="The step data, typed, with what the workers learnt about it.")
    async def content(self, info: Info) -> VersionContent:
        return await version_content(info, self.row)

    @strawberry.field
    def progress(self) -> Progress:
        result = machine.progress(state_of(self.row))
        return Progress(
            completed=result.completed, total=result.total, next_action=result.next_action, next_step=result.next_step
        )

    @strawberry.field(
        description="The cost estimate of this version's training for its current inputs (null until the "
        "estimate job has computed it; a failure shows as step 4's error)."
    )
    async def estimate(self, info: Info) -> TrainingEstimate | None:
        package = await info.context.loaders.package.load(self.row.package_id)
        if package is None:
            return None
        names = await info.context.loaders.hardware_names.load(CATALOGUE)
        entry = estimate_entry(state_of(self.row).content, package.facts, names)
        return TrainingEstimate.of(entry["facts"]) if entry is not None and "facts" in entry else None

    @strawberry.field(description="The publish pipeline (null for a draft): its stage, status and error.")
    async def pipeline(self, info: Info) -> Pipeline | None:
        job = await info.context.loaders.latest_build.load(self.row.id)
        return Pipeline.of(job) if job is not None else None

    @strawberry.field(description="The built bundle, once the pipeline has built it (null before, or after a failure).")
    async def bundle(self, info: Info) -> Bundle | None:
        job = await info.context.loaders.latest_build.load(self.row.id)
        return Bundle.of(job, str(info.context.request.base_url)) if job is not None else None

    @strawberry.field(description="The version this one was copied or restored from.")
    async def based_on(self, info: Info) -> Version | None:
        if self.row.based_on_id is None:
            return None
        row = await info.context.loaders.version.load(self.row.based_on_id)
        return Version.of(row) if row else None

    @strawberry.field
    async def package(self, info: Info) -> Annotated[Package, strawberry.lazy("api.types.packages")]:
        from api.types.packages import Package

        row = await info.context.loaders.package.load(self.row.package_id)
        assert row is not None  # a version's package is in the same organisation
        return Package.of(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Version | None]:
        rows = await load_by_node_ids(info.context.loaders.version, node_ids)
        return [Version.of(row) if row else None for row in rows]


@strawberry.type(description="One field that differs between two versions.")
class FieldChange:
    step: StepName  # type: ignore[valid-type]
    path: str
    kind: str = strawberry.field(description="ADDED, REMOVED or CHANGED.")
    before: JSON | None
    after: JSON | None

    @classmethod
    def of(cls, change: DomainFieldChange) -> Self:
        """The GraphQL view of a domain change."""
        return cls(
            step=change.step,
            path=change.path,
            kind=change.kind.value,
            before=JSON(change.before),
            after=JSON(change.after),
        )


@strawberry.type(description="The changes between two versions, step by step, field by field.")
class VersionDiff:
    from_version: Version
    to_version: Version
    changes: list[FieldChange]
    identical: bool
