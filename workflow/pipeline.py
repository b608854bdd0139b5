"""The publish pipeline's stages, read off the version's latest build job (pure).

Publishing a version starts a ``BUILD_PACKAGE`` job; the pipeline's state is that job's state,
so it needs no table of its own and cannot disagree with the job. The stages::

    QUEUED -> BUILDING -> READY                 (LOCAL_BUNDLE: the bundle is the product)
                       -> DEPLOY                (HF_SPACE: the deploy stage comes next)
                       -> FAILED                (retryBuild starts a new build)

``DEPLOY`` is where a Space deploy will run; until it exists a built HF_SPACE version waits
there (status ``WAITING``) with its bundle downloadable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflow.job_inputs import JobStatus


class PipelineStage(StrEnum):
    """Where a version's publish pipeline is."""

    QUEUED = "QUEUED"
    BUILDING = "BUILDING"
    DEPLOY = "DEPLOY"
    READY = "READY"
    FAILED = "FAILED"


class PipelineStatus(StrEnum):
    """Whether the stage is under way, waiting on a stage not built yet, or ended."""

    ACTIVE = "ACTIVE"
    WAITING = "WAITING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})
"""Build statuses a ``retryBuild`` may start again from."""
CANCELLED_CODE = "BUILD_CANCELLED"


@dataclass(frozen=True)
class PipelineState:
    """The pipeline as a client sees it."""

    stage: PipelineStage
    status: PipelineStatus
    error_code: str | None = None
    error_message: str | None = None

    def payload(self) -> dict[str, Any]:
        """The event payload's pipeline fields."""
        return {
            "stage": self.stage.value,
            "status": self.status.value,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
        }


def state_of_build(
    status: JobStatus, target: str | None, error_code: str | None = None, error_message: str | None = None
) -> PipelineState:
    """The pipeline of a version whose latest build job is in ``status``; ``target`` is its deploy target."""
    match status:
        case JobStatus.QUEUED:
            return PipelineState(PipelineStage.QUEUED, PipelineStatus.ACTIVE)
        case JobStatus.RUNNING:
            return PipelineState(PipelineStage.BUILDING, PipelineStatus.ACTIVE)
        case JobStatus.SUCCEEDED if target == "HF_SPACE":
            return PipelineState(PipelineStage.DEPLOY, PipelineStatus.WAITING)
        case JobStatus.SUCCEEDED:
            return PipelineState(PipelineStage.READY, PipelineStatus.SUCCEEDED)
        case JobStatus.CANCELLED:
            return PipelineState(
                PipelineStage.FAILED,
                PipelineStatus.FAILED,
                error_code or CANCELLED_CODE,
                error_message or "The build was cancelled.",
            )
    return PipelineState(PipelineStage.FAILED, PipelineStatus.FAILED, error_code, error_message)


def build_input(version_id: str, package_name: str, target: str | None) -> dict[str, Any]:
    """A build job's input: the version, and the name and target it was published under (frozen, so
    every build of one version renders the same bytes even after a rename)."""
    return {"versionId": version_id, "packageName": package_name, "target": target}


def target_of(job_input: Mapping[str, Any]) -> str | None:
    """The deploy target a build job's input names."""
    target = job_input.get("target")
    return target if isinstance(target, str) else None
