from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import (
    DatasetFormat,
    DatasetSourceKind,
    DeployTarget,
    EvalMode,
    JobKind,
    LearningRateScheduler,
    ModelSource,
    Precision,
    SaveTrigger,
    StepName,
    Trainer,
    TrainingMethod,
)


class ColumnMappingInput(BaseModel):
    """Which column of the data holds each role the format needs."""

    messages: Optional[str] = None
    "CHAT: the column of chat messages (a list of {role, content})."
    prompt: Optional[str] = None
    "INSTRUCTION and PREFERENCE: the prompt column."
    completion: Optional[str] = None
    "INSTRUCTION: the column of the wanted answer."
    text: Optional[str] = None
    "COMPLETION: the column of plain text."
    chosen: Optional[str] = None
    "PREFERENCE: the column of the preferred answer."
    rejected: Optional[str] = None
    "PREFERENCE: the column of the rejected answer."


class ConfigStepInput(BaseModel):
    """Step 2: the training configuration."""

    method: Optional[TrainingMethod] = None
    "FULL trains every weight; LORA trains adapters; QLORA trains adapters on 4-bit weights."
    trainer: Optional[Trainer] = None
    "SFT (supervised fine-tuning) or DPO (preference optimisation, needs PREFERENCE data)."
    epochs: Optional[float] = None
    "Passes over the training data; may be fractional. Range: > 0 and ≤ 100. Presets: 3."
    learning_rate: Optional[float] = Field(alias="learningRate", default=None)
    "Peak learning rate. Range: > 0 and ≤ 1. Presets: 2e-4 (LoRA), 2e-5 (full)."
    batch_size: Optional[int] = Field(alias="batchSize", default=None)
    "Examples per device per step. Range: 1-4096. Presets: 4."
    gradient_accumulation: Optional[int] = Field(
        alias="gradientAccumulation", default=None
    )
    "Steps whose gradients are summed before an update. Range: 1-4096. Default: 1."
    max_seq_length: Optional[int] = Field(alias="maxSeqLength", default=None)
    "Tokens per example, longer ones truncated. Range: 1 to the model's context length."
    warmup_ratio: Optional[float] = Field(alias="warmupRatio", default=None)
    "Fraction of the steps spent warming up the learning rate. Range: ≥ 0 and < 1."
    weight_decay: Optional[float] = Field(alias="weightDecay", default=None)
    "Decoupled weight decay. Range: 0-1. Default: 0."
    scheduler: Optional[LearningRateScheduler] = None
    "Learning-rate schedule after warm-up. Default: LINEAR."
    optimizer: Optional[str] = None
    "A `transformers` optimizer name, e.g. `adamw_torch`, `paged_adamw_8bit`."
    precision: Optional[Precision] = None
    "Compute precision. QLoRA needs BF16 or FP16. Presets: BF16."
    gradient_checkpointing: Optional[bool] = Field(
        alias="gradientCheckpointing", default=None
    )
    "Recompute activations in the backward pass: less memory, ~30 % slower."
    seed: Optional[int] = None
    "Random seed, for a reproducible run. Range: 0 to 2^32 - 1. Presets: 42."
    lora: Optional["LoraInput"] = None
    "LoRA adapter settings, used by LORA and QLORA (a FULL run ignores them, with a warning)."
    quant_bits: Optional[int] = Field(alias="quantBits", default=None)
    "QLoRA: bits of the quantised base weights; only 4 is supported. Required for QLORA."


class CreatePackageInput(BaseModel):
    name: Optional[str] = None
    "Omit to follow the selections automatically."
    description: Optional[str] = None
    content: Optional["StepsInput"] = None
    "Initial step data (typed)."
    steps: Optional[Any] = None
    "Initial step data as JSON, keyed by step name."


class DatasetSourceInput(BaseModel):
    """One dataset of the training mix."""

    source: Optional[DatasetSourceKind] = None
    "Where the data comes from: HUB, UPLOAD (an `uploadDataset` id) or LOCAL (a file)."
    repo_id: Optional[str] = Field(alias="repoId", default=None)
    "HUB: the dataset repository id, `owner/name`."
    upload_id: Optional[str] = Field(alias="uploadId", default=None)
    "UPLOAD: the id `uploadDataset` returned (a UUID)."
    path: Optional[str] = None
    "LOCAL: a JSONL, CSV or Parquet file under the allowed roots."
    subset: Optional[str] = None
    "HUB: the configuration (subset) to read. Default: the dataset's default."
    split: Optional[str] = None
    "The split to train on. Default: `train`."
    format: Optional[DatasetFormat] = None
    "How examples are shaped, which decides the columns to map."
    column_mapping: Optional["ColumnMappingInput"] = Field(
        alias="columnMapping", default=None
    )
    "Which column of the data holds each role the format needs."
    weight: Optional[float] = None
    "Relative share of this source in the mix. Range: > 0. Default: 1."
    max_samples: Optional[int] = Field(alias="maxSamples", default=None)
    "Use at most this many examples of the source. Range: ≥ 1. Default: all."


class DatasetStepInput(BaseModel):
    """Step 3: the training data and how evaluation data is obtained."""

    sources: Optional[list["DatasetSourceInput"]] = None
    "The datasets mixed into the training data (at least one; at most the service's limit, 32 by default). A list is replaced whole: to edit one source, send the whole list as read back, with that one changed."
    eval: Optional["EvalSplitInput"] = None
    "How evaluation data is obtained. Default: none."


class DeleteSecretInput(BaseModel):
    """Delete an organisation secret (needs the `admin` scope)."""

    name: str


class DeployStepInput(BaseModel):
    """Step 4: where the training runs and where the result goes."""

    target: Optional[DeployTarget] = None
    "HF_SPACE trains on a Hugging Face Space; LOCAL_BUNDLE builds a downloadable bundle."
    space: Optional["SpaceInput"] = None
    "HF_SPACE: the Space that runs the training."
    hub_token_secret: Optional[str] = Field(alias="hubTokenSecret", default=None)
    "The name of the organisation secret holding the Hub token the Space uses."
    push_to: Optional[str] = Field(alias="pushTo", default=None)
    "The Hub repository (`owner/name`) the trained model is pushed to."
    budget_usd: Optional[float] = Field(alias="budgetUsd", default=None)
    "A cap on the training's cost, in US dollars. Range: > 0 and ≤ 1,000,000. Default: none."


class DraftInput(BaseModel):
    id: str
    expected_revision: int = Field(alias="expectedRevision")


class EvalSplitInput(BaseModel):
    """How evaluation data is obtained. Default: none."""

    mode: Optional[EvalMode] = None
    "NONE (no evaluation), FRACTION (held out of the training data) or SPLIT (a named split)."
    fraction: Optional[float] = None
    "FRACTION: the share of the training data held out. Range: > 0 and < 0.5."
    split: Optional[str] = None
    "SPLIT: the name of the evaluation split, e.g. `test`."


class JobInput(BaseModel):
    id: str


class LoraInput(BaseModel):
    """LoRA adapter settings, used by LORA and QLORA (a FULL run ignores them, with a warning)."""

    r: Optional[int] = None
    "Adapter rank. Range: 1-1024; required for LORA and QLORA. Presets: 16."
    alpha: Optional[float] = None
    "Adapter scaling (the update is scaled by alpha / r). Range: > 0. Presets: 32."
    dropout: Optional[float] = None
    "Dropout on the adapter's input. Range: ≥ 0 and < 1. Presets: 0.05."
    target_modules: Optional[list[str]] = Field(alias="targetModules", default=None)
    "Names of the linear modules to adapt, or [`all-linear`]; checked against the resolved model. A list is replaced whole."


class ModelStepInput(BaseModel):
    """Step 1: the base model to fine-tune."""

    source: Optional[ModelSource] = None
    "Where the model comes from: HUB (a Hugging Face repository) or LOCAL (a directory)."
    repo_id: Optional[str] = Field(alias="repoId", default=None)
    "HUB: the repository id, `owner/name` (3-96 characters), e.g. `meta-llama/Llama-3.2-1B`."
    revision: Optional[str] = None
    "HUB: a branch, tag or commit to use. Default: `main`."
    path: Optional[str] = None
    "LOCAL: a directory holding `config.json` and safetensors weights, under the allowed roots."


class PackageFilterInput(BaseModel):
    """Filters of the package listing; omitted means either."""

    archived: Optional[bool] = False
    "Default: only packages not archived."
    has_draft: Optional[bool] = Field(alias="hasDraft", default=None)
    search: Optional[str] = None
    "Case-insensitive part of the name."


class PackageInput(BaseModel):
    id: str


class PublishVersionInput(BaseModel):
    id: str
    expected_revision: int = Field(alias="expectedRevision")
    changelog: Optional[str] = None


class RenamePackageInput(BaseModel):
    id: str
    name: str


class RestoreVersionInput(BaseModel):
    version_id: str = Field(alias="versionId")


class RetryBuildInput(BaseModel):
    """A published version whose FAILED build should run again."""

    version_id: str = Field(alias="versionId")


class SaveDraftInput(BaseModel):
    """Partial step data to store in the draft; refused only if malformed."""

    id: str
    "A package (its draft, opened if needed) or a draft version."
    expected_revision: int = Field(alias="expectedRevision")
    patch: Optional["StepsInput"] = None
    "The fields to change, merged into the draft, e.g. `{config: {epochs: 3}}`."
    steps: Optional[Any] = None
    'Step blocks to replace whole, as JSON, e.g. {"config": {"epochs": 3}}.'
    trigger: SaveTrigger = SaveTrigger.MANUAL
    idempotency_key: Optional[str] = Field(alias="idempotencyKey", default=None)
    "Retries with it get the first answer."
    config_preset: Optional[str] = Field(alias="configPreset", default=None)
    "Fill step 2 from a named preset first."


class SetSecretInput(BaseModel):
    """Create or replace an organisation secret (needs the `admin` scope)."""

    name: str
    "An environment variable's name, e.g. `HF_TOKEN`."
    value: str
    "Stored encrypted; never shown again (only its last four characters)."


class SpaceInput(BaseModel):
    """HF_SPACE: the Space that runs the training."""

    owner: Optional[str] = None
    "The user or organisation owning the Space (1-96 letters, digits, `-`, `_`, `.`)."
    name: Optional[str] = None
    "The Space's name (1-96 letters, digits, `-`, `_`, `.`)."
    private: Optional[bool] = None
    "Whether the Space is private. Default: true."
    hardware: Optional[str] = None
    "A Spaces hardware flavour, e.g. `a10g-small`; checked against the estimate."
    sleep_time_seconds: Optional[int] = Field(alias="sleepTimeSeconds", default=None)
    "Idle seconds before the Space sleeps. Range: 0 to 604800 (a week)."


class StartJobInput(BaseModel):
    """A job to start on a package's current content."""

    package_id: str = Field(alias="packageId")
    kind: JobKind
    source_index: Optional[int] = Field(alias="sourceIndex", default=None)
    "PROFILE_DATASET: which source (0-based)."
    allow_patterns: Optional[list[str]] = Field(alias="allowPatterns", default=None)
    "DOWNLOAD_MODEL: only files matching these globs (default: safetensors weights)."
    ignore_patterns: Optional[list[str]] = Field(alias="ignorePatterns", default=None)
    "DOWNLOAD_MODEL: skip these globs."


class StepActionInput(BaseModel):
    id: str
    expected_revision: int = Field(alias="expectedRevision")
    step: StepName


class StepsInput(BaseModel):
    """Partial data of any of the four steps, merged into the draft: a field left out is unchanged, `null` clears it (a whole step too), objects merge field by field, lists are replaced whole."""

    model: Optional["ModelStepInput"] = None
    "Step 1: the base model to fine-tune."
    config: Optional["ConfigStepInput"] = None
    "Step 2: the training configuration."
    dataset: Optional["DatasetStepInput"] = None
    "Step 3: the training data and how evaluation data is obtained."
    deploy: Optional["DeployStepInput"] = None
    "Step 4: where the training runs and where the result goes."


class TrainingEstimateInput(BaseModel):
    """A what-if estimate of unsaved values; blanks come from the package, if one is named."""

    package_id: Optional[str] = Field(alias="packageId", default=None)
    "Use this package's resolved model, profiled datasets and (unless given) step 2."
    config: Optional[Any] = None
    "Step 2 as typed (the saveDraft `config` block), validated by the same rules."
    model_config_: Optional[Any] = Field(alias="modelConfig", default=None)
    "A model's config.json, for a model that is in no package."
    parameters: Optional[float] = None
    "The model's parameter count (default: from the weights, else the config)."
    tokens: Optional[float] = None
    "Tokens of the whole run, epochs included (default: from the profiled datasets)."


ConfigStepInput.model_rebuild()
CreatePackageInput.model_rebuild()
DatasetSourceInput.model_rebuild()
DatasetStepInput.model_rebuild()
DeployStepInput.model_rebuild()
SaveDraftInput.model_rebuild()
StepsInput.model_rebuild()
