"""Use cases of the publish pipeline's build: start it on publish, retry it, and the worker's steps.

A build is a ``BUILD_PACKAGE`` job on the published version; the pipeline's stage is read off
the version's newest build (``workflow.pipeline``), and every change of it is also recorded as a
``PIPELINE_CHANGED`` event next to the job's own events, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from db.models import Job, Version
from db.uow import UnitOfWork
from workflow import fact_store, jobs, pipeline_events
from workflow.access import Actor, Scope, worker_actor
from workflow.core.bundle import BundleInputError, BundleInputs, DatasetFile, DatasetPin, HubDatasetPin
from workflow.errors import NotFoundError, OperationRefusedError
from workflow.events import EventBatch
from workflow.facts import ModelFacts
from workflow.job_inputs import (
    ACTOR_NAMES,
    JobKind,
    JobRequest,
    JobStatus,
    dataset_input,
    input_key,
    local_file_format,
    model_input,
)
from workflow.machine import VersionStatus
from workflow.pipeline import RETRYABLE, build_input
from workflow.steps import PackageContent

BUILDER = ACTOR_NAMES[JobKind.BUILD_PACKAGE]
FileFormat = Literal["JSONL", "CSV", "PARQUET"]


async def start(
    uow: UnitOfWork, actor: Actor, package_id: uuid.UUID, version: Version, package_name: str, events: EventBatch
) -> Job:
    """Start the pipeline of a version being published (its first stage: a queued build)."""
    target = PackageContent.from_json(version.step_data).deploy.target
    request = JobRequest(JobKind.BUILD_PACKAGE, build_input(str(version.id), package_name, target))
    job = await jobs.create(uow, actor, package_id, request, events, version_id=version.id)
    pipeline_events.record(events, job)
    return job


async def retry(uow: UnitOfWork, actor: Actor, version_id: uuid.UUID) -> tuple[Version, Job]:
    """Start a new build of a published version whose last build FAILED (or was cancelled)."""
    actor.require(Scope.PUBLISH)
    version = (await uow.versions.by_ids(actor.organisation_id, [version_id])).get(version_id)
    if version is None:
        raise NotFoundError(str(version_id))
    if version.status != VersionStatus.PUBLISHED:
        raise OperationRefusedError("VERSION_NOT_PUBLISHED", "Only a published version has a pipeline to retry.")
    # The package lock orders this retry after any other (two at once would start two builds).
    if await uow.packages.lock_with_draft(actor.organisation_id, version.package_id) is None:
        raise NotFoundError(str(version_id))
    latest = (await uow.jobs.latest_of_versions(actor.organisation_id, JobKind.BUILD_PACKAGE, [version.id])).get(
        version.id
    )
    if latest is not None and JobStatus(latest.status) not in RETRYABLE:
        stage = pipeline_events.state_of(latest).stage.value
        raise OperationRefusedError(
            "PIPELINE_NOT_FAILED", f"The pipeline is at {stage}; only a FAILED build is retried."
        )
    package = await uow.packages.get(actor.organisation_id, version.package_id)
    assert package is not None  # locked above
    events = EventBatch(actor)
    if latest is not None:
        request = JobRequest(JobKind.BUILD_PACKAGE, dict(latest.input))
        job = await jobs.create(uow, actor, package.id, request, events, version_id=version.id)
        pipeline_events.record(events, job)
    else:  # published before builds existed: its pipeline starts now
        job = await start(uow, actor, package.id, version, package.name, events)
    await uow.events.append_many(events.rows)
    return version, job


@dataclass(frozen=True)
class LocalDataset:
    """A LOCAL dataset source the worker reads from its allowed folders."""

    path: str
    file_format: FileFormat


@dataclass(frozen=True)
class BuildMaterial:
    """What the build read from the database: the published version and its pinned facts."""

    package_name: str
    version: int
    content_hash: str
    content: PackageContent
    model: ModelFacts | None
    pins: tuple[DatasetPin | LocalDataset, ...]

    def inputs(self, read_local: Callable[[LocalDataset], DatasetFile]) -> BundleInputs:
        """The bundle's inputs; ``BundleInputError`` when a fact the bundle pins was never learned."""
        if self.model is None:
            raise BundleInputError(
                "The base model was never resolved; the bundle pins its commit.", code="BUNDLE_MODEL_UNRESOLVED"
            )
        pins = tuple(read_local(pin) if isinstance(pin, LocalDataset) else pin for pin in self.pins)
        return BundleInputs(self.package_name, self.version, self.content_hash, self.content, self.model, pins)


async def building(uow: UnitOfWork, job: Job) -> BuildMaterial:
    """The worker's first step: the pipeline moves to BUILDING, and what the bundle is made from."""
    events = EventBatch(worker_actor(job.organisation_id, BUILDER))
    pipeline_events.record(events, job)
    await uow.events.append_many(events.rows)
    version_id = uuid.UUID(job.input["versionId"])
    version = (await uow.versions.by_ids(job.organisation_id, [version_id])).get(version_id)
    package = await uow.packages.get(job.organisation_id, job.package_id)
    if version is None or package is None or version.status != VersionStatus.PUBLISHED:
        raise BundleInputError("The version to build is no longer published.", code="BUNDLE_VERSION_MISSING")
    content = PackageContent.from_json(version.step_data)
    model = None
    chosen = model_input(content.model)
    if chosen is not None:
        entry = fact_store.entry_for(package.facts, input_key(JobKind.RESOLVE_MODEL, chosen))
        if entry is not None and "facts" in entry:
            model = fact_store.model_facts_from_json(entry["facts"])
    pins = [await _pin(uow, job.organisation_id, package.facts, index, content) for index in range(_count(content))]
    name = str(job.input.get("packageName") or package.name)
    return BuildMaterial(name, version.number, version.content_hash, content, model, tuple(pins))


async def conclude(uow: UnitOfWork, ending: jobs.Ending) -> Job | None:
    """End a build attempt, and the pipeline's stage with it (READY, DEPLOY or FAILED)."""
    job = (await jobs.end_many(uow, [ending])).get(ending.job_id)
    if job is not None:
        events = EventBatch(worker_actor(job.organisation_id, BUILDER))
        pipeline_events.record(events, job)
        await uow.events.append_many(events.rows)
    return job


def _count(content: PackageContent) -> int:
    return len(content.dataset.sources or [])


async def _pin(
    uow: UnitOfWork, organisation_id: uuid.UUID, facts: dict[str, object], index: int, content: PackageContent
) -> DatasetPin | LocalDataset:
    """How dataset source ``index`` is pinned: a Hub commit, an upload's bytes, or a local file."""
    source = (content.dataset.sources or [])[index]
    if source.source == "HUB":
        chosen = dataset_input(source)
        entry = fact_store.entry_for(facts, input_key(JobKind.PROFILE_DATASET, chosen)) if chosen else None
        revision = entry.get("revision") if entry is not None else None
        return HubDatasetPin(revision if isinstance(revision, str) else "")  # an empty one is refused as unpinned
    if source.source == "UPLOAD" and source.upload_id:
        upload = await uow.uploads.get(organisation_id, uuid.UUID(source.upload_id))
        if upload is None:
            raise BundleInputError(f"Dataset source {index}'s upload no longer exists.", code="BUNDLE_UPLOAD_MISSING")
        return DatasetFile(upload.filename, _format(upload.format), upload.content, upload.sha256)
    if source.source == "LOCAL" and source.path:
        fmt = local_file_format(source.path)
        if fmt is None:
            raise BundleInputError(f"Dataset source {index} is not a data file.", code="BUNDLE_DATASET_INVALID")
        return LocalDataset(source.path, _format(fmt))
    raise BundleInputError(f"Dataset source {index} names no data.", code="BUNDLE_DATASET_INVALID")


def _format(value: str) -> FileFormat:
    if value == "CSV":
        return "CSV"
    if value == "PARQUET":
        return "PARQUET"
    return "JSONL"
