"""The caller and its organisation."""

from __future__ import annotations

import strawberry

from api.steps.outputs import ConfigStep
from workflow.presets import PRESETS, apply_preset


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
    config: ConfigStep = strawberry.field(description="The step 2 data the preset fills in.")
    values: strawberry.scalars.JSON = strawberry.field(
        description="The same values as JSON.", deprecation_reason="Use the typed `config`."
    )


def config_presets() -> list[ConfigPreset]:
    """Every preset, in a stable order."""
    return [
        ConfigPreset(
            key=p.key,
            title=p.title,
            description=p.description,
            config=ConfigStep.of(apply_preset(p.key, None)),
            values=strawberry.scalars.JSON(p.values),
        )
        for p in PRESETS.values()
    ]
