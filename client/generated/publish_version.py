from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields, VersionFields


class PublishVersion(BaseModel):
    publish_version: Union[
        "PublishVersionPublishVersionVersionPublished",
        "PublishVersionPublishVersionValidationFailed",
        "PublishVersionPublishVersionChecksPending",
        "PublishVersionPublishVersionRevisionConflict",
        "PublishVersionPublishVersionNotFound",
        "PublishVersionPublishVersionForbidden",
        "PublishVersionPublishVersionStepLocked",
        "PublishVersionPublishVersionVersionImmutable",
        "PublishVersionPublishVersionNothingToPublish",
        "PublishVersionPublishVersionNameTaken",
        "PublishVersionPublishVersionDraftExists",
        "PublishVersionPublishVersionIdempotencyKeyReused",
        "PublishVersionPublishVersionOperationRefused",
    ] = Field(alias="publishVersion", discriminator="typename__")


class PublishVersionPublishVersionVersionPublished(BaseModel):
    typename__: Literal["VersionPublished"] = Field(alias="__typename")
    version: "PublishVersionPublishVersionVersionPublishedVersion"


PublishVersionPublishVersionVersionPublishedVersion = VersionFields


class PublishVersionPublishVersionValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["PublishVersionPublishVersionValidationFailedIssues"]


PublishVersionPublishVersionValidationFailedIssues = IssueFields


class PublishVersionPublishVersionChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class PublishVersionPublishVersionNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class PublishVersionPublishVersionVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class PublishVersionPublishVersionOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


PublishVersion.model_rebuild()
PublishVersionPublishVersionVersionPublished.model_rebuild()
PublishVersionPublishVersionValidationFailed.model_rebuild()
