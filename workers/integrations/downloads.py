"""Download a HUB model into the model cache with ``snapshot_download``: byte progress, a free-disk
precheck, cancellation, resumption after an interruption (complete files are kept; weight files a
killed download left half-written are finished with a Range request, see ``resume``), and
sha256 verification of the weights."""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, constants, snapshot_download
from tqdm.auto import tqdm

from workers.integrations.errors import Cancelled, IntegrationError
from workers.integrations.hub_errors import hub_errors
from workers.integrations.inflight import Followed, Follower
from workers.integrations.resume import WeightFile, resume_partials

DEFAULT_ALLOW = ("*.safetensors", "*.json", "*.txt", "*.model", "*.tiktoken", "tokenizer*")
DEFAULT_IGNORE = ("*.bin", "*.pt", "*.pth", "*.h5", "*.msgpack", "*.ckpt", "*.onnx", "*.ot")
FREE_MARGIN = 1.05  # keep 5 % headroom beyond the bytes still to fetch
VERIFY_THREADS = 4
DOWNLOAD_WORKERS = 4  # files fetched at once
CHUNK_BYTES = 1 << 20
"""The client reads a transfer in chunks of this size and reports (so we honour cancel) after each.
Its default of 10 MiB made progress coarse, cancellation slow to bite, and cost a copy per chunk."""
constants.DOWNLOAD_CHUNK_SIZE = CHUNK_BYTES


@dataclass(frozen=True)
class DownloadResult:
    """Where the snapshot is, which commit, which files, how many bytes."""

    path: Path
    commit_sha: str
    files: tuple[str, ...]
    total_bytes: int


def download_model(
    repo_id: str,
    revision: str,
    *,
    endpoint: str,
    token: str | None,
    cache_dir: Path,
    allow_patterns: Sequence[str] | None = None,
    ignore_patterns: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None],
    cancel: threading.Event,
    free_bytes: Callable[[Path], int] | None = None,
) -> DownloadResult:
    """Fetch the model's files (safetensors weights and small files by default) into ``cache_dir``."""
    allow = list(allow_patterns or DEFAULT_ALLOW)
    ignore = list(ignore_patterns or DEFAULT_IGNORE)
    what = f"model {repo_id}@{revision}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with hub_errors(what):
        info = HfApi(endpoint=endpoint, token=token).model_info(repo_id, revision=revision, files_metadata=True)
        sha = info.sha or revision
        wanted = {s.rfilename: s for s in info.siblings or [] if selected(s.rfilename, allow, ignore)}
        total = sum(sibling.size or 0 for sibling in wanted.values())
        missing = total - _already_complete(cache_dir, repo_id, sha, wanted)
        available = (free_bytes or _free)(cache_dir)
        if missing * FREE_MARGIN > available:
            raise IntegrationError(
                "DISK_SPACE_INSUFFICIENT",
                f"{what} needs {missing / 1e6:.1f} MB more but only {available / 1e6:.1f} MB are free.",
            )
        done = total - missing
        on_progress(done, total)
        resumed = [0]

        def on_resumed_bytes(count: int) -> None:
            resumed[0] += count
            on_progress(min(done + resumed[0], total), total)

        done += resume_partials(
            cache_dir,
            repo_id,
            sha,
            _weight_files(wanted),
            endpoint=endpoint,
            token=token,
            on_bytes=on_resumed_bytes,
            cancel=cancel,
        )
        blobs = cache_dir / f"models--{repo_id.replace('/', '--')}" / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        followers = {
            name: Follower(blobs, weight.sha256, weight.size)
            for name, weight in _weight_files(wanted).items()
            if not (blobs / weight.sha256).exists()
        }
        try:
            folder = snapshot_download(
                repo_id,
                revision=sha,
                cache_dir=cache_dir,
                allow_patterns=allow,
                ignore_patterns=ignore,
                endpoint=endpoint,
                token=token,
                max_workers=DOWNLOAD_WORKERS,
                tqdm_class=_progress_class(on_progress, cancel, total, done),
            )
        finally:
            followed = {name: follower.finish() for name, follower in followers.items()}
    root = Path(str(folder))
    _verify(root, wanted, followed)
    return DownloadResult(root, sha, tuple(sorted(wanted)), total)


def selected(name: str, allow: Sequence[str], ignore: Sequence[str]) -> bool:
    """Whether ``snapshot_download`` fetches ``name`` under these allow and ignore patterns."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in allow) and not any(
        fnmatch.fnmatch(name, pattern) for pattern in ignore
    )


def _free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _weight_files(wanted: dict[str, Any]) -> dict[str, WeightFile]:
    """The wanted files stored in LFS, with the size and sha256 the Hub publishes."""
    files = {}
    for name, sibling in wanted.items():
        lfs = getattr(sibling, "lfs", None)
        if lfs is not None and getattr(lfs, "sha256", None) and sibling.size is not None:
            files[name] = WeightFile(name, sibling.size, lfs.sha256)
    return files


def _already_complete(cache_dir: Path, repo_id: str, sha: str, wanted: dict[str, Any]) -> int:
    """Bytes of wanted files already complete in the snapshot (a resumed download skips them)."""
    snapshot = cache_dir / f"models--{repo_id.replace('/', '--')}" / "snapshots" / sha
    done = 0
    for name, sibling in wanted.items():
        path = snapshot / name
        if path.exists() and sibling.size is not None and path.stat().st_size == sibling.size:
            done += sibling.size
    return done


def _verify(root: Path, wanted: dict[str, Any], followed: Mapping[str, Followed | None]) -> None:
    """Every LFS file's sha256 must match the Hub's: one complete, verified copy or an error.

    A file hashed while it arrived (``inflight``) needs no second read; the others are hashed
    now, in parallel (hashlib releases the GIL), so a sharded model costs about one shard's read.
    A mismatch is always confirmed by a full read before the file is thrown away.
    """
    expected = {
        name: sha for name, sibling in wanted.items() if (sha := getattr(getattr(sibling, "lfs", None), "sha256", None))
    }
    digests: dict[str, str] = {}
    for name, sha in expected.items():
        seen = followed.get(name)
        if seen is not None and seen.sha256 == sha and seen.describes(root / name):
            digests[name] = sha
    unread = [name for name in expected if name not in digests]
    with ThreadPoolExecutor(max_workers=VERIFY_THREADS) as pool:
        digests.update(zip(unread, pool.map(_sha256, (root / name for name in unread)), strict=True))
    for name, sha in expected.items():
        if digests[name] != sha:
            _remove(root / name)
            # Most often damage in transit: the bad copy is gone, so a retry (bounded) may well succeed.
            raise IntegrationError(
                "DOWNLOAD_CORRUPT", f"{name} does not match its published sha256; removed it.", transient=True
            )


def _remove(path: Path) -> None:
    """Remove a snapshot file and the cache blob it links to: a bad blob left behind would be
    linked again, without a download, by every retry (even of another commit with that file)."""
    blob = path.resolve()
    path.unlink(missing_ok=True)
    if blob != path:
        blob.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_class(
    on_progress: Callable[[int, int], None], cancel: threading.Event, total: int, initial: int
) -> type[Any]:
    """A tqdm class that forwards the snapshot's byte count and aborts the transfer on cancel."""
    lock = threading.Lock()
    counted = [initial]

    class Progress(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True  # no terminal output in a worker
            super().__init__(*args, **kwargs)
            self.counts_bytes = kwargs.get("unit") == "B" and kwargs.get("desc", "").startswith("Reconstruct")

        def update(self, n: float | None = 1) -> bool | None:
            if cancel.is_set():
                raise Cancelled()
            if self.counts_bytes and n:
                with lock:
                    counted[0] += int(n)
                    done = min(counted[0], total)
                on_progress(done, total)
            result: bool | None = super().update(n)
            return result

    return Progress
