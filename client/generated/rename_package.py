from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields, PackageSummary


class RenamePackage(BaseModel):
    rename_package: Union[
        "RenamePackageRenamePackagePackageUpdated",
        "RenamePackageRenamePackageValidationFailed",
        "RenamePackageRenamePackageChecksPending",
        "RenamePackageRenamePackageRevisionConflict",
        "RenamePackageRenamePackageNotFound",
        "RenamePackageRenamePackageForbidden",
        "RenamePackageRenamePackageStepLocked",
        "RenamePackageRenamePackageVersionImmutable",
        "RenamePackageRenamePackageNothingToPublish",
        "RenamePackageRenamePackageNameTaken",
        "RenamePackageRenamePackageDraftExists",
        "RenamePackageRenamePackageIdempotencyKeyReused",
        "RenamePackageRenamePackageOperationRefused",
    ] = Field(alias="renamePackage", discriminator="typename__")


class RenamePackageRenamePackagePackageUpdated(BaseModel):
    typename__: Literal["PackageUpdated"] = Field(alias="__typename")
    package: "RenamePackageRenamePackagePackageUpdatedPackage"


RenamePackageRenamePackagePackageUpdatedPackage = PackageSummary


class RenamePackageRenamePackageValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["RenamePackageRenamePackageValidationFailedIssues"]


RenamePackageRenamePackageValidationFailedIssues = IssueFields


class RenamePackageRenamePackageChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class RenamePackageRenamePackageNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class RenamePackageRenamePackageVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class RenamePackageRenamePackageOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


RenamePackage.model_rebuild()
RenamePackageRenamePackagePackageUpdated.model_rebuild()
RenamePackageRenamePackageValidationFailed.model_rebuild()
