"""The typed step inputs and outputs mirror the domain's step blocks, field for field.

A field added to ``workflow/steps.py`` must also be added to the typed API (with its description),
or this fails; a description of a field that no longer exists fails too.
"""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from api.steps import inputs, outputs
from api.steps.docs import DOCS
from workflow import steps
from workflow.rules.dataset import FORMAT_ROLES

MIRRORS: list[tuple[type[BaseModel], type, type, str]] = [
    (steps.ModelStepData, inputs.ModelStepInput, outputs.ModelStep, "model"),
    (steps.ConfigStepData, inputs.ConfigStepInput, outputs.ConfigStep, "config"),
    (steps.LoraSettings, inputs.LoraInput, outputs.LoraSettings, "config.lora"),
    (steps.DatasetStepData, inputs.DatasetStepInput, outputs.DatasetStep, "dataset"),
    (steps.DatasetSource, inputs.DatasetSourceInput, outputs.DatasetSource, "dataset.sources"),
    (steps.EvalSettings, inputs.EvalSplitInput, outputs.EvalSplit, "dataset.eval"),
    (steps.DeployStepData, inputs.DeployStepInput, outputs.DeployStep, "deploy"),
    (steps.SpaceSettings, inputs.SpaceInput, outputs.SpaceSettings, "deploy.space"),
]
# Set by `configPreset`, not by a client: only the output shows it.
OUTPUT_ONLY = {"config.preset"}


def _names(cls: type) -> set[str]:
    return {to_camel(field.name) for field in dataclasses.fields(cls)}


@pytest.mark.parametrize(("block", "typed_input", "typed_output", "path"), MIRRORS)
def test_typed_inputs_and_outputs_carry_every_field_of_the_block(
    block: type[BaseModel], typed_input: type, typed_output: type, path: str
) -> None:
    fields = {info.alias or name for name, info in block.model_fields.items()}
    settable = {name for name in fields if f"{path}.{name}" not in OUTPUT_ONLY}
    assert _names(typed_input) == settable
    assert fields <= _names(typed_output)
    assert {f"{path}.{name}" for name in fields} <= set(DOCS)


def test_the_column_mapping_names_every_role_a_format_needs() -> None:
    roles = {role for needed in FORMAT_ROLES.values() for role in needed}
    assert _names(inputs.ColumnMappingInput) == _names(outputs.ColumnMapping) == roles


def test_every_description_belongs_to_a_field() -> None:
    paths = {"model", "config", "dataset", "deploy"}
    for block, _, _, path in MIRRORS:
        paths |= {f"{path}.{info.alias or name}" for name, info in block.model_fields.items()}
    paths |= {f"dataset.sources.columnMapping.{role}" for role in _names(inputs.ColumnMappingInput)}
    assert set(DOCS) == paths
