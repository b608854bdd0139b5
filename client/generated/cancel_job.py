from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields, JobFields


class CancelJob(BaseModel):
    cancel_job: Union[
        "CancelJobCancelJobJobUpdated",
        "CancelJobCancelJobValidationFailed",
        "CancelJobCancelJobChecksPending",
        "CancelJobCancelJobRevisionConflict",
        "CancelJobCancelJobNotFound",
        "CancelJobCancelJobForbidden",
        "CancelJobCancelJobStepLocked",
        "CancelJobCancelJobVersionImmutable",
        "CancelJobCancelJobNothingToPublish",
        "CancelJobCancelJobNameTaken",
        "CancelJobCancelJobDraftExists",
        "CancelJobCancelJobIdempotencyKeyReused",
        "CancelJobCancelJobOperationRefused",
    ] = Field(alias="cancelJob", discriminator="typename__")


class CancelJobCancelJobJobUpdated(BaseModel):
    typename__: Literal["JobUpdated"] = Field(alias="__typename")
    job: "CancelJobCancelJobJobUpdatedJob"


CancelJobCancelJobJobUpdatedJob = JobFields


class CancelJobCancelJobValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["CancelJobCancelJobValidationFailedIssues"]


CancelJobCancelJobValidationFailedIssues = IssueFields


class CancelJobCancelJobChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class CancelJobCancelJobNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class CancelJobCancelJobVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class CancelJobCancelJobOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


CancelJob.model_rebuild()
CancelJobCancelJobJobUpdated.model_rebuild()
CancelJobCancelJobValidationFailed.model_rebuild()
