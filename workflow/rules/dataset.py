"""Rules of step 3 (datasets and evaluation split)."""

from __future__ import annotations

from collections.abc import Iterator

from workflow.facts import Facts
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules.checks import REPO_ID, Range, check_pattern, check_range, require
from workflow.steps import DatasetSource, PackageContent

# The roles each format needs mapped to a column of the data.
FORMAT_ROLES: dict[str, tuple[str, ...]] = {
    "CHAT": ("messages",),
    "INSTRUCTION": ("prompt", "completion"),
    "COMPLETION": ("text",),
    "PREFERENCE": ("prompt", "chosen", "rejected"),
}
TRAINER_FORMATS: dict[str, tuple[str, ...]] = {
    "SFT": ("CHAT", "INSTRUCTION", "COMPLETION"),
    "DPO": ("PREFERENCE",),
}
WEIGHT = Range(0, False, None)
MAX_SAMPLES = Range(1, True, None)
EVAL_FRACTION = Range(0, False, 0.5, False)


def check(content: PackageContent, facts: Facts) -> Iterator[Issue]:
    """Every source is complete and mapped for its format and the chosen trainer."""
    dataset = content.dataset
    if not dataset.sources:
        yield Issue("dataset.sources", IssueCode.DATASET_SOURCE_REQUIRED, "Add at least one dataset.")
    for index, source in enumerate(dataset.sources or []):
        yield from _check_source(f"dataset.sources[{index}]", index, source, content.config.trainer, facts)
    evaluation = dataset.eval
    if evaluation is not None:
        if evaluation.mode == "FRACTION":
            yield from require("dataset.eval.fraction", evaluation.fraction, "The evaluation fraction")
            yield from check_range("dataset.eval.fraction", evaluation.fraction, EVAL_FRACTION)
        elif evaluation.mode == "SPLIT":
            yield from require("dataset.eval.split", evaluation.split, "The evaluation split")


def _check_source(path: str, index: int, source: DatasetSource, trainer: str | None, facts: Facts) -> Iterator[Issue]:
    yield from require(f"{path}.source", source.source, "The dataset source (HUB, UPLOAD or LOCAL)")
    location = {
        "HUB": ("repoId", source.repo_id),
        "UPLOAD": ("uploadId", source.upload_id),
        "LOCAL": ("path", source.path),
    }.get(source.source or "")
    if location:
        yield from require(f"{path}.{location[0]}", location[1], f"The dataset's {location[0]}")
    if source.source == "HUB":
        yield from check_pattern(
            f"{path}.repoId",
            source.repo_id,
            REPO_ID,
            IssueCode.DATASET_REPO_ID_INVALID,
            "dataset repository id (owner/name)",
        )
    yield from check_range(f"{path}.weight", source.weight, WEIGHT)
    yield from check_range(f"{path}.maxSamples", source.max_samples, MAX_SAMPLES)
    yield from require(f"{path}.format", source.format, "The dataset format")
    if source.format is None:
        return
    if trainer is not None and source.format not in TRAINER_FORMATS[trainer]:
        wanted = " or ".join(TRAINER_FORMATS[trainer])
        yield Issue(
            f"{path}.format",
            IssueCode.DATASET_FORMAT_TRAINER_MISMATCH,
            f"The {trainer} trainer needs {wanted} data, not {source.format}.",
        )
    mapping = source.column_mapping or {}
    roles = FORMAT_ROLES[source.format]
    missing = [role for role in roles if not mapping.get(role)]
    if missing:
        yield Issue(
            f"{path}.columnMapping",
            IssueCode.COLUMN_MAPPING_INCOMPLETE,
            f"Map a column to each role of the {source.format} format; missing: {', '.join(missing)}.",
        )
    for role in sorted(set(mapping) - set(roles)):
        yield Issue(
            f"{path}.columnMapping.{role}",
            IssueCode.COLUMN_MAPPING_UNUSED_ROLE,
            f"The {source.format} format has no role {role!r}; it is ignored.",
            Severity.WARNING,
        )
    if location and location[1]:
        columns = facts.dataset_columns.get(index) if facts.dataset_columns is not None else None
        if columns is None:
            yield Issue(
                f"{path}.columnMapping",
                IssueCode.DATASET_PROFILE_PENDING,
                "The mapped columns are checked against the data once it is profiled.",
                Severity.PENDING,
            )
