from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields, PackageDetail


class CreatePackage(BaseModel):
    create_package: Union[
        "CreatePackageCreatePackagePackageCreated",
        "CreatePackageCreatePackageValidationFailed",
        "CreatePackageCreatePackageChecksPending",
        "CreatePackageCreatePackageRevisionConflict",
        "CreatePackageCreatePackageNotFound",
        "CreatePackageCreatePackageForbidden",
        "CreatePackageCreatePackageStepLocked",
        "CreatePackageCreatePackageVersionImmutable",
        "CreatePackageCreatePackageNothingToPublish",
        "CreatePackageCreatePackageNameTaken",
        "CreatePackageCreatePackageDraftExists",
        "CreatePackageCreatePackageIdempotencyKeyReused",
        "CreatePackageCreatePackageOperationRefused",
    ] = Field(alias="createPackage", discriminator="typename__")


class CreatePackageCreatePackagePackageCreated(BaseModel):
    typename__: Literal["PackageCreated"] = Field(alias="__typename")
    package: "CreatePackageCreatePackagePackageCreatedPackage"


CreatePackageCreatePackagePackageCreatedPackage = PackageDetail


class CreatePackageCreatePackageValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["CreatePackageCreatePackageValidationFailedIssues"]


CreatePackageCreatePackageValidationFailedIssues = IssueFields


class CreatePackageCreatePackageChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class CreatePackageCreatePackageNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class CreatePackageCreatePackageVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class CreatePackageCreatePackageOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


CreatePackage.model_rebuild()
CreatePackageCreatePackagePackageCreated.model_rebuild()
CreatePackageCreatePackageValidationFailed.model_rebuild()
