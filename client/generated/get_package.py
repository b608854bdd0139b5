from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import (  # noqa: F401
    PackageDetail,
    PackageDetailDraft,
    PackageDetailLatestPublishedVersion,
)


class GetPackage(BaseModel):
    node: Optional[
        Annotated[
            Union["GetPackageNodeNode", "GetPackageNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class GetPackageNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class GetPackageNodePackage(PackageDetail):
    typename__: Literal["Package"] = Field(alias="__typename")


GetPackage.model_rebuild()
