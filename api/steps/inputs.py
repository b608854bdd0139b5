"""Typed step inputs: every field optional, so a save carries only what the user touched.

A save merges them into the stored step data (``workflow.patches``): a field left out is
unchanged, an explicit ``null`` clears it, an object merges field by field, a list is replaced
whole. GraphQL validation refuses a wrong type before any resolver runs; a value of the right
type but out of range is saved and reported as an issue with its path.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import strawberry
from pydantic.alias_generators import to_camel

from api.steps.docs import doc
from api.steps.enums import (
    DatasetFormat,
    DatasetSourceKind,
    DeployTarget,
    EvalMode,
    LearningRateScheduler,
    ModelSource,
    Precision,
    Trainer,
    TrainingMethod,
)


def _field(path: str) -> Any:
    """An optional input field described by the step docs; left out means "unchanged"."""
    return strawberry.field(default=strawberry.UNSET, description=doc(path))


@strawberry.input(description=doc("model"))
class ModelStepInput:
    source: ModelSource | None = _field("model.source")
    repo_id: str | None = _field("model.repoId")
    revision: str | None = _field("model.revision")
    path: str | None = _field("model.path")


@strawberry.input(description=doc("config.lora"))
class LoraInput:
    r: int | None = _field("config.lora.r")
    alpha: float | None = _field("config.lora.alpha")
    dropout: float | None = _field("config.lora.dropout")
    target_modules: list[str] | None = _field("config.lora.targetModules")


@strawberry.input(description=doc("config"))
class ConfigStepInput:
    method: TrainingMethod | None = _field("config.method")
    trainer: Trainer | None = _field("config.trainer")
    epochs: float | None = _field("config.epochs")
    learning_rate: float | None = _field("config.learningRate")
    batch_size: int | None = _field("config.batchSize")
    gradient_accumulation: int | None = _field("config.gradientAccumulation")
    max_seq_length: int | None = _field("config.maxSeqLength")
    warmup_ratio: float | None = _field("config.warmupRatio")
    weight_decay: float | None = _field("config.weightDecay")
    scheduler: LearningRateScheduler | None = _field("config.scheduler")
    optimizer: str | None = _field("config.optimizer")
    precision: Precision | None = _field("config.precision")
    gradient_checkpointing: bool | None = _field("config.gradientCheckpointing")
    seed: int | None = _field("config.seed")
    lora: LoraInput | None = _field("config.lora")
    quant_bits: int | None = _field("config.quantBits")


@strawberry.input(description=doc("dataset.sources.columnMapping"))
class ColumnMappingInput:
    messages: str | None = _field("dataset.sources.columnMapping.messages")
    prompt: str | None = _field("dataset.sources.columnMapping.prompt")
    completion: str | None = _field("dataset.sources.columnMapping.completion")
    text: str | None = _field("dataset.sources.columnMapping.text")
    chosen: str | None = _field("dataset.sources.columnMapping.chosen")
    rejected: str | None = _field("dataset.sources.columnMapping.rejected")


@strawberry.input(description="One dataset of the training mix.")
class DatasetSourceInput:
    source: DatasetSourceKind | None = _field("dataset.sources.source")
    repo_id: str | None = _field("dataset.sources.repoId")
    upload_id: str | None = _field("dataset.sources.uploadId")
    path: str | None = _field("dataset.sources.path")
    subset: str | None = _field("dataset.sources.subset")
    split: str | None = _field("dataset.sources.split")
    format: DatasetFormat | None = _field("dataset.sources.format")
    column_mapping: ColumnMappingInput | None = _field("dataset.sources.columnMapping")
    weight: float | None = _field("dataset.sources.weight")
    max_samples: int | None = _field("dataset.sources.maxSamples")


@strawberry.input(description=doc("dataset.eval"))
class EvalSplitInput:
    mode: EvalMode | None = _field("dataset.eval.mode")
    fraction: float | None = _field("dataset.eval.fraction")
    split: str | None = _field("dataset.eval.split")


@strawberry.input(description=doc("dataset"))
class DatasetStepInput:
    sources: list[DatasetSourceInput] | None = _field("dataset.sources")
    eval: EvalSplitInput | None = _field("dataset.eval")


@strawberry.input(description=doc("deploy.space"))
class SpaceInput:
    owner: str | None = _field("deploy.space.owner")
    name: str | None = _field("deploy.space.name")
    private: bool | None = _field("deploy.space.private")
    hardware: str | None = _field("deploy.space.hardware")
    sleep_time_seconds: int | None = _field("deploy.space.sleepTimeSeconds")


@strawberry.input(description=doc("deploy"))
class DeployStepInput:
    target: DeployTarget | None = _field("deploy.target")
    space: SpaceInput | None = _field("deploy.space")
    hub_token_secret: str | None = _field("deploy.hubTokenSecret")
    push_to: str | None = _field("deploy.pushTo")
    budget_usd: float | None = _field("deploy.budgetUsd")


@strawberry.input(
    description=(
        "Partial data of any of the four steps, merged into the draft: a field left out is unchanged, "
        "`null` clears it (a whole step too), objects merge field by field, lists are replaced whole."
    )
)
class StepsInput:
    model: ModelStepInput | None = _field("model")
    config: ConfigStepInput | None = _field("config")
    dataset: DatasetStepInput | None = _field("dataset")
    deploy: DeployStepInput | None = _field("deploy")


def to_patch(value: object) -> Any:
    """The merge patch of a typed input: camelCase keys, fields left out omitted, ``null`` kept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            to_camel(item.name): to_patch(field_value)
            for item in dataclasses.fields(value)
            if (field_value := getattr(value, item.name)) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [to_patch(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
