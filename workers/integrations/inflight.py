"""Checking weight files while they arrive, so verifying a download costs no second pass.

``snapshot_download`` writes each file to a temporary file next to its final place, then
renames it. A follower thread per wanted LFS file opens that temporary file as soon as it
appears and hashes it as it grows. The rename keeps the same file, so when the download is
done and the file in the snapshot is the very file that was followed (same inode, size and
modification time), its digest is already known. Anything else (a cache hit, a copy instead of
a rename, a follower that fell short) leaves the file to the ordinary full check.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.005
READ_BYTES = 4 << 20


@dataclass(frozen=True)
class Followed:
    """What a follower read: the digest of ``size`` bytes of one file, and which file it was."""

    sha256: str
    inode: int
    size: int
    modified_ns: int

    def describes(self, path: Path) -> bool:
        """Whether ``path`` (after links) is the file that was followed, unchanged since."""
        try:
            found = path.stat()
        except FileNotFoundError:
            return False
        return (found.st_ino, found.st_size, found.st_mtime_ns) == (self.inode, self.size, self.modified_ns)


class Follower:
    """Hashes the temporary file of one blob while the client writes it."""

    def __init__(self, blobs: Path, sha256: str, size: int) -> None:
        self._blobs = blobs
        self._sha256 = sha256
        self._size = size
        self._done = threading.Event()
        self.followed: Followed | None = None
        self._thread = threading.Thread(target=self._follow, name=f"follow-{sha256[:8]}", daemon=True)
        self._thread.start()

    def finish(self) -> Followed | None:
        """Wait for the follower after the download returned (or failed); what it read, if whole."""
        self._done.set()
        self._thread.join()
        return self.followed

    def _follow(self) -> None:
        partial = self._await_partial()
        if partial is None:
            return
        try:
            stream = partial.open("rb")
        except FileNotFoundError:
            return  # already renamed: the full check will read it
        with stream:
            digest = hashlib.sha256()
            read = 0
            while read < self._size:
                chunk = stream.read(min(READ_BYTES, self._size - read))
                if chunk:
                    digest.update(chunk)
                    read += len(chunk)
                elif self._done.is_set():
                    return  # the download is over and the file fell short
                else:
                    time.sleep(POLL_SECONDS)
            found = os.fstat(stream.fileno())
            self.followed = Followed(digest.hexdigest(), found.st_ino, found.st_size, found.st_mtime_ns)

    def _await_partial(self) -> Path | None:
        while not self._done.is_set():
            partials = list(self._blobs.glob(f"{self._sha256}.*.incomplete"))
            if partials:
                return partials[0]
            if (self._blobs / self._sha256).exists():
                return None  # complete before we looked
            time.sleep(POLL_SECONDS)
        return None
