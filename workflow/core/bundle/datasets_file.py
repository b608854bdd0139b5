"""``datasets.json`` and the ``data/`` files: every source pinned, the files carried along.

TRL's config file has no dataset revision, so the sources live in this sidecar, which
``train.py`` reads: a Hub dataset by repository and commit sha, a file (an upload, or a local
file's bytes, since a Space cannot reach trainpack) by its path in the bundle and sha256.
Only the roles of a source's format are kept from its column mapping (rules warn about others),
and a local file is named by its last path part only: no host path enters the bundle.
"""

from __future__ import annotations

import re
from typing import Any

from workflow.core.bundle.errors import BundleInputError
from workflow.core.bundle.inputs import COMMIT_SHA, SHA256, BundleInputs, DatasetFile, HubDatasetPin
from workflow.core.training import TrainingPlan
from workflow.rules.dataset import FORMAT_ROLES, TRAINER_FORMATS
from workflow.steps import DatasetSource

DATASETS_FORMAT_VERSION = 1
DATA_DIR = "data"
EXTENSIONS = {"JSONL": ".jsonl", "CSV": ".csv", "PARQUET": ".parquet"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STEM_CHARS = 48


def datasets_document(inputs: BundleInputs, plan: TrainingPlan) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The ``datasets.json`` document and the data files (bundle path → bytes) it refers to."""
    sources = inputs.content.dataset.sources or []
    if not sources:
        raise BundleInputError("The version has no dataset source.", code="BUNDLE_DATASET_INVALID")
    if len(inputs.datasets) != len(sources):
        raise BundleInputError(
            f"The version has {len(sources)} dataset sources but {len(inputs.datasets)} pins were given.",
            code="BUNDLE_DATASETS_MISMATCH",
        )
    files: dict[str, bytes] = {}
    by_digest: dict[str, str] = {}
    entries = []
    for index, (source, pin) in enumerate(zip(sources, inputs.datasets, strict=True)):
        entry = _described(index, source, plan)
        if source.source == "HUB":
            if not isinstance(pin, HubDatasetPin) or not COMMIT_SHA.fullmatch(pin.revision):
                raise BundleInputError(
                    f"Dataset source {index} ({source.repo_id}) needs the commit sha it was read at.",
                    code="BUNDLE_DATASET_UNPINNED",
                )
            location: dict[str, Any] = {"repoId": source.repo_id, "revision": pin.revision}
            location |= {"subset": source.subset, "split": source.split or "train"}
        else:
            if not isinstance(pin, DatasetFile):
                raise BundleInputError(
                    f"Dataset source {index} ({source.source}) needs the file's bytes.", code="BUNDLE_DATASET_UNPINNED"
                )
            path = _file_path(index, pin, by_digest)
            files[path] = pin.content
            location = {"file": path, "fileFormat": pin.file_format, "sha256": pin.sha256}
            location["fileName"] = _last_part(pin.filename)
        entries.append({"index": index, "source": source.source, **location, **entry})
    evaluation = inputs.content.dataset.eval
    mode = (evaluation.mode if evaluation is not None else None) or "NONE"
    eval_doc: dict[str, Any] = {"mode": mode}
    if mode == "FRACTION" and evaluation is not None:
        eval_doc["fraction"] = evaluation.fraction
    if mode == "SPLIT" and evaluation is not None:
        eval_doc["split"] = evaluation.split
    document = {
        "formatVersion": DATASETS_FORMAT_VERSION,
        "trainer": plan.trainer,
        "sources": entries,
        "eval": eval_doc,
    }
    return document, files


def _described(index: int, source: DatasetSource, plan: TrainingPlan) -> dict[str, Any]:
    fmt = source.format
    if fmt is None or fmt not in TRAINER_FORMATS[plan.trainer]:
        raise BundleInputError(
            f"Dataset source {index} has format {fmt}, which the {plan.trainer} trainer does not take.",
            code="BUNDLE_DATASET_INVALID",
        )
    mapping = source.column_mapping or {}
    roles = FORMAT_ROLES[fmt]
    missing = [role for role in roles if not mapping.get(role)]
    if missing:
        raise BundleInputError(
            f"Dataset source {index} maps no column to: {', '.join(missing)}.", code="BUNDLE_DATASET_INVALID"
        )
    return {
        "format": fmt,
        "columnMapping": {role: mapping[role] for role in roles},
        "weight": float(source.weight) if source.weight is not None else 1.0,
        "maxSamples": source.max_samples,
    }


def _file_path(index: int, pin: DatasetFile, by_digest: dict[str, str]) -> str:
    """``data/<sha256 prefix>-<safe name>``: one copy per content, a name a person recognises."""
    if not SHA256.fullmatch(pin.sha256) or pin.actual_sha256 != pin.sha256:
        raise BundleInputError(
            f"Dataset source {index}: the file's bytes do not match its recorded sha256.",
            code="BUNDLE_DATASET_SHA256_MISMATCH",
        )
    if pin.sha256 in by_digest:
        return by_digest[pin.sha256]
    extension = EXTENSIONS[pin.file_format]
    name = _UNSAFE.sub("-", _last_part(pin.filename)).strip("-.") or "data"
    stem = name[: -len(extension)] if name.lower().endswith(extension) else name
    path = f"{DATA_DIR}/{pin.sha256[:12]}-{stem[:_STEM_CHARS].strip('-.') or 'data'}{extension}"
    by_digest[pin.sha256] = path
    return path


def _last_part(filename: str) -> str:
    return re.split(r"[\\/]", filename)[-1]
