"""GraphQL types of the publish pipeline and of the bundle it builds."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from api.ids import encode
from db.models import Job as JobRow
from workflow import pipeline_events
from workflow.job_inputs import JobStatus
from workflow.pipeline import PipelineStage as DomainPipelineStage
from workflow.pipeline import PipelineStatus as DomainPipelineStatus

PipelineStage = strawberry.enum(
    DomainPipelineStage,
    name="PipelineStage",
    description="Where a publish pipeline is: QUEUED → BUILDING → READY (LOCAL_BUNDLE) or DEPLOY (HF_SPACE), "
    "or FAILED.",
)
PipelineStatus = strawberry.enum(
    DomainPipelineStatus,
    name="PipelineStatus",
    description="ACTIVE while a stage runs, WAITING at a stage not automated yet (DEPLOY), then SUCCEEDED or FAILED.",
)


@strawberry.type(description="Why a pipeline failed: a stable code and a message for people.")
class PipelineError:
    code: str
    message: str


@strawberry.type(description="A published version's pipeline: its newest build and what became of it.")
class Pipeline:
    stage: PipelineStage  # type: ignore[valid-type]
    status: PipelineStatus  # type: ignore[valid-type]
    started_at: datetime = strawberry.field(description="When this build was asked for (publish or retry).")
    finished_at: datetime | None
    error: PipelineError | None
    attempts: int = strawberry.field(description="Attempts of the current build (transient failures are retried).")
    job_id: strawberry.ID = strawberry.field(description="The build job (see `node` and `jobEvents`).")

    @classmethod
    def of(cls, job: JobRow) -> Self:
        """The pipeline of a version whose newest build job is ``job``."""
        state = pipeline_events.state_of(job)
        error = PipelineError(code=state.error_code, message=state.error_message or "") if state.error_code else None
        return cls(
            stage=state.stage,
            status=state.status,
            started_at=job.created_at,
            finished_at=job.finished_at,
            error=error,
            attempts=job.attempts,
            job_id=strawberry.ID(encode("Job", job.id)),
        )


@strawberry.type(description="One file of a bundle, as its manifest lists it.")
class BundleFile:
    path: str
    size: int
    sha256: str


@strawberry.type(description="A built package bundle: a reproducible .tar.gz named by its sha256.")
class Bundle:
    sha256: str
    size_bytes: float = strawberry.field(description="Bytes of the archive.")
    files: list[BundleFile]
    download_url: str = strawberry.field(description="GET it with the same bearer token (read scope).")
    created_at: datetime

    @classmethod
    def of(cls, job: JobRow, base_url: str) -> Self | None:
        """The bundle a succeeded build job stored; ``None`` for any other job."""
        result = job.result
        if JobStatus(job.status) is not JobStatus.SUCCEEDED or not result or "sha256" not in result:
            return None
        sha256 = str(result["sha256"])
        return cls(
            sha256=sha256,
            size_bytes=float(result["sizeBytes"]),
            files=[BundleFile(path=f["path"], size=int(f["size"]), sha256=f["sha256"]) for f in result["files"]],
            download_url=f"{base_url.rstrip('/')}{download_path(sha256)}",
            created_at=job.finished_at or job.created_at,
        )


def download_path(sha256: str) -> str:
    """Where the API serves a bundle."""
    return f"/bundles/{sha256}.tar.gz"
