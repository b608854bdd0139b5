from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields


class DeleteSecret(BaseModel):
    delete_secret: Union[
        "DeleteSecretDeleteSecretSecretDeleted",
        "DeleteSecretDeleteSecretValidationFailed",
        "DeleteSecretDeleteSecretChecksPending",
        "DeleteSecretDeleteSecretRevisionConflict",
        "DeleteSecretDeleteSecretNotFound",
        "DeleteSecretDeleteSecretForbidden",
        "DeleteSecretDeleteSecretStepLocked",
        "DeleteSecretDeleteSecretVersionImmutable",
        "DeleteSecretDeleteSecretNothingToPublish",
        "DeleteSecretDeleteSecretNameTaken",
        "DeleteSecretDeleteSecretDraftExists",
        "DeleteSecretDeleteSecretIdempotencyKeyReused",
        "DeleteSecretDeleteSecretOperationRefused",
    ] = Field(alias="deleteSecret", discriminator="typename__")


class DeleteSecretDeleteSecretSecretDeleted(BaseModel):
    typename__: Literal["SecretDeleted"] = Field(alias="__typename")
    name: str


class DeleteSecretDeleteSecretValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["DeleteSecretDeleteSecretValidationFailedIssues"]


DeleteSecretDeleteSecretValidationFailedIssues = IssueFields


class DeleteSecretDeleteSecretChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class DeleteSecretDeleteSecretNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class DeleteSecretDeleteSecretVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class DeleteSecretDeleteSecretOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


DeleteSecret.model_rebuild()
DeleteSecretDeleteSecretValidationFailed.model_rebuild()
