"""Fetch one split of a HUB dataset (its data file) for profiling, with huggingface_hub."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, hf_hub_download

from workers.integrations.errors import IntegrationError
from workers.integrations.hub_errors import hub_errors
from workflow.job_inputs import local_file_format

TIMEOUT = 10.0
SPLIT_OF_FILE = re.compile(r"(?:^|/)(?P<split>[A-Za-z0-9_.]+?)(?:-\d{5}-of-\d{5})?\.(?:jsonl|json|csv|parquet)$")


@dataclass(frozen=True)
class HubDatasetFile:
    """The downloaded data file of the split, its format, the commit, and the splits that exist."""

    path: Path
    format: str
    commit_sha: str
    splits: tuple[str, ...]


def fetch_hub_dataset(
    repo_id: str, revision: str, *, subset: str | None, split: str, endpoint: str, token: str | None, cache_dir: Path
) -> HubDatasetFile:
    """Download the first data file of ``split`` (in ``subset``'s folder when given)."""
    api = HfApi(endpoint=endpoint, token=token)
    with hub_errors(f"dataset {repo_id}@{revision}"):
        info = api.dataset_info(repo_id, revision=revision, timeout=TIMEOUT)
        sha = info.sha or revision
        files = [
            sibling.rfilename
            for sibling in info.siblings or []
            if local_file_format(sibling.rfilename) and (subset is None or sibling.rfilename.startswith(f"{subset}/"))
        ]
        splits = sorted({match["split"] for name in files if (match := SPLIT_OF_FILE.search(name))})
        candidates = sorted(
            name
            for name in files
            if any(
                fnmatch.fnmatch(name.rsplit("/", 1)[-1], pattern)
                for pattern in (f"{split}.*", f"{split}-*", f"{split}_*")
            )
        )
        if not candidates:
            raise IntegrationError(
                "DATASET_SPLIT_NOT_FOUND",
                f"{repo_id} has no data file for split {split!r}; splits found: {', '.join(splits) or 'none'}.",
            )
        chosen = candidates[0]
        path = hf_hub_download(
            repo_id,
            chosen,
            repo_type="dataset",
            revision=sha,
            endpoint=endpoint,
            token=token,
            cache_dir=cache_dir,
        )
    fmt = local_file_format(chosen)
    assert fmt is not None
    return HubDatasetFile(Path(path), fmt, sha, tuple(splits))
