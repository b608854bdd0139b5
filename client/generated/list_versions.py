from datetime import datetime
from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import VersionStatus


class ListVersions(BaseModel):
    node: Optional[
        Annotated[
            Union["ListVersionsNodeNode", "ListVersionsNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class ListVersionsNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class ListVersionsNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    versions: "ListVersionsNodePackageVersions"


class ListVersionsNodePackageVersions(BaseModel):
    page_info: "ListVersionsNodePackageVersionsPageInfo" = Field(alias="pageInfo")
    edges: list["ListVersionsNodePackageVersionsEdges"]


class ListVersionsNodePackageVersionsPageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class ListVersionsNodePackageVersionsEdges(BaseModel):
    node: "ListVersionsNodePackageVersionsEdgesNode"


class ListVersionsNodePackageVersionsEdgesNode(BaseModel):
    id: str
    number: int
    status: VersionStatus
    revision: int
    content_hash: str = Field(alias="contentHash")
    published_at: Optional[datetime] = Field(alias="publishedAt")
    published_by: Optional[str] = Field(alias="publishedBy")
    changelog: Optional[str]


ListVersions.model_rebuild()
ListVersionsNodePackage.model_rebuild()
ListVersionsNodePackageVersions.model_rebuild()
ListVersionsNodePackageVersionsEdges.model_rebuild()
