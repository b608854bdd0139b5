from pydantic import Field

from .base_model import BaseModel


class Viewer(BaseModel):
    viewer: "ViewerViewer"


class ViewerViewer(BaseModel):
    organisation: "ViewerViewerOrganisation"
    token_name: str = Field(alias="tokenName")
    scopes: list[str]


class ViewerViewerOrganisation(BaseModel):
    name: str


Viewer.model_rebuild()
ViewerViewer.model_rebuild()
