from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import VersionStatus


class VersionId(BaseModel):
    node: Optional[
        Annotated[
            Union["VersionIdNodeNode", "VersionIdNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class VersionIdNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class VersionIdNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    version: Optional["VersionIdNodePackageVersion"]


class VersionIdNodePackageVersion(BaseModel):
    id: str
    status: VersionStatus


VersionId.model_rebuild()
VersionIdNodePackage.model_rebuild()
