from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class ListSecrets(BaseModel):
    secrets: list["ListSecretsSecrets"]


class ListSecretsSecrets(BaseModel):
    name: str
    last_four: Optional[str] = Field(alias="lastFour")
    created_at: datetime = Field(alias="createdAt")
    created_by: str = Field(alias="createdBy")
    updated_at: datetime = Field(alias="updatedAt")
    updated_by: str = Field(alias="updatedBy")


ListSecrets.model_rebuild()
