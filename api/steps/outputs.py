"""Typed step outputs: the stored step data, field for field as the inputs, with what the workers
learnt (the resolved model, each source's profile) next to the data it describes.

Every field is nullable: a draft holds whatever was entered so far. The estimate, the bundle
and the deployment are not step data; they hang off ``Version`` beside ``content``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import strawberry
from strawberry.scalars import JSON

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
from workflow import steps as domain
from workflow.facts import DatasetFacts, Facts, Failure, ModelFacts


def _field(path: str) -> Any:
    return strawberry.field(description=doc(path))


@strawberry.type(description="A worker's permanent failure on this input, e.g. `HUB_NOT_FOUND`.")
class FactFailure:
    code: str = strawberry.field(description="Stable code of the failure.")
    message: str = strawberry.field(description="What went wrong, for a person.")

    @classmethod
    def of(cls, failure: Failure | None) -> Self | None:
        """The failure, if any."""
        return cls(code=failure.code, message=failure.message) if failure else None


@strawberry.type(description="What resolving the model found (the resolve-model job).")
class ResolvedModel:
    commit: str = strawberry.field(description="The commit sha the revision resolved to (LOCAL: a content hash).")
    parameter_count: float | None = strawberry.field(
        description="Parameters, from the safetensors headers (a whole number; Float as GraphQL Int is 32-bit)."
    )
    parameters_by_dtype: JSON = strawberry.field(description="Parameters per stored dtype, e.g. {BF16: 1235814400}.")
    dtype: str | None = strawberry.field(description="The dtype the weights are stored in, e.g. `bfloat16`.")
    architecture: str | None = strawberry.field(description="The model class, e.g. `LlamaForCausalLM`.")
    model_type: str | None = strawberry.field(description="`model_type` of config.json, e.g. `llama`.")
    context_length: int | None = strawberry.field(description="Maximum positions (tokens) the model takes.")
    licence: str | None = strawberry.field(description="The declared licence, e.g. `llama3.2`; null when none.")
    gated: bool = strawberry.field(description="Whether the Hub asks users to accept terms before downloading.")
    size_bytes: float | None = strawberry.field(description="Size of the weights on disk, in bytes (whole number).")
    lora_targets: list[str] = strawberry.field(description="Linear module names usable as LoRA `targetModules`.")

    @classmethod
    def of(cls, facts: ModelFacts) -> Self:
        """The GraphQL view of a resolved model."""
        return cls(
            commit=facts.resolved_sha,
            parameter_count=facts.parameter_count,
            parameters_by_dtype=JSON(dict(facts.parameters_by_dtype)),
            dtype=facts.dtype,
            architecture=facts.architecture,
            model_type=facts.model_type,
            context_length=facts.context_length,
            licence=facts.licence,
            gated=facts.gated,
            size_bytes=facts.size_bytes,
            lora_targets=sorted(facts.module_names),
        )


@strawberry.type(description=doc("model"))
class ModelStep:
    source: ModelSource | None = _field("model.source")
    repo_id: str | None = _field("model.repoId")
    revision: str | None = _field("model.revision")
    path: str | None = _field("model.path")
    resolved: ResolvedModel | None = strawberry.field(
        description="The model as resolved by a worker; null until then (or when it failed, see `failure`)."
    )
    failure: FactFailure | None = strawberry.field(description="Why resolving this model failed for good.")

    @classmethod
    def of(cls, block: domain.ModelStepData, facts: Facts) -> Self:
        """The model step with its resolution."""
        return cls(
            source=ModelSource(block.source) if block.source else None,
            repo_id=block.repo_id,
            revision=block.revision,
            path=block.path,
            resolved=ResolvedModel.of(facts.model) if facts.model else None,
            failure=FactFailure.of(facts.model_failure),
        )


@strawberry.type(description=doc("config.lora"))
class LoraSettings:
    r: int | None = _field("config.lora.r")
    alpha: float | None = _field("config.lora.alpha")
    dropout: float | None = _field("config.lora.dropout")
    target_modules: list[str] | None = _field("config.lora.targetModules")


@strawberry.type(description=doc("config"))
class ConfigStep:
    preset: str | None = _field("config.preset")
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
    lora: LoraSettings | None = _field("config.lora")
    quant_bits: int | None = _field("config.quantBits")

    @classmethod
    def of(cls, block: domain.ConfigStepData) -> Self:
        """The configuration step as stored."""
        lora = block.lora
        return cls(
            preset=block.preset,
            method=TrainingMethod(block.method) if block.method else None,
            trainer=Trainer(block.trainer) if block.trainer else None,
            epochs=block.epochs,
            learning_rate=block.learning_rate,
            batch_size=block.batch_size,
            gradient_accumulation=block.gradient_accumulation,
            max_seq_length=block.max_seq_length,
            warmup_ratio=block.warmup_ratio,
            weight_decay=block.weight_decay,
            scheduler=LearningRateScheduler(block.scheduler) if block.scheduler else None,
            optimizer=block.optimizer,
            precision=Precision(block.precision) if block.precision else None,
            gradient_checkpointing=block.gradient_checkpointing,
            seed=block.seed,
            lora=LoraSettings(r=lora.r, alpha=lora.alpha, dropout=lora.dropout, target_modules=lora.target_modules)
            if lora
            else None,
            quant_bits=block.quant_bits,
        )


@strawberry.type(description=doc("dataset.sources.columnMapping"))
class ColumnMapping:
    messages: str | None = _field("dataset.sources.columnMapping.messages")
    prompt: str | None = _field("dataset.sources.columnMapping.prompt")
    completion: str | None = _field("dataset.sources.columnMapping.completion")
    text: str | None = _field("dataset.sources.columnMapping.text")
    chosen: str | None = _field("dataset.sources.columnMapping.chosen")
    rejected: str | None = _field("dataset.sources.columnMapping.rejected")


@strawberry.type(description="Approximate tokens per row (every text column together).")
class TokenStatistics:
    mean: float | None = strawberry.field(description="Mean tokens per row.")
    p95: int | None = strawberry.field(description="95th percentile of tokens per row.")
    max: int | None = strawberry.field(description="Most tokens in one row.")
    total: float | None = strawberry.field(description="Tokens of every row (whole number); null if not kept.")


@strawberry.type(description="One column of a profiled dataset.")
class DatasetColumn:
    name: str = strawberry.field(description="The column's name.")
    kind: str | None = strawberry.field(
        description="Coarse kind: string, messages, number, boolean, list, object or mixed; null when always empty."
    )
    missing: int = strawberry.field(description="Rows where the column is absent, null or empty.")


@strawberry.type(description="What profiling a dataset source found (the profile-dataset job).")
class DatasetProfile:
    rows: int = strawberry.field(description="Rows read.")
    columns: list[DatasetColumn] = strawberry.field(description="The columns, by name.")
    sample: list[JSON] | None = strawberry.field(description="The first rows, values shortened; null if not kept.")
    tokens: TokenStatistics = strawberry.field(description="Token statistics per row.")
    problem_count: int = strawberry.field(description="Malformed rows found (the step's issues name the first few).")

    @classmethod
    def of(cls, facts: DatasetFacts, kept: Mapping[str, Any] | None) -> Self:
        """The profile from the rules' facts plus the part of the profile kept for display."""
        row_tokens = (kept or {}).get("rowTokens") or {}
        sample = (kept or {}).get("sample")
        return cls(
            rows=facts.rows,
            columns=[
                DatasetColumn(name=name, kind=facts.column_kinds.get(name), missing=facts.gap_counts.get(name, 0))
                for name in sorted(facts.columns)
            ],
            sample=[JSON(row) for row in sample] if sample is not None else None,
            tokens=TokenStatistics(
                mean=facts.token_mean, p95=facts.token_p95, max=facts.token_max, total=row_tokens.get("total")
            ),
            problem_count=facts.problem_count,
        )


@strawberry.type(description="One dataset of the training mix.")
class DatasetSource:
    source: DatasetSourceKind | None = _field("dataset.sources.source")
    repo_id: str | None = _field("dataset.sources.repoId")
    upload_id: str | None = _field("dataset.sources.uploadId")
    path: str | None = _field("dataset.sources.path")
    subset: str | None = _field("dataset.sources.subset")
    split: str | None = _field("dataset.sources.split")
    format: DatasetFormat | None = _field("dataset.sources.format")
    column_mapping: ColumnMapping | None = _field("dataset.sources.columnMapping")
    weight: float | None = _field("dataset.sources.weight")
    max_samples: int | None = _field("dataset.sources.maxSamples")
    profile: DatasetProfile | None = strawberry.field(
        description="The source as profiled by a worker; null until then (or when it failed, see `failure`)."
    )
    failure: FactFailure | None = strawberry.field(description="Why profiling this source failed for good.")


@strawberry.type(description=doc("dataset.eval"))
class EvalSplit:
    mode: EvalMode | None = _field("dataset.eval.mode")
    fraction: float | None = _field("dataset.eval.fraction")
    split: str | None = _field("dataset.eval.split")


@strawberry.type(description=doc("dataset"))
class DatasetStep:
    sources: list[DatasetSource] | None = _field("dataset.sources")
    eval: EvalSplit | None = _field("dataset.eval")

    @classmethod
    def of(cls, block: domain.DatasetStepData, facts: Facts, kept: Mapping[int, Mapping[str, Any]]) -> Self:
        """The dataset step with each source's profile."""
        profiled = facts.datasets or {}
        evaluation = block.eval
        return cls(
            sources=[
                _source(source, profiled.get(index), facts.dataset_failures.get(index), kept.get(index))
                for index, source in enumerate(block.sources)
            ]
            if block.sources is not None
            else None,
            eval=EvalSplit(
                mode=EvalMode(evaluation.mode) if evaluation.mode else None,
                fraction=evaluation.fraction,
                split=evaluation.split,
            )
            if evaluation
            else None,
        )


def _source(
    source: domain.DatasetSource,
    facts: DatasetFacts | None,
    failure: Failure | None,
    kept: Mapping[str, Any] | None,
) -> DatasetSource:
    mapping = source.column_mapping
    return DatasetSource(
        source=DatasetSourceKind(source.source) if source.source else None,
        repo_id=source.repo_id,
        upload_id=source.upload_id,
        path=source.path,
        subset=source.subset,
        split=source.split,
        format=DatasetFormat(source.format) if source.format else None,
        column_mapping=ColumnMapping(**{role: mapping.get(role) for role in _ROLES}) if mapping is not None else None,
        weight=source.weight,
        max_samples=source.max_samples,
        profile=DatasetProfile.of(facts, kept) if facts else None,
        failure=FactFailure.of(failure),
    )


_ROLES = ("messages", "prompt", "completion", "text", "chosen", "rejected")


@strawberry.type(description=doc("deploy.space"))
class SpaceSettings:
    owner: str | None = _field("deploy.space.owner")
    name: str | None = _field("deploy.space.name")
    private: bool | None = _field("deploy.space.private")
    hardware: str | None = _field("deploy.space.hardware")
    sleep_time_seconds: int | None = _field("deploy.space.sleepTimeSeconds")


@strawberry.type(description=doc("deploy"))
class DeployStep:
    target: DeployTarget | None = _field("deploy.target")
    space: SpaceSettings | None = _field("deploy.space")
    hub_token_secret: str | None = _field("deploy.hubTokenSecret")
    push_to: str | None = _field("deploy.pushTo")
    budget_usd: float | None = _field("deploy.budgetUsd")

    @classmethod
    def of(cls, block: domain.DeployStepData) -> Self:
        """The deployment step as stored."""
        space = block.space
        return cls(
            target=DeployTarget(block.target) if block.target else None,
            space=SpaceSettings(
                owner=space.owner,
                name=space.name,
                private=space.private,
                hardware=space.hardware,
                sleep_time_seconds=space.sleep_time_seconds,
            )
            if space
            else None,
            hub_token_secret=block.hub_token_secret,
            push_to=block.push_to,
            budget_usd=block.budget_usd,
        )


@strawberry.type(
    description=(
        "The four steps' data, typed, with what the workers learnt about it. The estimate, bundle and "
        "deployment of a version are beside it on `Version`, not step data."
    )
)
class VersionContent:
    model: ModelStep = _field("model")
    config: ConfigStep = _field("config")
    dataset: DatasetStep = _field("dataset")
    deploy: DeployStep = _field("deploy")

    @classmethod
    def of(cls, content: domain.PackageContent, facts: Facts, kept: Mapping[int, Mapping[str, Any]]) -> Self:
        """The typed view of one version's content and the facts that apply to it."""
        return cls(
            model=ModelStep.of(content.model, facts),
            config=ConfigStep.of(content.config),
            dataset=DatasetStep.of(content.dataset, facts, kept),
            deploy=DeployStep.of(content.deploy),
        )
