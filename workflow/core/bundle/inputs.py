"""What a bundle is rendered from: a published version and the facts pinned for it (pure data).

The caller (the build job) gathers these from the version row, the stored facts and the upload
rows; rendering then needs nothing else: no clock, no randomness, no host path. Everything a
bundle says comes from here, so equal inputs render equal bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from workflow.facts import ModelFacts
from workflow.steps import PackageContent

COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
SHA256 = re.compile(r"[0-9a-f]{64}")

FileFormat = Literal["JSONL", "CSV", "PARQUET"]
EstimateValue = str | int | float | bool


@dataclass(frozen=True)
class HubDatasetPin:
    """A Hub dataset source pinned to the commit it was read at (its ``revision``, 40 hex digits)."""

    revision: str


@dataclass(frozen=True)
class DatasetFile:
    """A dataset file the bundle carries under ``data/`` (an upload, or a local file's bytes).

    ``sha256`` is the digest recorded when the file was stored; rendering checks the bytes
    against it. ``filename`` is the name the user gave it (only its last part is used).
    """

    filename: str
    file_format: FileFormat
    content: bytes = field(repr=False)
    sha256: str

    @property
    def actual_sha256(self) -> str:
        """The sha256 of ``content``."""
        return hashlib.sha256(self.content).hexdigest()


DatasetPin = HubDatasetPin | DatasetFile
"""How one dataset source of the version is pinned."""


@dataclass(frozen=True)
class BundleInputs:
    """Everything one bundle is rendered from.

    ``datasets`` holds one pin per ``content.dataset.sources`` entry, in the same order: a
    ``HubDatasetPin`` for a HUB source, a ``DatasetFile`` for an UPLOAD or LOCAL one.
    ``estimate`` is an optional summary for the model card (label → value, e.g.
    ``{"hardware": "a10g-small", "peak memory per GPU": "13.2 GB"}``), shown sorted by label.
    """

    package_name: str
    version: int
    content_hash: str
    content: PackageContent
    model: ModelFacts
    datasets: tuple[DatasetPin, ...]
    estimate: Mapping[str, EstimateValue] | None = None
