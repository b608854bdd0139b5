from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import JobKind, JobStatus


class JobEvents(BaseModel):
    job_events: "JobEventsJobEvents" = Field(alias="jobEvents")


class JobEventsJobEvents(BaseModel):
    cursor: str
    at: datetime
    job_id: str = Field(alias="jobId")
    kind: JobKind
    status: JobStatus
    progress: float
    message: str
    attempts: int
    error_code: Optional[str] = Field(alias="errorCode")
    finished: bool


JobEvents.model_rebuild()
