"""Where built bundles are kept: a small interface, and the filesystem store behind it.

An archive is named by its sha256, so storing is idempotent (the same bytes land in the same
place, whoever built them) and a reader never sees a half-written file: bytes go to a temporary
file in the same folder, are flushed to disk, and are renamed into place in one step.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from trainpack.settings import Settings

SHA256 = re.compile(r"[0-9a-f]{64}")


class BundleStoreError(Exception):
    """The store could not keep an archive (a full disk, a folder it may not write)."""


class BundleStore(Protocol):
    """Content-addressed storage of bundle archives."""

    def put(self, archive: bytes) -> str:
        """Keep ``archive``; its sha256 (the name it is kept under). Storing it again changes nothing."""
        ...

    def path_of(self, sha256: str) -> Path | None:
        """The stored archive's file (served with ranges and validators), ``None`` when absent."""
        ...


class FilesystemBundleStore:
    """Archives as ``<folder>/<sha256[:2]>/<sha256>.tar.gz``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, archive: bytes) -> str:
        """Write the archive atomically (temporary file, fsync, rename) unless it is already there."""
        sha256 = hashlib.sha256(archive).hexdigest()
        target = self._target(sha256)
        if _holds(target, sha256):
            return sha256
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(archive)
                    file.flush()
                    os.fsync(file.fileno())
                os.chmod(temporary, 0o644)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            reason = error.strerror or str(error)
            raise BundleStoreError(f"The bundle store could not write the archive: {reason}.") from error
        return sha256

    def path_of(self, sha256: str) -> Path | None:
        """The archive's file, or ``None`` (a malformed name is simply absent)."""
        if not SHA256.fullmatch(sha256):
            return None
        target = self._target(sha256)
        return target if target.is_file() else None

    def _target(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.tar.gz"


def bundle_store(settings: Settings) -> BundleStore:
    """The store builds write to and the API serves from: the configured folder."""
    return FilesystemBundleStore(settings.bundle_folder)


def _holds(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a file with exactly the archive's bytes (a damaged copy is replaced)."""
    try:
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest() == sha256
    except OSError:
        return False
