from .base_model import BaseModel
from .fragments import JobFields


class ListJobs(BaseModel):
    jobs: "ListJobsJobs"


class ListJobsJobs(BaseModel):
    edges: list["ListJobsJobsEdges"]


class ListJobsJobsEdges(BaseModel):
    node: "ListJobsJobsEdgesNode"


ListJobsJobsEdgesNode = JobFields
ListJobs.model_rebuild()
ListJobsJobs.model_rebuild()
ListJobsJobsEdges.model_rebuild()
