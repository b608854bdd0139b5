"""Resuming weight files that a killed download left half-written.

huggingface_hub writes each attempt to a fresh temporary file and never reuses one, so a
worker killed mid-transfer would make the next attempt start every large file from zero.
Before handing over to ``snapshot_download``, each partial file of a wanted LFS file is
finished here instead: its bytes are hashed, the rest is fetched with a Range request through
the client's own HTTP session, and the whole is checked against the published sha256. A
verified file is moved to where the client keeps complete files, so the snapshot then only
links it. A partial file that cannot be finished or does not verify is deleted.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from huggingface_hub import get_session, hf_raise_for_status

from workers.integrations.errors import Cancelled

CHUNK = 1 << 20


@dataclass(frozen=True)
class WeightFile:
    """A wanted LFS file: its name in the repository, size and published sha256."""

    name: str
    size: int
    sha256: str


def resume_partials(
    cache_dir: Path,
    repo_id: str,
    commit: str,
    files: Mapping[str, WeightFile],
    *,
    endpoint: str,
    token: str | None,
    on_bytes: Callable[[int], None],
    cancel: threading.Event,
) -> int:
    """Finish what killed downloads left of ``files``; the bytes of the files now complete."""
    folder = f"models--{repo_id.replace('/', '--')}"
    blobs = cache_dir / folder / "blobs"
    if not blobs.is_dir():
        return 0
    finished = 0
    for weight in files.values():
        partials = sorted(blobs.glob(f"{weight.sha256}.*.incomplete"), key=_size, reverse=True)
        if not partials:
            continue
        try:
            # The client's own download lock: no other download of this file runs meanwhile.
            with FileLock(cache_dir / ".locks" / folder / f"{weight.sha256}.lock", timeout=0):
                for extra in partials[1:]:
                    extra.unlink(missing_ok=True)
                if (blobs / weight.sha256).exists():
                    partials[0].unlink(missing_ok=True)
                    continue
                if _finish(
                    partials[0], blobs / weight.sha256, weight, endpoint, repo_id, commit, token, on_bytes, cancel
                ):
                    finished += weight.size
        except Timeout:
            continue  # being downloaded right now, by another worker
    wanted = {weight.sha256 for weight in files.values()}
    for partial in blobs.glob("*.incomplete"):  # what dead downloads left of other files
        etag = partial.name.split(".", 1)[0]
        if etag not in wanted:
            try:
                with FileLock(cache_dir / ".locks" / folder / f"{etag}.lock", timeout=0):
                    partial.unlink(missing_ok=True)
            except Timeout:
                continue
    return finished


def _finish(
    partial: Path,
    blob: Path,
    weight: WeightFile,
    endpoint: str,
    repo_id: str,
    commit: str,
    token: str | None,
    on_bytes: Callable[[int], None],
    cancel: threading.Event,
) -> bool:
    digest = hashlib.sha256()
    with partial.open("rb") as existing:
        while chunk := existing.read(CHUNK * 4):
            digest.update(chunk)
    have = _size(partial)
    if have > weight.size:
        partial.unlink(missing_ok=True)
        return False
    on_bytes(have)
    if have < weight.size:
        url = f"{endpoint.rstrip('/')}/{repo_id}/resolve/{commit}/{weight.name}"
        headers = {"Range": f"bytes={have}-", **({"Authorization": f"Bearer {token}"} if token else {})}
        with get_session().stream("GET", url, headers=headers, follow_redirects=True) as response:
            hf_raise_for_status(response)
            if response.status_code != 206:  # the server ignored the range: start over from scratch
                partial.unlink(missing_ok=True)
                return False
            with partial.open("ab") as out:
                for chunk in response.iter_bytes(CHUNK):
                    if cancel.is_set():
                        raise Cancelled()
                    out.write(chunk)
                    digest.update(chunk)
                    have += len(chunk)
                    on_bytes(len(chunk))
    if have != weight.size or digest.hexdigest() != weight.sha256:
        partial.unlink(missing_ok=True)
        return False
    os.replace(partial, blob)
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
