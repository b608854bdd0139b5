"""The caller and its organisation."""

from __future__ import annotations

import strawberry

from workflow.presets import PRESETS


@strawberry.type
class Organisation:
    id: strawberry.ID
    name: str


@strawberry.type(description="Who the token belongs to and what it may do.")
class Viewer:
    organisation: Organisation
    token_name: str
    scopes: list[str]


@strawberry.type(description="A named configuration preset for step 2.")
class ConfigPreset:
    key: str
    title: str
    description: str
    values: strawberry.scalars.JSON


def config_presets() -> list[ConfigPreset]:
    """Every preset, in a stable order."""
    return [
        ConfigPreset(key=p.key, title=p.title, description=p.description, values=strawberry.scalars.JSON(p.values))
        for p in PRESETS.values()
    ]
