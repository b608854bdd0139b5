"""GraphQL types of background jobs and uploaded dataset files."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.context import Info
from api.ids import encode
from api.loaders import load_by_node_ids
from api.pagination import job_cursor, page_size, parse_job_cursor
from db.models import Job as JobRow
from db.models import Upload as UploadRow
from db.repositories.jobs import JobRepository
from workflow.job_inputs import JobKind as DomainJobKind
from workflow.job_inputs import JobStatus as DomainJobStatus

JobKind = strawberry.enum(DomainJobKind, name="JobKind", description="What a job does.")
JobStatus = strawberry.enum(DomainJobStatus, name="JobStatus", description="Where a job is in its life.")


@strawberry.enum(description="The file formats a dataset upload may have.")
class DatasetFileFormat(Enum):
    JSONL = "JSONL"
    CSV = "CSV"
    PARQUET = "PARQUET"


@strawberry.type(description="Why a job failed: a stable code and a message for people.")
class JobError:
    code: str
    message: str


@strawberry.type(description="A unit of background work (model resolution, download, dataset profiling).")
class Job(relay.Node):
    id: relay.NodeID[str]
    kind: JobKind  # type: ignore[valid-type]
    status: JobStatus  # type: ignore[valid-type]
    progress: float = strawberry.field(description="0 to 1.")
    message: str
    input: JSON
    result: JSON | None
    error: JobError | None = strawberry.field(description="Set when FAILED (or retrying after a transient error).")
    attempts: int
    cancel_requested: bool
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    package_id: strawberry.ID

    @classmethod
    def of(cls, row: JobRow) -> Self:
        """The GraphQL view of a job row."""
        return cls(
            id=str(row.id),
            kind=DomainJobKind(row.kind),
            status=DomainJobStatus(row.status),
            progress=row.progress,
            message=row.message,
            input=JSON(row.input),
            result=JSON(row.result) if row.result is not None else None,
            error=JobError(code=row.error_code, message=row.error_message or "") if row.error_code else None,
            attempts=row.attempts,
            cancel_requested=row.cancel_requested,
            created_at=row.created_at,
            created_by=row.created_by,
            started_at=row.started_at,
            finished_at=row.finished_at,
            package_id=strawberry.ID(encode("Package", row.package_id)),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Job | None]:
        rows = await load_by_node_ids(info.context.loaders.job, node_ids)
        return [Job.of(row) if row else None for row in rows]


@strawberry.type(description="An uploaded dataset file; refer to it from step 3 as `uploadId`.")
class DatasetUpload:
    id: strawberry.ID
    filename: str
    format: DatasetFileFormat
    size_bytes: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, row: UploadRow) -> Self:
        """The GraphQL view of an upload (its id is the plain uuid the step data stores)."""
        return cls(
            id=strawberry.ID(str(row.id)),
            filename=row.filename,
            format=DatasetFileFormat(row.format),
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            created_at=row.created_at,
        )


async def job_connection(
    info: Info,
    *,
    package_row_id: object | None,
    statuses: list[DomainJobStatus] | None,
    first: int | None,
    after: str | None,
) -> relay.Connection[Job]:
    """A page of jobs, newest first (of one package, or of the organisation)."""
    context = info.context
    actor = context.reader()
    size = page_size(first, context.services.settings.max_page_size)
    position = parse_job_cursor(after) if after else None
    async with context.reading() as session:
        rows = await JobRepository(session).page(
            actor.organisation_id,
            package_id=package_row_id,  # type: ignore[arg-type]
            statuses=[status.value for status in statuses] if statuses else None,
            first=size,
            after=position,
        )
    edges = [relay.Edge(node=Job.of(row), cursor=job_cursor(row.created_at, row.id)) for row in rows[:size]]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
