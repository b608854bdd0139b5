from datetime import datetime
from typing import Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import JobKind, JobStatus, StepName, StepStatus


class PackageEvents(BaseModel):
    package_events: Union[
        "PackageEventsPackageEventsPackageEvent",
        "PackageEventsPackageEventsJobEvent",
        "PackageEventsPackageEventsStepStatusChangedEvent",
        "PackageEventsPackageEventsVersionPublishedEvent",
    ] = Field(alias="packageEvents", discriminator="typename__")


class PackageEventsPackageEventsPackageEvent(BaseModel):
    typename__: Literal[
        "CurrentStepChangedEvent",
        "DraftDiscardedEvent",
        "DraftOpenedEvent",
        "DraftSavedEvent",
        "EstimateChangedEvent",
        "PackageArchivedEvent",
        "PackageCreatedEvent",
        "PackageDeletedEvent",
        "PackageEvent",
        "PackageRenamedEvent",
        "PipelineEvent",
        "SecretChangedEvent",
    ] = Field(alias="__typename")
    cursor: str
    at: datetime
    package_id: Optional[str] = Field(alias="packageId")


class PackageEventsPackageEventsJobEvent(BaseModel):
    typename__: Literal["JobEvent"] = Field(alias="__typename")
    cursor: str
    at: datetime
    package_id: Optional[str] = Field(alias="packageId")
    job_id: str = Field(alias="jobId")
    kind: JobKind
    status: JobStatus
    progress: float
    message: str
    attempts: int
    error_code: Optional[str] = Field(alias="errorCode")
    finished: bool


class PackageEventsPackageEventsStepStatusChangedEvent(BaseModel):
    typename__: Literal["StepStatusChangedEvent"] = Field(alias="__typename")
    cursor: str
    at: datetime
    package_id: Optional[str] = Field(alias="packageId")
    step: StepName
    from_status: StepStatus = Field(alias="fromStatus")
    to_status: StepStatus = Field(alias="toStatus")
    error_count: int = Field(alias="errorCount")


class PackageEventsPackageEventsVersionPublishedEvent(BaseModel):
    typename__: Literal["VersionPublishedEvent"] = Field(alias="__typename")
    cursor: str
    at: datetime
    package_id: Optional[str] = Field(alias="packageId")
    number: int


PackageEvents.model_rebuild()
