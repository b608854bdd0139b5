"""Mutation root: each resolver decodes ids, calls one use case in one unit of work, shapes the result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload as FileUpload

from api.context import Info
from api.errors import attempt
from api.ids import decode, decode_target, encode
from api.inputs import (
    CreatePackageInput,
    DeleteSecretInput,
    DraftInput,
    JobInput,
    PackageInput,
    PublishVersionInput,
    RenamePackageInput,
    RestoreVersionInput,
    RetryBuildInput,
    SaveDraftInput,
    SetSecretInput,
    StartJobInput,
    StepActionInput,
)
from api.steps.inputs import StepsInput, to_patch
from api.types.common import ErrorMember, Issue
from api.types.hardware import HardwareCatalogueRefreshed, HardwareRefreshFailed
from api.types.jobs import DatasetFileFormat, DatasetUpload, Job
from api.types.packages import Package
from api.types.secrets import Secret
from api.types.versions import Version
from db.uow import UnitOfWork
from workflow import builds, catalogue, drafts, jobs, packages, secrets, uploads
from workflow.access import Actor, Scope
from workflow.drafts import DraftOutcome
from workflow.errors import OperationRefusedError, ValidationFailedError
from workflow.issues import Issue as DomainIssue
from workflow.issues import IssueCode
from workflow.steps import Step
from workflow.targets import Target


@strawberry.type(description="The draft after a save, a step completion or a navigation.")
class DraftUpdated:
    package: Package
    version: Version
    changed: bool = strawberry.field(description="False when the write changed nothing (revision not bumped).")
    revision: int
    saved_at: datetime | None
    errors: list[Issue] = strawberry.field(description="Current errors of every step (never block a save).")
    warnings: list[Issue]

    @classmethod
    def of(cls, outcome: DraftOutcome) -> DraftUpdated:
        """The GraphQL view of a draft write."""
        return cls(
            package=Package.of(outcome.package),
            version=Version.of(outcome.version),
            changed=outcome.changed,
            revision=outcome.revision,
            saved_at=outcome.saved_at,
            errors=[Issue.of(issue) for issue in outcome.errors],
            warnings=[Issue.of(issue) for issue in outcome.warnings],
        )


@strawberry.type
class PackageCreated:
    package: Package
    draft: Version


@strawberry.type
class VersionPublished:
    package: Package
    version: Version


@strawberry.type
class DraftDiscarded:
    package: Package


@strawberry.type
class PackageUpdated:
    package: Package


@strawberry.type
class PackageDeleted:
    deleted_id: strawberry.ID


@strawberry.type(description="The job, as it now is.")
class JobUpdated:
    job: Job


@strawberry.type(description="The version, its pipeline queued again, and the new build job.")
class BuildRetried:
    version: Version
    job: Job


@strawberry.type(description="The stored file; put its id in a dataset source as `uploadId`.")
class DatasetUploaded:
    upload: DatasetUpload


@strawberry.type(description="The secret as stored now (never its value).")
class SecretSet:
    secret: Secret
    created: bool = strawberry.field(description="False when an existing secret's value was replaced.")


@strawberry.type
class SecretDeleted:
    name: str


class StepAction(Protocol):
    """``drafts.complete_step`` or ``drafts.open_step``."""

    async def __call__(
        self, uow: UnitOfWork, actor: Actor, target: Target, step: Step, *, expected_revision: int
    ) -> DraftOutcome: ...


CreatePackageResult = Annotated[PackageCreated | ErrorMember, strawberry.union("CreatePackageResult")]
SaveDraftResult = Annotated[DraftUpdated | ErrorMember, strawberry.union("SaveDraftResult")]
StepActionResult = Annotated[DraftUpdated | ErrorMember, strawberry.union("StepActionResult")]
PublishVersionResult = Annotated[VersionPublished | ErrorMember, strawberry.union("PublishVersionResult")]
DiscardDraftResult = Annotated[DraftDiscarded | ErrorMember, strawberry.union("DiscardDraftResult")]
RestoreVersionResult = Annotated[DraftUpdated | ErrorMember, strawberry.union("RestoreVersionResult")]
PackageResult = Annotated[PackageUpdated | ErrorMember, strawberry.union("PackageResult")]
DeletePackageResult = Annotated[PackageDeleted | ErrorMember, strawberry.union("DeletePackageResult")]
JobResult = Annotated[JobUpdated | ErrorMember, strawberry.union("JobResult")]
RetryBuildResult = Annotated[BuildRetried | ErrorMember, strawberry.union("RetryBuildResult")]
UploadDatasetResult = Annotated[DatasetUploaded | ErrorMember, strawberry.union("UploadDatasetResult")]
SetSecretResult = Annotated[SecretSet | ErrorMember, strawberry.union("SetSecretResult")]
DeleteSecretResult = Annotated[SecretDeleted | ErrorMember, strawberry.union("DeleteSecretResult")]
RefreshHardwareCatalogueResult = Annotated[
    HardwareCatalogueRefreshed | HardwareRefreshFailed | ErrorMember, strawberry.union("RefreshHardwareCatalogueResult")
]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a package with draft v1.")
    async def create_package(self, info: Info, input: CreatePackageInput) -> CreatePackageResult:
        async def run() -> PackageCreated:
            async with info.context.uow() as uow:
                package, version = await packages.create(
                    uow,
                    info.context.actor,
                    name=input.name,
                    description=input.description,
                    steps=_step_data(input.content, input.steps, "content"),
                    max_sources=info.context.services.settings.max_dataset_sources,
                    merge=input.content is not None,
                )
            return PackageCreated(package=Package.of(package), draft=Version.of(version))

        return await attempt(run())

    @strawberry.mutation(description="Save (or autosave) partial step data into the draft.")
    async def save_draft(self, info: Info, input: SaveDraftInput) -> SaveDraftResult:
        async def run() -> DraftUpdated:
            async with info.context.uow() as uow:
                outcome = await drafts.save(
                    uow,
                    info.context.actor,
                    decode_target(input.id),
                    _step_data(input.patch, input.steps, "patch") or {},
                    expected_revision=input.expected_revision,
                    trigger=input.trigger,
                    idempotency_key=input.idempotency_key,
                    config_preset=input.config_preset,
                    max_sources=info.context.services.settings.max_dataset_sources,
                    merge=input.patch is not None,
                )
            return DraftUpdated.of(outcome)

        return await attempt(run(), subject=input.id)

    @strawberry.mutation(description="Validate a step fully: COMPLETE and move on, or ERROR with its findings.")
    async def complete_step(self, info: Info, input: StepActionInput) -> StepActionResult:
        return await _step_action(info, input, drafts.complete_step)

    @strawberry.mutation(description="Open a step (allowed once every earlier step is COMPLETE).")
    async def open_step(self, info: Info, input: StepActionInput) -> StepActionResult:
        return await _step_action(info, input, drafts.open_step)

    @strawberry.mutation(description="Publish the draft as an immutable version.")
    async def publish_version(self, info: Info, input: PublishVersionInput) -> PublishVersionResult:
        async def run() -> VersionPublished:
            async with info.context.uow() as uow:
                outcome = await drafts.publish(
                    uow,
                    info.context.actor,
                    decode_target(input.id),
                    expected_revision=input.expected_revision,
                    changelog=input.changelog,
                )
            return VersionPublished(package=Package.of(outcome.package), version=Version.of(outcome.version))

        return await attempt(run(), subject=input.id)

    @strawberry.mutation(description="Drop the draft and return to the latest published version.")
    async def discard_draft(self, info: Info, input: DraftInput) -> DiscardDraftResult:
        async def run() -> DraftDiscarded:
            async with info.context.uow() as uow:
                package = await drafts.discard(
                    uow, info.context.actor, decode_target(input.id), expected_revision=input.expected_revision
                )
            return DraftDiscarded(package=Package.of(package))

        return await attempt(run(), subject=input.id)

    @strawberry.mutation(description="Open a new draft copied from a published version.")
    async def restore_version(self, info: Info, input: RestoreVersionInput) -> RestoreVersionResult:
        async def run() -> DraftUpdated:
            _, version_id = decode(input.version_id, "Version")
            async with info.context.uow() as uow:
                outcome = await drafts.restore(uow, info.context.actor, version_id)
            return DraftUpdated.of(outcome)

        return await attempt(run(), subject=input.version_id)

    @strawberry.mutation(description="Give the package an explicit name (it stops following the selections).")
    async def rename_package(self, info: Info, input: RenamePackageInput) -> PackageResult:
        async def run() -> PackageUpdated:
            _, package_id = decode(input.id, "Package")
            async with info.context.uow() as uow:
                package = await packages.rename(uow, info.context.actor, package_id, input.name)
            return PackageUpdated(package=Package.of(package))

        return await attempt(run(), subject=input.id)

    @strawberry.mutation
    async def archive_package(self, info: Info, input: PackageInput) -> PackageResult:
        return await _set_archived(info, input, archived=True)

    @strawberry.mutation
    async def unarchive_package(self, info: Info, input: PackageInput) -> PackageResult:
        return await _set_archived(info, input, archived=False)

    @strawberry.mutation(description="Delete a package that was never published.")
    async def delete_package(self, info: Info, input: PackageInput) -> DeletePackageResult:
        async def run() -> PackageDeleted:
            _, package_id = decode(input.id, "Package")
            async with info.context.uow() as uow:
                deleted = await packages.delete(uow, info.context.actor, package_id)
            return PackageDeleted(deleted_id=strawberry.ID(encode("Package", deleted)))

        return await attempt(run(), subject=input.id)

    @strawberry.mutation(description="Start a job on the package's current content (e.g. DOWNLOAD_MODEL).")
    async def start_job(self, info: Info, input: StartJobInput) -> JobResult:
        async def run() -> JobUpdated:
            _, package_id = decode(input.package_id, "Package")
            async with info.context.uow() as uow:
                job = await jobs.start(
                    uow,
                    info.context.actor,
                    package_id,
                    input.kind,
                    source_index=input.source_index,
                    options=_options(input),
                )
            return JobUpdated(job=Job.of(job))

        return await attempt(run(), subject=input.package_id)

    @strawberry.mutation(description="Build a published version again after its build FAILED (publish scope).")
    async def retry_build(self, info: Info, input: RetryBuildInput) -> RetryBuildResult:
        async def run() -> BuildRetried:
            _, version_id = decode(input.version_id, "Version")
            async with info.context.uow() as uow:
                version, job = await builds.retry(uow, info.context.actor, version_id)
            return BuildRetried(version=Version.of(version), job=Job.of(job))

        return await attempt(run(), subject=input.version_id)

    @strawberry.mutation(description="Cancel a job: a queued one at once, a running one at its next report.")
    async def cancel_job(self, info: Info, input: JobInput) -> JobResult:
        async def run() -> JobUpdated:
            _, job_id = decode(input.id, "Job")
            async with info.context.uow() as uow:
                job = await jobs.cancel(uow, info.context.actor, job_id)
            return JobUpdated(job=Job.of(job))

        return await attempt(run(), subject=input.id)

    @strawberry.mutation(
        description="Upload a dataset file (GraphQL multipart request; send an `Apollo-Require-Preflight` header)."
    )
    async def upload_dataset(
        self, info: Info, file: FileUpload, format: DatasetFileFormat | None = None
    ) -> UploadDatasetResult:
        async def run() -> DatasetUploaded:
            limit = info.context.services.settings.upload_max_bytes
            content = await read_limited(file, limit)
            async with info.context.uow() as uow:
                upload = await uploads.store(
                    uow,
                    info.context.actor,
                    getattr(file, "filename", None) or "upload",
                    content,
                    declared_format=format.value if format else None,
                    max_bytes=limit,
                )
            return DatasetUploaded(upload=DatasetUpload.of(upload))

        return await attempt(run())

    @strawberry.mutation(description="Create or replace an organisation secret (the `admin` scope).")
    async def set_secret(self, info: Info, input: SetSecretInput) -> SetSecretResult:
        async def run() -> SecretSet:
            async with info.context.uow() as uow:
                secret, created = await secrets.set_secret(
                    uow, info.context.actor, info.context.services.secret_box, input.name, input.value
                )
            return SecretSet(secret=Secret.of(secret), created=created)

        return await attempt(run())

    @strawberry.mutation(description="Delete an organisation secret (the `admin` scope).")
    async def delete_secret(self, info: Info, input: DeleteSecretInput) -> DeleteSecretResult:
        async def run() -> SecretDeleted:
            async with info.context.uow() as uow:
                name = await secrets.delete_secret(uow, info.context.actor, input.name)
            return SecretDeleted(name=name)

        return await attempt(run())

    @strawberry.mutation(
        description="Admin: read the Spaces hardware list from the Hub now and make it the catalogue in use "
        "(a Hub failure or an unusable list keeps the stored one)."
    )
    async def refresh_hardware_catalogue(self, info: Info) -> RefreshHardwareCatalogueResult:
        async def run() -> HardwareCatalogueRefreshed | HardwareRefreshFailed:
            services = info.context.services
            source = services.hardware_source
            if source is None:
                info.context.actor.require(Scope.ADMIN)
                raise OperationRefusedError("HARDWARE_REFRESH_UNAVAILABLE", "This server cannot read the Hub.")
            outcome = await catalogue.refresh(
                info.context.uow, info.context.actor, source, endpoint=services.settings.hf_endpoint
            )
            if isinstance(outcome, catalogue.RefreshFailed):
                return HardwareRefreshFailed.of(outcome)
            return HardwareCatalogueRefreshed.of(outcome)

        return await attempt(run())


async def _step_action(info: Info, input: StepActionInput, action: StepAction) -> StepActionResult:
    """Complete or open one step of the addressed draft."""

    async def run() -> DraftUpdated:
        async with info.context.uow() as uow:
            outcome = await action(
                uow,
                info.context.actor,
                decode_target(input.id),
                Step(input.step),
                expected_revision=input.expected_revision,
            )
        return DraftUpdated.of(outcome)

    return await attempt(run(), subject=input.id)


async def _set_archived(info: Info, input: PackageInput, *, archived: bool) -> PackageResult:
    async def run() -> PackageUpdated:
        _, package_id = decode(input.id, "Package")
        async with info.context.uow() as uow:
            package = await packages.set_archived(uow, info.context.actor, package_id, archived=archived)
        return PackageUpdated(package=Package.of(package))

    return await attempt(run(), subject=input.id)


def _options(input: StartJobInput) -> dict[str, object]:
    return {
        name: value
        for name, value in (("allowPatterns", input.allow_patterns), ("ignorePatterns", input.ignore_patterns))
        if value is not None
    }


async def read_limited(file: FileUpload, limit: int) -> bytes:
    """The upload's bytes, refused (before reading everything) once past ``limit``.

    Only a multipart file part is a file: an ``Upload`` written inline in the document or sent
    as a plain JSON variable arrives as whatever value the client typed, and is refused.
    """
    if not isinstance(file, UploadFile):
        raise OperationRefusedError(
            "UPLOAD_NOT_A_FILE", "The file must be sent as a multipart file part bound to an Upload variable."
        )
    reader = file
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await reader.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise OperationRefusedError("UPLOAD_TOO_LARGE", f"The file is over the {limit}-byte upload limit.")
            chunks.append(chunk)
    finally:
        await reader.close()  # its spooled temporary file
    return b"".join(chunks)


def _step_data(typed: StepsInput | None, raw: object, typed_name: str) -> dict[str, object] | None:
    """The step data of a write: the typed input as a merge patch, or the deprecated JSON form.

    The JSON form must be an object keyed by step name; sending both forms is refused.
    """
    if typed is not None:
        if raw is not None:
            message = f"Send either `{typed_name}` or the deprecated `steps`, not both."
            raise ValidationFailedError([DomainIssue("steps", IssueCode.CONFLICTING_FIELDS, message)])
        patch: dict[str, object] = to_patch(typed)
        return patch
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationFailedError([DomainIssue("steps", IssueCode.INVALID_TYPE, "Must be an object keyed by step.")])
    return raw
