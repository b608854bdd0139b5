"""Job kinds and statuses, and what a job works on (pure).

A job's input is derived from the step data, and its *key* (a fingerprint of the input)
decides whether a worker's result still applies: facts are stored under the key, so a
result for a model the user has since replaced is simply never consulted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflow.rules.checks import REPO_ID
from workflow.steps import DatasetSource, ModelStepData, PackageContent


class JobKind(StrEnum):
    """What a job does; the worker's actor for each is named ``domain.verb``."""

    RESOLVE_MODEL = "RESOLVE_MODEL"
    DOWNLOAD_MODEL = "DOWNLOAD_MODEL"
    PROFILE_DATASET = "PROFILE_DATASET"
    ESTIMATE_COST = "ESTIMATE_COST"
    BUILD_PACKAGE = "BUILD_PACKAGE"


class JobStatus(StrEnum):
    """A job's life: QUEUED → RUNNING → one of the three terminal states."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})

ACTOR_NAMES: Mapping[JobKind, str] = {
    JobKind.RESOLVE_MODEL: "model.resolve",
    JobKind.DOWNLOAD_MODEL: "model.download",
    JobKind.PROFILE_DATASET: "dataset.profile",
    JobKind.ESTIMATE_COST: "estimate.compute",
    JobKind.BUILD_PACKAGE: "package.build",
}

FAMILIES: Mapping[JobKind, str] = {
    JobKind.RESOLVE_MODEL: "model",
    JobKind.DOWNLOAD_MODEL: "model",
    JobKind.PROFILE_DATASET: "dataset",
    JobKind.ESTIMATE_COST: "estimate",
    JobKind.BUILD_PACKAGE: "bundle",
}
"""The fact family a kind's results are stored under (the key's prefix)."""

FILE_FORMATS = {".jsonl": "JSONL", ".json": "JSONL", ".csv": "CSV", ".parquet": "PARQUET"}


@dataclass(frozen=True)
class JobRequest:
    """A job to create: its kind, its input and the input's key."""

    kind: JobKind
    input: dict[str, Any]

    @property
    def key(self) -> str:
        """The input's fingerprint (``kind:sha256-prefix``)."""
        return input_key(self.kind, self.input)


def input_key(kind: JobKind, job_input: Mapping[str, Any]) -> str:
    """A stable fingerprint of a job's input; downloads and resolutions of one model share it."""
    family = FAMILIES[kind]
    canonical = json.dumps(job_input, sort_keys=True, separators=(",", ":"))
    return f"{family}:{hashlib.sha256(canonical.encode()).hexdigest()[:40]}"


def model_input(model: ModelStepData) -> dict[str, Any] | None:
    """What resolving (or downloading) the chosen model works on; ``None`` until it is choosable."""
    if model.source == "HUB" and model.repo_id and REPO_ID.fullmatch(model.repo_id):
        return {"source": "HUB", "repoId": model.repo_id, "revision": model.revision or "main"}
    if model.source == "LOCAL" and model.path:
        return {"source": "LOCAL", "path": model.path}
    return None


def dataset_input(source: DatasetSource) -> dict[str, Any] | None:
    """What profiling one dataset source works on; ``None`` until its location is given."""
    if source.source == "HUB" and source.repo_id and REPO_ID.fullmatch(source.repo_id):
        return {"source": "HUB", "repoId": source.repo_id, "subset": source.subset, "split": source.split or "train"}
    if source.source == "UPLOAD" and source.upload_id:
        return {"source": "UPLOAD", "uploadId": source.upload_id}
    if source.source == "LOCAL" and source.path:
        return {"source": "LOCAL", "path": source.path}
    return None


def wanted(content: PackageContent) -> Iterator[JobRequest]:
    """The resolution and profiling jobs the content needs (whether or not they already ran)."""
    chosen_model = model_input(content.model)
    if chosen_model is not None:
        yield JobRequest(JobKind.RESOLVE_MODEL, chosen_model)
    for source in content.dataset.sources or []:
        chosen_data = dataset_input(source)
        if chosen_data is not None:
            yield JobRequest(JobKind.PROFILE_DATASET, chosen_data)


def local_file_format(path: str) -> str | None:
    """The data format of a local dataset file by its extension (JSONL, CSV or PARQUET)."""
    lowered = path.lower()
    return next((fmt for suffix, fmt in FILE_FORMATS.items() if lowered.endswith(suffix)), None)
