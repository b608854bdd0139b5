"""Rules of step 3 (datasets and evaluation split)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from workflow.facts import DatasetFacts, Facts
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
# The kind of column a role needs, where it needs a particular one (the others take any kind).
ROLE_KINDS: dict[str, str] = {"messages": "messages"}
# Worker failure codes reported as themselves; any other (a Hub error, say) as DATASET_PROFILE_FAILED.
PROFILE_FAILURE_CODES = frozenset(
    {
        IssueCode.DATASET_EMPTY,
        IssueCode.DATASET_FORMAT_INVALID,
        IssueCode.DATASET_TOO_LARGE,
        IssueCode.DATASET_ENCODING_INVALID,
        IssueCode.DATASET_UNREADABLE,
        IssueCode.LOCAL_PATH_NOT_FOUND,
        IssueCode.LOCAL_PATH_FORBIDDEN,
    }
)
# One issue per malformed line up to this many, then one "… and N more": enough to find the
# pattern without flooding the wizard.
MAX_ROW_ISSUES = 5
MAX_NAMED_COLUMNS = 20
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
        yield from _check_profile(path, index, source.format, mapping, facts)


def _check_profile(path: str, index: int, fmt: str, mapping: Mapping[str, str], facts: Facts) -> Iterator[Issue]:
    """The mapping against what the profile-dataset job found: a failure, or the columns and rows."""
    failure = facts.dataset_failures.get(index)
    if failure is not None:
        code = IssueCode(failure.code) if failure.code in PROFILE_FAILURE_CODES else IssueCode.DATASET_PROFILE_FAILED
        message = (
            failure.message if code is not IssueCode.DATASET_PROFILE_FAILED else f"{failure.code}: {failure.message}"
        )
        yield Issue(path, code, message)
        return
    profile = facts.datasets.get(index) if facts.datasets is not None else None
    if profile is None:
        yield Issue(
            f"{path}.columnMapping",
            IssueCode.DATASET_PROFILE_PENDING,
            "The mapped columns are checked against the data once it is profiled.",
            Severity.PENDING,
        )
        return
    if profile.rows == 0:
        yield Issue(path, IssueCode.DATASET_EMPTY, "The dataset has no rows.")
    mapped = [(role, mapping[role]) for role in FORMAT_ROLES[fmt] if mapping.get(role)]
    for role, column in mapped:
        if column not in profile.columns:
            yield Issue(
                f"{path}.columnMapping.{role}",
                IssueCode.DATASET_COLUMN_MISSING,
                f"The data has no column {column!r}; its columns are: {_names(profile.columns)}.",
            )
        elif role in ROLE_KINDS and profile.column_kinds.get(column, ROLE_KINDS[role]) != ROLE_KINDS[role]:
            yield Issue(
                f"{path}.columnMapping.{role}",
                IssueCode.DATASET_COLUMN_KIND_MISMATCH,
                f"Column {column!r} holds {profile.column_kinds[column]} values; the {role} role needs "
                f"{ROLE_KINDS[role]} (a list of objects with string role and content).",
            )
    yield from _malformed_rows(path, profile)
    for role, column in mapped:
        lines = profile.column_gaps.get(column, ())
        if column in profile.columns and lines:
            total = max(profile.gap_counts.get(column, 0), len(lines))
            more = f" (and {total - len(lines):,} more)" if total > len(lines) else ""
            yield Issue(
                f"{path}.columnMapping.{role}",
                IssueCode.DATASET_VALUE_MISSING,
                f"Column {column!r} is missing, null, empty or malformed on line{'s' if len(lines) > 1 else ''} "
                f"{', '.join(str(line) for line in lines)}{more}.",
            )


def _malformed_rows(path: str, profile: DatasetFacts) -> Iterator[Issue]:
    problems = sorted(profile.problems, key=lambda problem: (problem.line, problem.code, problem.message))
    for problem in problems[:MAX_ROW_ISSUES]:
        yield Issue(path, IssueCode.DATASET_ROW_MALFORMED, f"line {problem.line}: {problem.message}")
    rest = max(profile.problem_count, len(problems)) - MAX_ROW_ISSUES
    if rest > 0:
        yield Issue(
            path, IssueCode.DATASET_ROW_MALFORMED, f"… and {rest:,} more malformed line{'s' if rest > 1 else ''}."
        )


def _names(columns: Iterable[str]) -> str:
    ordered = sorted(columns)
    shown = ", ".join(repr(name) for name in ordered[:MAX_NAMED_COLUMNS])
    if not ordered:
        return "(none)"
    return shown + (f" and {len(ordered) - MAX_NAMED_COLUMNS} more" if len(ordered) > MAX_NAMED_COLUMNS else "")
