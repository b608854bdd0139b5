"""One timed download, in its own process so the client never shares a GIL with the stand-in.

    python -m bench.download_client system   <endpoint> <repo id> <folder> <files as JSON>
    python -m bench.download_client baseline <endpoint> <repo id> <folder> <files as JSON>

``system`` is the model download the DOWNLOAD_MODEL job runs (``download_model``: the metadata
and free-disk precheck, ``snapshot_download`` with byte progress and cancellation, then the
sha256 check of every weight file). ``baseline`` is a plain streamed HTTP GET of each file,
written to disk, as many files at once as the job fetches. Prints ``{"seconds": …, "bytes": …}``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

# huggingface_hub imports its submodules on first use; a worker has done so long before a
# download, so the timed section must not include it.
import huggingface_hub.file_download
import huggingface_hub.hf_api  # noqa: F401

from workers.integrations.downloads import DOWNLOAD_WORKERS, download_model

CHUNK = 1 << 20
PARALLEL_FILES = DOWNLOAD_WORKERS  # the same parallelism as the download job's snapshot_download


def system(endpoint: str, repo_id: str, folder: Path) -> int:
    """Download through the job's integration; the bytes it fetched."""
    result = download_model(
        repo_id,
        "main",
        endpoint=endpoint,
        token=None,
        cache_dir=folder,
        on_progress=lambda _done, _total: None,
        cancel=threading.Event(),
    )
    return result.total_bytes


def baseline(endpoint: str, repo_id: str, folder: Path, files: list[str]) -> int:
    """GET each file and write it out, as many files at once as the download job fetches; the bytes written."""
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=PARALLEL_FILES)) as client:

        def fetch(name: str) -> int:
            written = 0
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with client.stream("GET", f"{endpoint}/{repo_id}/resolve/main/{name}") as response:
                response.raise_for_status()
                with target.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        written += out.write(chunk)
            return written

        with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
            return sum(pool.map(fetch, files))


def main(argv: list[str]) -> None:
    """Run one side and print its time and byte count."""
    side, endpoint, repo_id, folder, files = argv
    started = time.perf_counter()
    if side == "system":
        count = system(endpoint, repo_id, Path(folder))
    else:
        count = baseline(endpoint, repo_id, Path(folder), json.loads(files))
    print(json.dumps({"seconds": time.perf_counter() - started, "bytes": count}))


if __name__ == "__main__":
    main(sys.argv[1:])
