from datetime import datetime
from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import (
    IssueCode,
    JobKind,
    JobStatus,
    Severity,
    StepName,
    StepStatus,
    VersionStatus,
)


class IssueFields(BaseModel):
    path: str
    code: IssueCode
    message: str
    severity: Severity


class StepFields(BaseModel):
    step: StepName
    status: StepStatus
    data: Any
    summary: Optional[str]
    completed_at: Optional[datetime] = Field(alias="completedAt")
    errors: list["StepFieldsErrors"]
    warnings: list["StepFieldsWarnings"]


class StepFieldsErrors(IssueFields):
    pass


class StepFieldsWarnings(IssueFields):
    pass


class VersionFields(BaseModel):
    id: str
    number: int
    status: VersionStatus
    revision: int
    current_step: StepName = Field(alias="currentStep")
    content_hash: str = Field(alias="contentHash")
    saved_at: Optional[datetime] = Field(alias="savedAt")
    published_at: Optional[datetime] = Field(alias="publishedAt")
    changelog: Optional[str]
    steps: list["VersionFieldsSteps"]
    progress: "VersionFieldsProgress"


class VersionFieldsSteps(StepFields):
    pass


class VersionFieldsProgress(BaseModel):
    completed: int
    total: int
    next_action: str = Field(alias="nextAction")
    next_step: Optional[StepName] = Field(alias="nextStep")


class DraftUpdatedFields(BaseModel):
    changed: bool
    revision: int
    saved_at: Optional[datetime] = Field(alias="savedAt")
    errors: list["DraftUpdatedFieldsErrors"]
    warnings: list["DraftUpdatedFieldsWarnings"]
    version: "DraftUpdatedFieldsVersion"


class DraftUpdatedFieldsErrors(IssueFields):
    pass


class DraftUpdatedFieldsWarnings(IssueFields):
    pass


class DraftUpdatedFieldsVersion(VersionFields):
    pass


class JobFields(BaseModel):
    id: str
    kind: JobKind
    status: JobStatus
    progress: float
    message: str
    attempts: int
    cancel_requested: bool = Field(alias="cancelRequested")
    created_at: datetime = Field(alias="createdAt")
    finished_at: Optional[datetime] = Field(alias="finishedAt")
    package_id: str = Field(alias="packageId")
    error: Optional["JobFieldsError"]


class JobFieldsError(BaseModel):
    code: str
    message: str


class PackageSummary(BaseModel):
    id: str
    name: str
    name_is_custom: bool = Field(alias="nameIsCustom")
    description: str
    updated_at: datetime = Field(alias="updatedAt")
    archived_at: Optional[datetime] = Field(alias="archivedAt")
    current_revision: int = Field(alias="currentRevision")


class PackageDetail(PackageSummary):
    draft: Optional["PackageDetailDraft"]
    latest_published_version: Optional["PackageDetailLatestPublishedVersion"] = Field(
        alias="latestPublishedVersion"
    )


class PackageDetailDraft(VersionFields):
    pass


class PackageDetailLatestPublishedVersion(VersionFields):
    pass


IssueFields.model_rebuild()
StepFields.model_rebuild()
VersionFields.model_rebuild()
DraftUpdatedFields.model_rebuild()
JobFields.model_rebuild()
PackageSummary.model_rebuild()
PackageDetail.model_rebuild()
