from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import (
    JobFields,
    JobFieldsError,  # noqa: F401
)


class GetJob(BaseModel):
    node: Optional[
        Annotated[
            Union["GetJobNodeNode", "GetJobNodeJob"], Field(discriminator="typename__")
        ]
    ]


class GetJobNodeNode(BaseModel):
    typename__: Literal["Event", "Node", "Package", "Version"] = Field(
        alias="__typename"
    )


class GetJobNodeJob(JobFields):
    typename__: Literal["Job"] = Field(alias="__typename")


GetJob.model_rebuild()
