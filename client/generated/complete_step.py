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


class CompleteStep(BaseModel):
    complete_step: Union[
        "CompleteStepCompleteStepDraftUpdated",
        "CompleteStepCompleteStepValidationFailed",
        "CompleteStepCompleteStepChecksPending",
        "CompleteStepCompleteStepRevisionConflict",
        "CompleteStepCompleteStepNotFound",
        "CompleteStepCompleteStepForbidden",
        "CompleteStepCompleteStepStepLocked",
        "CompleteStepCompleteStepVersionImmutable",
        "CompleteStepCompleteStepNothingToPublish",
        "CompleteStepCompleteStepNameTaken",
        "CompleteStepCompleteStepDraftExists",
        "CompleteStepCompleteStepIdempotencyKeyReused",
        "CompleteStepCompleteStepOperationRefused",
    ] = Field(alias="completeStep", discriminator="typename__")


class CompleteStepCompleteStepDraftUpdated(DraftUpdatedFields):
    typename__: Literal["DraftUpdated"] = Field(alias="__typename")


class CompleteStepCompleteStepValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["CompleteStepCompleteStepValidationFailedIssues"]


CompleteStepCompleteStepValidationFailedIssues = IssueFields


class CompleteStepCompleteStepChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class CompleteStepCompleteStepNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class CompleteStepCompleteStepVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class CompleteStepCompleteStepOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


CompleteStep.model_rebuild()
CompleteStepCompleteStepValidationFailed.model_rebuild()
