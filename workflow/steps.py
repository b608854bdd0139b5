"""The four steps' data blocks: typed, partial-friendly, and strict about shape.

Every field is optional so a draft can hold whatever the user has entered so far; the
rules in ``workflow/rules`` decide what completion needs. Shape errors (a string where a
number belongs, an unknown field, a value outside a fixed set) are caught here, at save
time, and refuse the save; range and cross-field rules never refuse a save.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from workflow.errors import ValidationFailedError
from workflow.issues import Issue, IssueCode
from workflow.text import require_storable


class Step(StrEnum):
    """The workflow's steps, in order."""

    MODEL = "model"
    CONFIG = "config"
    DATASET = "dataset"
    DEPLOY = "deploy"

    @property
    def position(self) -> int:
        """0-based position in the workflow."""
        return STEP_ORDER.index(self)


STEP_ORDER: tuple[Step, ...] = (Step.MODEL, Step.CONFIG, Step.DATASET, Step.DEPLOY)


class Block(BaseModel):
    """Base of every step block: camelCase on the wire, strict types, no unknown fields."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        # NaN and infinities are not JSON, and NaN would pass every range rule.
        allow_inf_nan=False,
    )

    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form: camelCase, unset fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ModelStepData(Block):
    """Step 1: which base model to fine-tune."""

    source: Literal["HUB", "LOCAL"] | None = None
    repo_id: str | None = None
    revision: str | None = None
    path: str | None = None


class LoraSettings(Block):
    """Adapter settings used by the LORA and QLORA methods."""

    r: int | None = None
    alpha: float | None = None
    dropout: float | None = None
    target_modules: list[str] | None = None


class ConfigStepData(Block):
    """Step 2: the training configuration."""

    preset: str | None = None
    method: Literal["FULL", "LORA", "QLORA"] | None = None
    trainer: Literal["SFT", "DPO"] | None = None
    epochs: float | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    gradient_accumulation: int | None = None
    max_seq_length: int | None = None
    warmup_ratio: float | None = None
    weight_decay: float | None = None
    scheduler: Literal["linear", "cosine", "constant"] | None = None
    optimizer: str | None = None
    precision: Literal["bf16", "fp16", "fp32"] | None = None
    gradient_checkpointing: bool | None = None
    seed: int | None = None
    lora: LoraSettings | None = None
    quant_bits: int | None = None


DatasetFormat = Literal["CHAT", "INSTRUCTION", "COMPLETION", "PREFERENCE"]
UPLOAD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class DatasetSource(Block):
    """One dataset feeding the training mix."""

    source: Literal["HUB", "UPLOAD", "LOCAL"] | None = None
    repo_id: str | None = None
    upload_id: str | None = None
    path: str | None = None
    subset: str | None = None
    split: str | None = None
    format: DatasetFormat | None = None
    column_mapping: dict[str, str] | None = None
    weight: float | None = None
    max_samples: int | None = None

    @field_validator("upload_id")
    @classmethod
    def _upload_id_is_an_id(cls, value: str | None) -> str | None:
        """An upload is named by the id ``uploadDataset`` returned; anything else can never resolve."""
        if value is not None and not UPLOAD_ID.fullmatch(value):
            raise PydanticCustomError("upload_id_invalid", "Must be the id uploadDataset returned (a UUID).")
        return value


class EvalSettings(Block):
    """How evaluation data is obtained: none, a held-out fraction, or a named split."""

    mode: Literal["NONE", "FRACTION", "SPLIT"] | None = None
    fraction: float | None = None
    split: str | None = None


class DatasetStepData(Block):
    """Step 3: the datasets and the evaluation split."""

    sources: list[DatasetSource] | None = None
    eval: EvalSettings | None = None


class SpaceSettings(Block):
    """Where and on what hardware a Hugging Face Space runs the training."""

    owner: str | None = None
    name: str | None = None
    private: bool | None = None
    hardware: str | None = None
    sleep_time_seconds: int | None = None


class DeployStepData(Block):
    """Step 4: the deployment target."""

    target: Literal["HF_SPACE", "LOCAL_BUNDLE"] | None = None
    space: SpaceSettings | None = None
    hub_token_secret: str | None = None
    push_to: str | None = None
    budget_usd: float | None = None


BLOCK_TYPES: dict[Step, type[Block]] = {
    Step.MODEL: ModelStepData,
    Step.CONFIG: ConfigStepData,
    Step.DATASET: DatasetStepData,
    Step.DEPLOY: DeployStepData,
}


class PackageContent(BaseModel):
    """The four blocks of one version: what a content hash and a diff are computed over."""

    model_config = ConfigDict(frozen=True)

    model: ModelStepData = ModelStepData()
    config: ConfigStepData = ConfigStepData()
    dataset: DatasetStepData = DatasetStepData()
    deploy: DeployStepData = DeployStepData()

    def block(self, step: Step) -> Block:
        """The data block of ``step``."""
        block: Block = getattr(self, step.value)
        return block

    def with_block(self, step: Step, block: Block) -> Self:
        """A copy with ``step``'s block replaced."""
        return self.model_copy(update={step.value: block})

    def to_json(self) -> dict[str, dict[str, Any]]:
        """Canonical JSON of all four blocks, keyed by step name."""
        return {step.value: self.block(step).to_json() for step in STEP_ORDER}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PackageContent:
        """Rebuild stored content (already validated when it was saved)."""
        return cls(**{step.value: parse_block(step, raw.get(step.value) or {}) for step in STEP_ORDER})


_SHAPE_CODES = {
    "extra_forbidden": IssueCode.UNKNOWN_FIELD,
    "literal_error": IssueCode.INVALID_CHOICE,
    "upload_id_invalid": IssueCode.UPLOAD_ID_INVALID,
}


def parse_block(step: Step, raw: object) -> Block:
    """Validate the shape of one block; raise ``ValidationFailedError`` with field paths."""
    try:
        return BLOCK_TYPES[step].model_validate(raw)
    except ValidationError as exc:
        issues = [
            Issue(
                path=_path(step, error["loc"]),
                code=_SHAPE_CODES.get(error["type"], IssueCode.INVALID_TYPE),
                message=error["msg"],
            )
            for error in exc.errors(include_url=False)
        ]
        raise ValidationFailedError(issues) from None


MAX_DATASET_SOURCES = 32
"""Default bound on a dataset step's sources (each one is profiled by a job of its own)."""


def parse_patch(raw: Mapping[str, object], *, max_sources: int = MAX_DATASET_SOURCES) -> dict[Step, Block]:
    """Validate a save's step blocks, reporting every shape error of every step at once.

    A dataset step may name at most ``max_sources`` sources: every source costs a profiling job,
    so the bound is also what one save can ask of the workers.
    """
    require_storable(**{str(key): value for key, value in raw.items()})
    blocks: dict[Step, Block] = {}
    issues: list[Issue] = []
    for key, value in raw.items():
        try:
            step = Step(key)
        except ValueError:
            issues.append(Issue(key, IssueCode.UNKNOWN_FIELD, f"There is no step called {key!r}."))
            continue
        try:
            blocks[step] = parse_block(step, value)
        except ValidationFailedError as exc:
            issues.extend(exc.issues)
            continue
        sources = getattr(blocks[step], "sources", None) if step is Step.DATASET else None
        if sources is not None and len(sources) > max_sources:
            message = f"At most {max_sources} dataset sources; got {len(sources)}."
            issues.append(Issue("dataset.sources", IssueCode.TOO_MANY_ITEMS, message))
    if issues:
        raise ValidationFailedError(issues)
    return blocks


def _path(step: Step, loc: tuple[int | str, ...]) -> str:
    path = step.value
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
