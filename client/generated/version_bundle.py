from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel


class VersionBundle(BaseModel):
    node: Optional[
        Annotated[
            Union["VersionBundleNodeNode", "VersionBundleNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class VersionBundleNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class VersionBundleNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    version: Optional["VersionBundleNodePackageVersion"]


class VersionBundleNodePackageVersion(BaseModel):
    number: int
    bundle: Optional["VersionBundleNodePackageVersionBundle"]


class VersionBundleNodePackageVersionBundle(BaseModel):
    sha_256: str = Field(alias="sha256")
    size_bytes: float = Field(alias="sizeBytes")
    download_url: str = Field(alias="downloadUrl")


VersionBundle.model_rebuild()
VersionBundleNodePackage.model_rebuild()
VersionBundleNodePackageVersion.model_rebuild()
