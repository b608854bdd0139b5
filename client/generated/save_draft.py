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


class SaveDraft(BaseModel):
    save_draft: Union[
        "SaveDraftSaveDraftDraftUpdated",
        "SaveDraftSaveDraftValidationFailed",
        "SaveDraftSaveDraftChecksPending",
        "SaveDraftSaveDraftRevisionConflict",
        "SaveDraftSaveDraftNotFound",
        "SaveDraftSaveDraftForbidden",
        "SaveDraftSaveDraftStepLocked",
        "SaveDraftSaveDraftVersionImmutable",
        "SaveDraftSaveDraftNothingToPublish",
        "SaveDraftSaveDraftNameTaken",
        "SaveDraftSaveDraftDraftExists",
        "SaveDraftSaveDraftIdempotencyKeyReused",
        "SaveDraftSaveDraftOperationRefused",
    ] = Field(alias="saveDraft", discriminator="typename__")


class SaveDraftSaveDraftDraftUpdated(DraftUpdatedFields):
    typename__: Literal["DraftUpdated"] = Field(alias="__typename")


class SaveDraftSaveDraftValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["SaveDraftSaveDraftValidationFailedIssues"]


SaveDraftSaveDraftValidationFailedIssues = IssueFields


class SaveDraftSaveDraftChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class SaveDraftSaveDraftNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class SaveDraftSaveDraftVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class SaveDraftSaveDraftOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


SaveDraft.model_rebuild()
SaveDraftSaveDraftValidationFailed.model_rebuild()
