from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import JobKind, SaveTrigger, StepName


class CreatePackageInput(BaseModel):
    name: Optional[str] = None
    "Omit to follow the selections automatically."
    description: Optional[str] = None
    steps: Optional[Any] = None
    "Initial step data, keyed by step name."


class DraftInput(BaseModel):
    id: str
    expected_revision: int = Field(alias="expectedRevision")


class JobInput(BaseModel):
    id: str


class PackageFilterInput(BaseModel):
    """Filters of the package listing; omitted means either."""

    archived: Optional[bool] = False
    "Default: only packages not archived."
    has_draft: Optional[bool] = Field(alias="hasDraft", default=None)
    search: Optional[str] = None
    "Case-insensitive part of the name."


class PackageInput(BaseModel):
    id: str


class PublishVersionInput(BaseModel):
    id: str
    expected_revision: int = Field(alias="expectedRevision")
    changelog: Optional[str] = None


class RenamePackageInput(BaseModel):
    id: str
    name: str


class RestoreVersionInput(BaseModel):
    version_id: str = Field(alias="versionId")


class SaveDraftInput(BaseModel):
    """Partial step data to store in the draft; refused only if malformed."""

    id: str
    "A package (its draft, opened if needed) or a draft version."
    expected_revision: int = Field(alias="expectedRevision")
    steps: Any
    'Step blocks to replace, e.g. {"config": {"epochs": 3}}.'
    trigger: SaveTrigger = SaveTrigger.MANUAL
    idempotency_key: Optional[str] = Field(alias="idempotencyKey", default=None)
    "Retries with it get the first answer."
    config_preset: Optional[str] = Field(alias="configPreset", default=None)
    "Fill step 2 from a named preset first."


class StartJobInput(BaseModel):
    """A job to start on a package's current content."""

    package_id: str = Field(alias="packageId")
    kind: JobKind
    source_index: Optional[int] = Field(alias="sourceIndex", default=None)
    "PROFILE_DATASET: which source (0-based)."
    allow_patterns: Optional[list[str]] = Field(alias="allowPatterns", default=None)
    "DOWNLOAD_MODEL: only files matching these globs (default: safetensors weights)."
    ignore_patterns: Optional[list[str]] = Field(alias="ignorePatterns", default=None)
    "DOWNLOAD_MODEL: skip these globs."


class StepActionInput(BaseModel):
    id: str
    expected_revision: int = Field(alias="expectedRevision")
    step: StepName
