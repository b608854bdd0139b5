"""The facts workers learned, as stored on the package row, and the ``Facts`` the rules see (pure).

Stored form (jsonb)::

    {"model":   {"<key>": {"seq": 3, "facts": {...}} | {"seq": 4, "failure": {"code", "message"}}},
     "dataset": {"<key>": {"seq": 5, "facts": {...}, "profile": {...}} | {... "failure": ...}},
     "estimate": {"<key>": {"seq": 6, "facts": {<the estimate, inputsHash, computedAt>}} | {... "failure": ...}}}

Entries are keyed by the job input's fingerprint, so the rules consult only results that
match the current selections (an estimate's key is that of its inputs: the config, and the
facts above that apply); at most ``KEEP_PER_FAMILY`` entries per family are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from workflow.core.architecture import Architecture
from workflow.datasets import DatasetProfile
from workflow.estimates import estimate_facts_from_json, estimate_request
from workflow.facts import DataProblem, DatasetFacts, Facts, Failure, ModelFacts
from workflow.job_inputs import JobKind, dataset_input, input_key, model_input, wanted
from workflow.steps import PackageContent

KEEP_PER_FAMILY = 16


def facts_for(
    content: PackageContent, stored: Mapping[str, Any], hardware_names: tuple[str, ...] | None = None
) -> Facts:
    """The facts that apply to ``content``: those stored under the keys of its current inputs, and
    the flavours of the hardware catalogue in use (``None``: the default table)."""
    model: ModelFacts | None = None
    model_failure: Failure | None = None
    chosen_model = model_input(content.model)
    if chosen_model is not None:
        entry = stored.get("model", {}).get(input_key(JobKind.RESOLVE_MODEL, chosen_model))
        if entry is not None:
            model = model_facts_from_json(entry["facts"]) if "facts" in entry else None
            model_failure = _failure(entry)
    datasets: dict[int, DatasetFacts] = {}
    failures: dict[int, Failure] = {}
    for index, source in enumerate(content.dataset.sources or []):
        chosen_data = dataset_input(source)
        if chosen_data is None:
            continue
        entry = stored.get("dataset", {}).get(input_key(JobKind.PROFILE_DATASET, chosen_data))
        if entry is None:
            continue
        failure = _failure(entry)
        if failure is not None:
            failures[index] = failure
        elif "facts" in entry:
            datasets[index] = dataset_facts_from_json(entry["facts"])
    found = Facts(
        model=model,
        model_failure=model_failure,
        datasets=datasets or None,
        dataset_failures=failures,
        hardware_names=hardware_names,
    )
    entry = _estimate_entry(content, stored, found)
    if entry is None:
        return found
    return replace(
        found,
        estimate=estimate_facts_from_json(entry["facts"]) if "facts" in entry else None,
        estimate_failure=_failure(entry),
    )


def estimate_entry(
    content: PackageContent, stored: Mapping[str, Any], hardware_names: tuple[str, ...] | None = None
) -> Mapping[str, Any] | None:
    """The stored estimate for the content's current inputs (on the catalogue in use), if any."""
    return _estimate_entry(content, stored, facts_for(content, stored, hardware_names))


def _estimate_entry(content: PackageContent, stored: Mapping[str, Any], facts: Facts) -> Mapping[str, Any] | None:
    request = estimate_request(content, facts)
    return entry_for(stored, request.key) if request is not None else None


def with_result(
    stored: Mapping[str, Any],
    key: str,
    *,
    facts: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    failure: Failure | None = None,
    keep: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A copy of ``stored`` with one result recorded under ``key``.

    Past ``KEEP_PER_FAMILY`` entries the oldest are dropped, but never one in ``keep``: the keys
    the draft and the published versions use (a burst of other inputs must not make a complete
    step pending again).
    """
    family = key.split(":", 1)[0]
    entries = dict(stored.get(family, {}))
    seq = 1 + max(
        (int(entry.get("seq", 0)) for group in stored.values() if isinstance(group, dict) for entry in group.values()),
        default=0,
    )
    entry: dict[str, Any] = {"seq": seq, **(extra or {})}
    if failure is not None:
        entry["failure"] = {"code": failure.code, "message": failure.message}
    else:
        entry["facts"] = dict(facts or {})
    entries[key] = entry
    if len(entries) > KEEP_PER_FAMILY:
        spare = sorted((item for item in entries.items() if item[0] not in keep and item[0] != key), key=_age)
        for old_key, _ in spare[: len(entries) - KEEP_PER_FAMILY]:
            del entries[old_key]
    return {**stored, family: entries}


def keys_in_use(
    contents: Iterable[PackageContent], stored: Mapping[str, Any], hardware_names: tuple[str, ...] | None = None
) -> frozenset[str]:
    """The fact keys these contents consult (the draft's and the published versions')."""
    keys: set[str] = set()
    for content in contents:
        keys.update(request.key for request in wanted(content))
        estimate = estimate_request(content, facts_for(content, stored, hardware_names))
        if estimate is not None:
            keys.add(estimate.key)
    return frozenset(keys)


def _age(item: tuple[str, Mapping[str, Any]]) -> int:
    return int(item[1].get("seq", 0))


def entry_for(stored: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The stored result under ``key``, if any."""
    family = key.split(":", 1)[0]
    entry: Mapping[str, Any] | None = stored.get(family, {}).get(key)
    return entry


def model_facts_to_json(facts: ModelFacts) -> dict[str, Any]:
    """JSON form of a resolved model's metadata (also shown to clients as the job result)."""
    return {
        "resolvedSha": facts.resolved_sha,
        "contextLength": facts.context_length,
        "moduleNames": sorted(facts.module_names),
        "parameterCount": facts.parameter_count,
        "licence": facts.licence,
        "gated": facts.gated,
        "dtype": facts.dtype,
        "architecture": facts.architecture,
        "modelType": facts.model_type,
        "sizeBytes": facts.size_bytes,
        "parametersByDtype": dict(facts.parameters_by_dtype),
        "arch": facts.arch.to_json() if facts.arch is not None else None,
    }


def model_facts_from_json(raw: Mapping[str, Any]) -> ModelFacts:
    """Inverse of ``model_facts_to_json``."""
    return ModelFacts(
        resolved_sha=raw["resolvedSha"],
        context_length=raw.get("contextLength"),
        module_names=frozenset(raw.get("moduleNames", ())),
        parameter_count=raw.get("parameterCount"),
        licence=raw.get("licence"),
        gated=bool(raw.get("gated", False)),
        dtype=raw.get("dtype"),
        architecture=raw.get("architecture"),
        model_type=raw.get("modelType"),
        size_bytes=raw.get("sizeBytes"),
        parameters_by_dtype=dict(raw.get("parametersByDtype", {})),
        arch=Architecture.from_json(raw["arch"]) if raw.get("arch") else None,
    )


def dataset_facts_to_json(facts: DatasetFacts) -> dict[str, Any]:
    """JSON form of what the rules need from a dataset profile."""
    return {
        "columns": sorted(facts.columns),
        "rows": facts.rows,
        "problems": [{"line": p.line, "code": p.code, "message": p.message} for p in facts.problems],
        "columnGaps": {name: list(lines) for name, lines in facts.column_gaps.items()},
        "columnKinds": dict(facts.column_kinds),
        "problemCount": facts.problem_count,
        "gapCounts": dict(facts.gap_counts),
        "tokenMean": facts.token_mean,
        "tokenP95": facts.token_p95,
        "tokenMax": facts.token_max,
    }


def dataset_facts_from_json(raw: Mapping[str, Any]) -> DatasetFacts:
    """Inverse of ``dataset_facts_to_json``."""
    return DatasetFacts(
        columns=frozenset(raw.get("columns", ())),
        rows=int(raw.get("rows", 0)),
        problems=tuple(DataProblem(p["line"], p["code"], p["message"]) for p in raw.get("problems", ())),
        column_gaps={name: tuple(lines) for name, lines in raw.get("columnGaps", {}).items()},
        column_kinds=dict(raw.get("columnKinds", {})),
        problem_count=int(raw.get("problemCount", 0)),
        gap_counts=dict(raw.get("gapCounts", {})),
        token_mean=raw.get("tokenMean"),
        token_p95=raw.get("tokenP95"),
        token_max=raw.get("tokenMax"),
    )


def profile_extra(profile: DatasetProfile) -> dict[str, Any]:
    """What a dataset's stored result keeps of its profile beyond the rules' facts: the sample rows
    and the per-row token statistics, shown with the step (the full profile stays the job's result)."""
    return {"profile": {"sample": [dict(row) for row in profile.sample], "rowTokens": _tokens(profile)}}


def kept_profiles(content: PackageContent, stored: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    """The kept part of each current source's profile, by source index (results stored before it
    was kept, and sources not profiled yet, have none)."""
    found: dict[int, Mapping[str, Any]] = {}
    for index, source in enumerate(content.dataset.sources or []):
        chosen = dataset_input(source)
        entry = stored.get("dataset", {}).get(input_key(JobKind.PROFILE_DATASET, chosen)) if chosen else None
        if entry is not None and entry.get("profile"):
            found[index] = entry["profile"]
    return found


def _tokens(profile: DatasetProfile) -> dict[str, Any] | None:
    return dict(profile.row_tokens.to_json()) if profile.row_tokens else None


def _failure(entry: Mapping[str, Any]) -> Failure | None:
    raw = entry.get("failure")
    return Failure(raw["code"], raw["message"]) if raw else None
