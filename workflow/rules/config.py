"""Rules of step 2 (the training configuration)."""

from __future__ import annotations

from collections.abc import Iterator

from workflow.facts import Facts
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules.checks import Range, check_range, require
from workflow.steps import PackageContent

ALL_LINEAR = "all-linear"

RANGES: dict[str, Range] = {
    "epochs": Range(0, False, 100, True),
    "learningRate": Range(0, False, 1, True),
    "batchSize": Range(1, True, 4096, True),
    "gradientAccumulation": Range(1, True, 4096, True),
    "maxSeqLength": Range(1, True, 1_048_576, True),
    "warmupRatio": Range(0, True, 1, False),
    "weightDecay": Range(0, True, 1, True),
    "seed": Range(0, True, 2**32 - 1, True),
    "lora.r": Range(1, True, 1024, True),
    "lora.alpha": Range(0, False, None),
    "lora.dropout": Range(0, True, 1, False),
}


def check(content: PackageContent, facts: Facts) -> Iterator[Issue]:
    """Ranges, method-specific requirements, and the checks against the resolved model."""
    config = content.config
    for field, what in (
        ("method", "The method"),
        ("trainer", "The trainer"),
        ("epochs", "The number of epochs"),
        ("learning_rate", "The learning rate"),
        ("batch_size", "The batch size"),
        ("max_seq_length", "The maximum sequence length"),
    ):
        yield from require(f"config.{_camel(field)}", getattr(config, field), what)
    lora = config.lora
    values: dict[str, float | None] = {
        "epochs": config.epochs,
        "learningRate": config.learning_rate,
        "batchSize": config.batch_size,
        "gradientAccumulation": config.gradient_accumulation,
        "maxSeqLength": config.max_seq_length,
        "warmupRatio": config.warmup_ratio,
        "weightDecay": config.weight_decay,
        "seed": config.seed,
        "lora.r": lora.r if lora else None,
        "lora.alpha": lora.alpha if lora else None,
        "lora.dropout": lora.dropout if lora else None,
    }
    for name, bound in RANGES.items():
        yield from check_range(f"config.{name}", values[name], bound)

    if config.method in ("LORA", "QLORA"):
        yield from require("config.lora.r", lora.r if lora else None, "The LoRA rank r")
    if config.method == "QLORA":
        yield from require("config.quantBits", config.quant_bits, "The quantisation bits")
        if config.quant_bits is not None and config.quant_bits != 4:
            yield Issue("config.quantBits", IssueCode.QLORA_REQUIRES_4BIT, "QLoRA trains on 4-bit base weights.")
        if config.precision == "fp32":
            yield Issue(
                "config.precision", IssueCode.QLORA_REQUIRES_HALF_PRECISION, "QLoRA computes in bf16 or fp16, not fp32."
            )
    if config.method == "FULL" and lora is not None:
        yield Issue(
            "config.lora",
            IssueCode.LORA_SETTINGS_UNUSED,
            "LoRA settings are ignored by a full fine-tune.",
            Severity.WARNING,
        )

    yield from _against_model(content, facts)


def _against_model(content: PackageContent, facts: Facts) -> Iterator[Issue]:
    config = content.config
    if config.max_seq_length is not None:
        if facts.model is None:
            yield Issue(
                "config.maxSeqLength",
                IssueCode.CONTEXT_LENGTH_PENDING,
                "The model's context length is not known until the model is resolved.",
                Severity.PENDING,
            )
        elif facts.model.context_length is not None and config.max_seq_length > facts.model.context_length:
            yield Issue(
                "config.maxSeqLength",
                IssueCode.MAX_SEQ_LENGTH_EXCEEDS_CONTEXT,
                f"The model's context length is {facts.model.context_length}; {config.max_seq_length} does not fit.",
            )
    modules = config.lora.target_modules if config.lora and config.method in ("LORA", "QLORA") else None
    if modules and modules != [ALL_LINEAR]:
        if facts.model is None:
            yield Issue(
                "config.lora.targetModules",
                IssueCode.TARGET_MODULES_PENDING,
                "Target modules are checked once the model is resolved.",
                Severity.PENDING,
            )
        else:
            unknown = [name for name in modules if name not in facts.model.module_names]
            if unknown:
                yield Issue(
                    "config.lora.targetModules",
                    IssueCode.TARGET_MODULES_UNKNOWN,
                    f"The model has no linear modules named {', '.join(unknown)}.",
                )


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)
