"""The estimate-cost job's input, its computation and its stored result (pure).

The input holds everything the estimator reads, and nothing else: step 2 as saved (turned into
the training plan by ``plan_training``, the mapping the bundle renders from), the resolved
model's dimensions and parameter count, and the profiled data's volume (the catalogue in use is
read by the job when it runs).
Its fingerprint is the estimate's *inputs hash*: a result is consulted only while the draft's
inputs still hash to it, so an older job finishing late after the user changed the config is
never applied (a newer one, for the new inputs, supersedes it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.core.architecture import Architecture, architecture_from_config
from workflow.core.estimate import Estimate, EstimateError, EstimateInput, estimate
from workflow.core.estimate.workload import DataVolume, SourceTokens, volume_from_facts
from workflow.core.hardware import DEFAULT_CATALOGUE, Catalogue
from workflow.core.training import plan_training
from workflow.errors import ValidationFailedError
from workflow.facts import EstimateFacts, Facts, FlavourFit
from workflow.issues import Issue, IssueCode
from workflow.job_inputs import JobKind, JobRequest
from workflow.rules import validate_step
from workflow.steps import ConfigStepData, PackageContent, Step, parse_block

MODEL_FACTS_MISSING = "ESTIMATE_MODEL_FACTS_MISSING"
"""The resolved model has no readable dimensions (``config.json`` without them): nothing to size."""
PARAMETERS_UNKNOWN = "ESTIMATE_PARAMETERS_UNKNOWN"
"""Neither the weights nor the config give a parameter count for this model family."""
CONFIG_INCOMPLETE = "ESTIMATE_CONFIG_INCOMPLETE"
"""Step 2 does not describe a complete run (the job's input was tampered with, or is stale)."""


MAX_PARAMETERS = 1e13
"""Far above any model trained today: a what-if beyond it is a typing slip, not a model."""
MAX_TOKENS = 1e15
"""Far above any fine-tuning run; it keeps the durations and costs finite."""


class EstimateProblem(Exception):  # noqa: N818  (a coded outcome, like IntegrationError)
    """The inputs cannot be estimated; ``code`` is what step 4 shows."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def estimate_input(content: PackageContent, facts: Facts) -> dict[str, Any] | None:
    """What estimating the content's training works on; ``None`` until the model is resolved and
    step 2 describes a complete run. Without every dataset profiled the volume is ``None`` (memory
    is sized at ``maxSeqLength``, with no duration or cost).

    The catalogue is no input: the job sizes the run on the catalogue in use when it runs, so a
    refresh of the catalogue does not leave every draft's estimate pending with nothing to re-run it.
    """
    model = facts.model
    if model is None or plan_training(content.config) is None:
        return None
    volume = volume_from_facts(content.dataset, facts.datasets) if facts.datasets else None
    return {
        "config": content.config.to_json(),
        "model": {"arch": model.arch.to_json() if model.arch else None, "parameterCount": model.parameter_count},
        "volume": _volume_json(volume),
    }


def estimate_request(content: PackageContent, facts: Facts) -> JobRequest | None:
    """The estimate-cost job the content needs, if its inputs are known."""
    job_input = estimate_input(content, facts)
    return JobRequest(JobKind.ESTIMATE_COST, job_input) if job_input is not None else None


def compute(job_input: Mapping[str, Any], catalogue: Catalogue = DEFAULT_CATALOGUE) -> Estimate:
    """The estimate for a job's input; ``EstimateProblem`` with a stable code when it cannot be made."""
    plan = plan_training(ConfigStepData.model_validate(job_input.get("config") or {}))
    if plan is None:
        raise EstimateProblem(CONFIG_INCOMPLETE, "Step 2 does not describe a complete training run.")
    model = job_input.get("model") or {}
    if not model.get("arch"):
        raise EstimateProblem(
            MODEL_FACTS_MISSING,
            "The model's config.json does not state its dimensions (hidden size, layers, heads, vocabulary): "
            "its memory cannot be estimated.",
        )
    volume = _volume_from_json(job_input.get("volume"))
    try:
        return estimate(
            EstimateInput(Architecture.from_json(model["arch"]), plan, model.get("parameterCount"), volume), catalogue
        )
    except EstimateError as error:
        raise EstimateProblem(PARAMETERS_UNKNOWN, str(error)) from None


def result_json(found: Estimate, inputs_hash: str, computed_at: str) -> dict[str, Any]:
    """The job's result and the stored fact: the estimate's client form, its inputs hash and time."""
    return {**found.to_json(), "inputsHash": inputs_hash, "computedAt": computed_at}


def estimate_facts_from_json(raw: Mapping[str, Any]) -> EstimateFacts:
    """What step 4's rules read from a stored estimate."""
    return EstimateFacts(
        flavours={
            line["name"]: FlavourFit(
                fits=bool(line["fits"]),
                peak_gib=float(line["peakMemoryGiB"]),
                memory_gib=float(line["memoryPerGpuGiB"]),
                usd=line.get("usd"),
                hours=line.get("hours"),
                reason=line.get("reason"),
            )
            for line in raw.get("flavours", ())
        },
        recommended=raw.get("recommended"),
        inputs_hash=str(raw.get("inputsHash", "")),
    )


def _volume_json(volume: DataVolume | None) -> list[dict[str, Any]] | None:
    if volume is None:
        return None
    return [{"rows": s.rows, "mean": s.mean, "p95": s.p95, "max": s.max} for s in volume.sources]


def _volume_from_json(raw: Any) -> DataVolume | None:
    if not raw:
        return None
    return DataVolume(
        tuple(SourceTokens(int(item["rows"]), float(item["mean"]), item.get("p95"), item.get("max")) for item in raw)
    )


@dataclass(frozen=True)
class WhatIf:
    """An unsaved what-if: step 2 as typed, and the model and data it is sized for (each optional
    where a package supplies it)."""

    config: object = None
    model_config: object = None
    parameters: float | None = None
    tokens: float | None = None


def what_if(
    asked: WhatIf,
    content: PackageContent | None = None,
    facts: Facts | None = None,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Estimate:
    """The estimate of ``asked``, the blanks filled from a package's content and facts: the same plan
    mapping and estimator as the job. Bad input raises ``ValidationFailedError`` with field paths."""
    issues: list[Issue] = []
    facts = facts or Facts()
    base = content or PackageContent()
    config = base.config
    if asked.config is not None:
        parsed = parse_block(Step.CONFIG, asked.config)
        assert isinstance(parsed, ConfigStepData)
        config = parsed
    checked = base.with_block(Step.CONFIG, config)
    issues.extend(validate_step(Step.CONFIG, checked, facts, for_completion=False).errors)
    plan = plan_training(config)
    if plan is None and not issues:
        issues.append(
            Issue(
                "config",
                IssueCode.ESTIMATE_CONFIG_INCOMPLETE,
                "The estimate needs method, trainer, epochs, learningRate, batchSize and maxSeqLength "
                "(and lora.r for LORA and QLORA).",
            )
        )
    arch = _what_if_arch(asked, facts, issues)
    for name, value, bound in (("parameters", asked.parameters, MAX_PARAMETERS), ("tokens", asked.tokens, MAX_TOKENS)):
        if value is not None and not (0 < value <= bound):  # NaN fails too
            issues.append(Issue(name, IssueCode.OUT_OF_RANGE, f"Must be > 0 and ≤ {bound:g}; got {value:g}."))
    if issues or plan is None or arch is None:
        raise ValidationFailedError(issues, "The what-if cannot be estimated; nothing was computed.")
    parameters = int(asked.parameters) if asked.parameters is not None else None
    if parameters is None and asked.model_config is None and facts.model is not None:
        parameters = facts.model.parameter_count
    volume = None
    if asked.tokens is None and facts.datasets:
        volume = volume_from_facts(base.dataset, facts.datasets)
    try:
        return estimate(EstimateInput(arch, plan, parameters, volume, asked.tokens), catalogue)
    except EstimateError as error:
        raise ValidationFailedError([Issue("parameters", IssueCode.ESTIMATE_PARAMETERS_UNKNOWN, str(error))]) from None


def _what_if_arch(asked: WhatIf, facts: Facts, issues: list[Issue]) -> Architecture | None:
    if asked.model_config is not None:
        arch = architecture_from_config(asked.model_config) if isinstance(asked.model_config, Mapping) else None
        if arch is None:
            issues.append(
                Issue(
                    "modelConfig",
                    IssueCode.MODEL_CONFIG_INVALID,
                    "Not a decoder's config.json: it needs hidden_size, num_hidden_layers, num_attention_heads "
                    "and vocab_size.",
                )
            )
        return arch
    if facts.model is not None and facts.model.arch is not None:
        return facts.model.arch
    if facts.model is not None:
        issues.append(
            Issue("modelConfig", IssueCode.ESTIMATE_MODEL_FACTS_MISSING, "The package's model states no dimensions.")
        )
    else:
        issues.append(
            Issue(
                "modelConfig",
                IssueCode.REQUIRED,
                "Give a model's config.json, or a package whose model is resolved.",
            )
        )
    return None
