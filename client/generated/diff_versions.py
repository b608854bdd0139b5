from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import StepName


class DiffVersions(BaseModel):
    node: Optional[
        Annotated[
            Union["DiffVersionsNodeNode", "DiffVersionsNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class DiffVersionsNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class DiffVersionsNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    diff: Optional["DiffVersionsNodePackageDiff"]


class DiffVersionsNodePackageDiff(BaseModel):
    identical: bool
    changes: list["DiffVersionsNodePackageDiffChanges"]


class DiffVersionsNodePackageDiffChanges(BaseModel):
    step: StepName
    path: str
    kind: str
    before: Optional[Any]
    after: Optional[Any]


DiffVersions.model_rebuild()
DiffVersionsNodePackage.model_rebuild()
DiffVersionsNodePackageDiff.model_rebuild()
