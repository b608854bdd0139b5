from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields, PackageSummary


class UnarchivePackage(BaseModel):
    unarchive_package: Union[
        "UnarchivePackageUnarchivePackagePackageUpdated",
        "UnarchivePackageUnarchivePackageValidationFailed",
        "UnarchivePackageUnarchivePackageChecksPending",
        "UnarchivePackageUnarchivePackageRevisionConflict",
        "UnarchivePackageUnarchivePackageNotFound",
        "UnarchivePackageUnarchivePackageForbidden",
        "UnarchivePackageUnarchivePackageStepLocked",
        "UnarchivePackageUnarchivePackageVersionImmutable",
        "UnarchivePackageUnarchivePackageNothingToPublish",
        "UnarchivePackageUnarchivePackageNameTaken",
        "UnarchivePackageUnarchivePackageDraftExists",
        "UnarchivePackageUnarchivePackageIdempotencyKeyReused",
        "UnarchivePackageUnarchivePackageOperationRefused",
    ] = Field(alias="unarchivePackage", discriminator="typename__")


class UnarchivePackageUnarchivePackagePackageUpdated(BaseModel):
    typename__: Literal["PackageUpdated"] = Field(alias="__typename")
    package: "UnarchivePackageUnarchivePackagePackageUpdatedPackage"


UnarchivePackageUnarchivePackagePackageUpdatedPackage = PackageSummary


class UnarchivePackageUnarchivePackageValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["UnarchivePackageUnarchivePackageValidationFailedIssues"]


UnarchivePackageUnarchivePackageValidationFailedIssues = IssueFields


class UnarchivePackageUnarchivePackageChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class UnarchivePackageUnarchivePackageNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class UnarchivePackageUnarchivePackageVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class UnarchivePackageUnarchivePackageOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


UnarchivePackage.model_rebuild()
UnarchivePackageUnarchivePackagePackageUpdated.model_rebuild()
UnarchivePackageUnarchivePackageValidationFailed.model_rebuild()
