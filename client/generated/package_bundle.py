from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel


class PackageBundle(BaseModel):
    node: Optional[
        Annotated[
            Union["PackageBundleNodeNode", "PackageBundleNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class PackageBundleNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class PackageBundleNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    latest_published_version: Optional[
        "PackageBundleNodePackageLatestPublishedVersion"
    ] = Field(alias="latestPublishedVersion")


class PackageBundleNodePackageLatestPublishedVersion(BaseModel):
    number: int
    bundle: Optional["PackageBundleNodePackageLatestPublishedVersionBundle"]


class PackageBundleNodePackageLatestPublishedVersionBundle(BaseModel):
    sha_256: str = Field(alias="sha256")
    size_bytes: float = Field(alias="sizeBytes")
    download_url: str = Field(alias="downloadUrl")


PackageBundle.model_rebuild()
PackageBundleNodePackage.model_rebuild()
PackageBundleNodePackageLatestPublishedVersion.model_rebuild()
