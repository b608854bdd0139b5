from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import PackageSummary


class ListPackages(BaseModel):
    packages: "ListPackagesPackages"


class ListPackagesPackages(BaseModel):
    page_info: "ListPackagesPackagesPageInfo" = Field(alias="pageInfo")
    edges: list["ListPackagesPackagesEdges"]


class ListPackagesPackagesPageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class ListPackagesPackagesEdges(BaseModel):
    node: "ListPackagesPackagesEdgesNode"


ListPackagesPackagesEdgesNode = PackageSummary
ListPackages.model_rebuild()
ListPackagesPackages.model_rebuild()
ListPackagesPackagesEdges.model_rebuild()
