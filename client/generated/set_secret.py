from datetime import datetime
from typing import Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields


class SetSecret(BaseModel):
    set_secret: Union[
        "SetSecretSetSecretSecretSet",
        "SetSecretSetSecretValidationFailed",
        "SetSecretSetSecretChecksPending",
        "SetSecretSetSecretRevisionConflict",
        "SetSecretSetSecretNotFound",
        "SetSecretSetSecretForbidden",
        "SetSecretSetSecretStepLocked",
        "SetSecretSetSecretVersionImmutable",
        "SetSecretSetSecretNothingToPublish",
        "SetSecretSetSecretNameTaken",
        "SetSecretSetSecretDraftExists",
        "SetSecretSetSecretIdempotencyKeyReused",
        "SetSecretSetSecretOperationRefused",
    ] = Field(alias="setSecret", discriminator="typename__")


class SetSecretSetSecretSecretSet(BaseModel):
    typename__: Literal["SecretSet"] = Field(alias="__typename")
    created: bool
    secret: "SetSecretSetSecretSecretSetSecret"


class SetSecretSetSecretSecretSetSecret(BaseModel):
    name: str
    last_four: Optional[str] = Field(alias="lastFour")
    updated_at: datetime = Field(alias="updatedAt")


class SetSecretSetSecretValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["SetSecretSetSecretValidationFailedIssues"]


SetSecretSetSecretValidationFailedIssues = IssueFields


class SetSecretSetSecretChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class SetSecretSetSecretNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class SetSecretSetSecretVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class SetSecretSetSecretOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


SetSecret.model_rebuild()
SetSecretSetSecretSecretSet.model_rebuild()
SetSecretSetSecretValidationFailed.model_rebuild()
