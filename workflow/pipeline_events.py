"""The ``PIPELINE_CHANGED`` event of a build job's change, recorded wherever the job changes.

Its own module because both the build's use cases (``workflow.builds``) and the job machinery
(``workflow.jobs``, where a queued build is cancelled) record it.
"""

from __future__ import annotations

from db.models import Job
from workflow.events import EventBatch, EventType
from workflow.job_inputs import TERMINAL, JobKind, JobStatus
from workflow.pipeline import PipelineState, state_of_build, target_of


def state_of(job: Job) -> PipelineState:
    """The pipeline of a version whose newest build is ``job``."""
    return state_of_build(JobStatus(job.status), target_of(job.input), job.error_code, job.error_message)


def record(events: EventBatch, job: Job) -> None:
    """Record the pipeline's state as the build job now has it (nothing for other kinds)."""
    if job.kind != JobKind.BUILD_PACKAGE:
        return
    events.add(
        EventType.PIPELINE_CHANGED,
        job.package_id,
        versionId=job.input["versionId"],
        jobId=str(job.id),
        **state_of(job).payload(),
        attempts=job.attempts,
        finished=JobStatus(job.status) in TERMINAL,
    )
