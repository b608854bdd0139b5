from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName
from .fragments import IssueFields, PackageSummary


class ArchivePackage(BaseModel):
    archive_package: Union[
        "ArchivePackageArchivePackagePackageUpdated",
        "ArchivePackageArchivePackageValidationFailed",
        "ArchivePackageArchivePackageChecksPending",
        "ArchivePackageArchivePackageRevisionConflict",
        "ArchivePackageArchivePackageNotFound",
        "ArchivePackageArchivePackageForbidden",
        "ArchivePackageArchivePackageStepLocked",
        "ArchivePackageArchivePackageVersionImmutable",
        "ArchivePackageArchivePackageNothingToPublish",
        "ArchivePackageArchivePackageNameTaken",
        "ArchivePackageArchivePackageDraftExists",
        "ArchivePackageArchivePackageIdempotencyKeyReused",
        "ArchivePackageArchivePackageOperationRefused",
    ] = Field(alias="archivePackage", discriminator="typename__")


class ArchivePackageArchivePackagePackageUpdated(BaseModel):
    typename__: Literal["PackageUpdated"] = Field(alias="__typename")
    package: "ArchivePackageArchivePackagePackageUpdatedPackage"


ArchivePackageArchivePackagePackageUpdatedPackage = PackageSummary


class ArchivePackageArchivePackageValidationFailed(BaseModel):
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    typename__: Literal["ValidationFailed"] = Field(alias="__typename")
    code: str
    message: str
    issues: list["ArchivePackageArchivePackageValidationFailedIssues"]


ArchivePackageArchivePackageValidationFailedIssues = IssueFields


class ArchivePackageArchivePackageChecksPending(BaseModel):
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    typename__: Literal["ChecksPending"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageRevisionConflict(BaseModel):
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    typename__: Literal["RevisionConflict"] = Field(alias="__typename")
    code: str
    message: str
    expected_revision: int = Field(alias="expectedRevision")
    current_revision: int = Field(alias="currentRevision")


class ArchivePackageArchivePackageNotFound(BaseModel):
    typename__: Literal["NotFound"] = Field(alias="__typename")
    typename__: Literal["NotFound"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageForbidden(BaseModel):
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    typename__: Literal["Forbidden"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageStepLocked(BaseModel):
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    typename__: Literal["StepLocked"] = Field(alias="__typename")
    code: str
    message: str
    step: StepName
    blocked_by: list[StepName] = Field(alias="blockedBy")


class ArchivePackageArchivePackageVersionImmutable(BaseModel):
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    typename__: Literal["VersionImmutable"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageNothingToPublish(BaseModel):
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    typename__: Literal["NothingToPublish"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageNameTaken(BaseModel):
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    typename__: Literal["NameTaken"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageDraftExists(BaseModel):
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    typename__: Literal["DraftExists"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageIdempotencyKeyReused(BaseModel):
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    typename__: Literal["IdempotencyKeyReused"] = Field(alias="__typename")
    code: str
    message: str


class ArchivePackageArchivePackageOperationRefused(BaseModel):
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    typename__: Literal["OperationRefused"] = Field(alias="__typename")
    code: str
    message: str


ArchivePackage.model_rebuild()
ArchivePackageArchivePackagePackageUpdated.model_rebuild()
ArchivePackageArchivePackageValidationFailed.model_rebuild()
