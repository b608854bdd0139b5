"""Dataset actor: ``dataset.profile`` (an upload, a Hub dataset split, or a local file)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, cast

from db.models import Upload
from workers.database import unit_of_work
from workers.hub_tokens import hub_token
from workers.integrations.dataset_files import Limits, profile_file
from workers.integrations.errors import IntegrationError
from workers.integrations.hub_datasets import fetch_hub_dataset
from workers.integrations.local_paths import confined
from workers.runner import JobContext, Outcome, job_actor
from workflow.datasets import DatasetProfile
from workflow.fact_store import dataset_facts_to_json, profile_extra
from workflow.job_inputs import JobKind, local_file_format

FileFormat = Literal["JSONL", "CSV", "PARQUET"]


async def _profile(context: JobContext) -> Outcome:
    """Profile one dataset source: rows, columns, a sample, token statistics, malformed rows."""
    spec = context.job.input
    settings = context.settings
    context.progress(0.05, "Fetching the data")
    limits = Limits(settings.profile_max_bytes, settings.profile_max_rows)
    pinned: dict[str, str] = {}  # a Hub source's commit, which a bundle of the version pins
    if spec["source"] == "UPLOAD":
        upload = await _upload(context.job.organisation_id, spec["uploadId"])
        context.progress(0.2, f"Profiling {upload.filename}")
        found = await asyncio.to_thread(_profile_bytes, upload.content, upload.format, limits, context.cancel)
    elif spec["source"] == "HUB":
        fetched = await asyncio.to_thread(
            fetch_hub_dataset,
            spec["repoId"],
            "main",
            subset=spec.get("subset"),
            split=spec.get("split") or "train",
            endpoint=settings.hf_endpoint,
            token=await hub_token(context),
            cache_dir=settings.dataset_cache_dir,
        )
        pinned["revision"] = fetched.commit_sha
        context.progress(0.5, f"Profiling {spec['repoId']} ({spec.get('split') or 'train'})")
        found = await asyncio.to_thread(
            profile_file,
            fetched.path,
            cast(FileFormat, fetched.format),
            max_bytes=limits.max_bytes,
            max_rows=limits.max_rows,
            cancel=context.cancel,
        )
    else:
        found = await asyncio.to_thread(_profile_local, spec["path"], settings.local_roots, limits, context.cancel)
    facts = {"facts": dataset_facts_to_json(found.to_facts()), **profile_extra(found), **pinned}
    return Outcome(result=found.to_json(), facts=facts)


async def _upload(organisation_id: uuid.UUID, upload_id: str) -> Upload:
    """The organisation's upload named in the source (an id that is no upload's is not found)."""
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        key = None
    found = None
    if key is not None:
        async with unit_of_work() as uow:
            found = await uow.uploads.get(organisation_id, key)
    if found is None:
        raise IntegrationError("UPLOAD_NOT_FOUND", f"No upload with id {upload_id!r} was found.")
    return found


def _profile_bytes(content: bytes, fmt: str, limits: Limits, cancel: threading.Event) -> DatasetProfile:
    """Profile an upload's bytes (through a temporary file: the profiler streams from disk)."""
    with tempfile.TemporaryDirectory(prefix="trainpack-upload-") as folder:
        path = Path(folder) / "data"
        path.write_bytes(content)
        return profile_file(
            path, cast(FileFormat, fmt), max_bytes=limits.max_bytes, max_rows=limits.max_rows, cancel=cancel
        )


def _profile_local(location: str, roots: Sequence[Path], limits: Limits, cancel: threading.Event) -> DatasetProfile:
    fmt = local_file_format(location)
    if fmt is None:
        raise IntegrationError("DATASET_FORMAT_INVALID", "A local dataset must be a .jsonl, .csv or .parquet file.")
    path = confined(location, roots)
    if not path.is_file():
        raise IntegrationError("LOCAL_PATH_NOT_FOUND", f"No file at {location!r}.")
    return profile_file(
        path, cast(FileFormat, fmt), max_bytes=limits.max_bytes, max_rows=limits.max_rows, cancel=cancel
    )


profile = job_actor(JobKind.PROFILE_DATASET, _profile)
