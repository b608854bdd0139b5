"""The publish pipeline's stages, read off its build job's state (pure)."""

from __future__ import annotations

import pytest

from workflow.job_inputs import JobKind, JobRequest, JobStatus
from workflow.pipeline import PipelineStage, PipelineState, PipelineStatus, build_input, state_of_build, target_of


@pytest.mark.parametrize(
    ("status", "target", "stage", "pipeline_status"),
    [
        (JobStatus.QUEUED, "LOCAL_BUNDLE", PipelineStage.QUEUED, PipelineStatus.ACTIVE),
        (JobStatus.RUNNING, "LOCAL_BUNDLE", PipelineStage.BUILDING, PipelineStatus.ACTIVE),
        (JobStatus.SUCCEEDED, "LOCAL_BUNDLE", PipelineStage.READY, PipelineStatus.SUCCEEDED),
        (JobStatus.SUCCEEDED, None, PipelineStage.READY, PipelineStatus.SUCCEEDED),
        (JobStatus.SUCCEEDED, "HF_SPACE", PipelineStage.DEPLOY, PipelineStatus.WAITING),
        (JobStatus.FAILED, "HF_SPACE", PipelineStage.FAILED, PipelineStatus.FAILED),
    ],
)
def test_each_build_status_is_one_stage(
    status: JobStatus, target: str | None, stage: PipelineStage, pipeline_status: PipelineStatus
) -> None:
    state = state_of_build(status, target)
    assert (state.stage, state.status) == (stage, pipeline_status)


def test_a_failure_keeps_its_code_and_a_cancelled_build_gets_one() -> None:
    failed = state_of_build(JobStatus.FAILED, "LOCAL_BUNDLE", "BUNDLE_STORE_FAILED", "disk full")
    assert (failed.error_code, failed.error_message) == ("BUNDLE_STORE_FAILED", "disk full")
    cancelled = state_of_build(JobStatus.CANCELLED, "LOCAL_BUNDLE")
    assert cancelled.stage is PipelineStage.FAILED and cancelled.error_code == "BUILD_CANCELLED"


def test_a_queued_retry_after_a_transient_error_shows_no_error() -> None:
    assert state_of_build(JobStatus.QUEUED, "LOCAL_BUNDLE", "HUB_UNAVAILABLE", "503") == PipelineState(
        PipelineStage.QUEUED, PipelineStatus.ACTIVE
    )


def test_the_build_input_freezes_name_and_target_and_keys_by_version() -> None:
    job_input = build_input("v-1", "tiny-chat", "HF_SPACE")
    assert target_of(job_input) == "HF_SPACE" and target_of({}) is None
    key = JobRequest(JobKind.BUILD_PACKAGE, job_input).key
    assert key.startswith("bundle:")
    assert key != JobRequest(JobKind.BUILD_PACKAGE, build_input("v-2", "tiny-chat", "HF_SPACE")).key
