from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel


class PackageEventCursors(BaseModel):
    node: Optional[
        Annotated[
            Union["PackageEventCursorsNodeNode", "PackageEventCursorsNodePackage"],
            Field(discriminator="typename__"),
        ]
    ]


class PackageEventCursorsNodeNode(BaseModel):
    typename__: Literal["Event", "Job", "Node", "Version"] = Field(alias="__typename")


class PackageEventCursorsNodePackage(BaseModel):
    typename__: Literal["Package"] = Field(alias="__typename")
    events: "PackageEventCursorsNodePackageEvents"


class PackageEventCursorsNodePackageEvents(BaseModel):
    page_info: "PackageEventCursorsNodePackageEventsPageInfo" = Field(alias="pageInfo")


class PackageEventCursorsNodePackageEventsPageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


PackageEventCursors.model_rebuild()
PackageEventCursorsNodePackage.model_rebuild()
PackageEventCursorsNodePackageEvents.model_rebuild()
