from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import (  # noqa: F401
    DraftUpdatedFields,
    DraftUpdatedFieldsErrors,
    DraftUpdatedFieldsVersion,
    DraftUpdatedFieldsWarnings,
    IssueFields,
)


class RestoreVersion(BaseModel):
    restore_version: Union[
        "RestoreVersionRestoreVersionDraftUpdated",
        "RestoreVersionRestoreVersionValidationFailed",
        "RestoreVersionRestoreVersionChecksPending",
        "RestoreVersionRestoreVersionRevisionConflict",
        "RestoreVersionRestoreVersionNotFound",
        "RestoreVersionRestoreVersionForbidden",
        "RestoreVersionRestoreVersionStepLocked",
        "RestoreVersionRestoreVersionVersionImmutable",
        "RestoreVersionRestoreVersionNothingToPublish",
        "RestoreVersionRestoreVersionNameTaken",
        "RestoreVersionRestoreVersionDraftExists",
        "RestoreVersionRestoreVersionIdempotencyKeyReused",
        "RestoreVersionRestoreVersionOperationRefused",
    ] = Field(alias="restoreVersion", discriminator="typename__")


class RestoreVersionRestoreVersionDraftUpdated(DraftUpdatedFields):
    typename__: Literal["DraftUpdated"] = Field(alias="__typename")


class RestoreVersionRestoreVersionValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["RestoreVersionRestoreVersionValidationFailedIssues"]


RestoreVersionRestoreVersionValidationFailedIssues = IssueFields


class RestoreVersionRestoreVersionChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class RestoreVersionRestoreVersionNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class RestoreVersionRestoreVersionVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class RestoreVersionRestoreVersionOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


RestoreVersion.model_rebuild()
RestoreVersionRestoreVersionValidationFailed.model_rebuild()
