from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import JobFields


class PackageJobs(BaseModel):
    node: Optional[
        Annotated[
            Union["PackageJobsNodeNode", "PackageJobsNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class PackageJobsNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class PackageJobsNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    jobs: "PackageJobsNodePackageJobs"


class PackageJobsNodePackageJobs(BaseModel):
    edges: list["PackageJobsNodePackageJobsEdges"]


class PackageJobsNodePackageJobsEdges(BaseModel):
    node: "PackageJobsNodePackageJobsEdgesNode"


PackageJobsNodePackageJobsEdgesNode = JobFields
PackageJobs.model_rebuild()
PackageJobsNodePackage.model_rebuild()
PackageJobsNodePackageJobs.model_rebuild()
PackageJobsNodePackageJobsEdges.model_rebuild()
