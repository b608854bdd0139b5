"""The bundle's files, its manifest, and the reproducible archive they are packed into.

``pack`` writes a gzip-compressed tar whose bytes depend on the files alone: entries sorted by
path, every time 0, owner and group 0 with empty names, mode 0644, plain ustar headers, and a
gzip header without a file name or time. The same files therefore give the same archive on any
machine, in any time zone and working folder (with the same deflate implementation: CPython's
zlib at a fixed level), and its sha256 names it. ``verify`` reads an archive back and checks
it against its manifest: every listed file present with its sha256 and size, nothing else,
nothing outside the bundle, packed the canonical way.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import tarfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from workflow.core.bundle.errors import (
    ArchiveDigestMismatchError,
    ArchiveNotCanonicalError,
    ArchiveUnreadableError,
    FileMissingError,
    FileTamperedError,
    ManifestInvalidError,
    ManifestMissingError,
    UnexpectedFileError,
    UnsafeEntryError,
)

BUNDLE_FORMAT_VERSION = 1
"""The layout of a bundle (its files and what they hold); bumped when that changes."""
MANIFEST = "manifest.json"
FILE_MODE = 0o644
COMPRESS_LEVEL = 9


@dataclass(frozen=True)
class BundleFile:
    """One file of the bundle: its path (relative, ``/``-separated) and its bytes."""

    path: str
    content: bytes

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the content."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        """Bytes of the content."""
        return len(self.content)


@dataclass(frozen=True)
class Bundle:
    """The rendered bundle: its files sorted by path, ``manifest.json`` among them."""

    files: tuple[BundleFile, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every file's path, sorted."""
        return tuple(file.path for file in self.files)

    def __getitem__(self, path: str) -> bytes:
        for file in self.files:
            if file.path == path:
                return file.content
        raise KeyError(path)

    def __contains__(self, path: object) -> bool:
        return any(file.path == path for file in self.files)

    @property
    def manifest(self) -> dict[str, Any]:
        """The parsed ``manifest.json``."""
        parsed: dict[str, Any] = json.loads(self[MANIFEST])
        return parsed

    @property
    def size(self) -> int:
        """Bytes over every file (not the archive's size)."""
        return sum(file.size for file in self.files)


def json_bytes(document: Any) -> bytes:
    """A JSON file as the bundle writes them: indented, keys in the order given, UTF-8, final newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def manifest_document(files: Iterable[BundleFile], *, package: str, version: int, content_hash: str) -> dict[str, Any]:
    """The manifest of ``files`` (which must not include the manifest itself)."""
    return {
        "formatVersion": BUNDLE_FORMAT_VERSION,
        "package": {"name": package, "version": version, "contentHash": content_hash},
        "files": [
            {"path": file.path, "sha256": file.sha256, "size": file.size}
            for file in sorted(files, key=lambda item: item.path)
        ],
    }


def assemble(files: Mapping[str, bytes], *, package: str, version: int, content_hash: str) -> Bundle:
    """A bundle of ``files`` plus their manifest, sorted by path."""
    for path in files:
        _check_path(path)
    if MANIFEST in files:
        raise ValueError("the manifest is written by assemble")
    entries = [BundleFile(path, content) for path, content in files.items()]
    manifest = manifest_document(entries, package=package, version=version, content_hash=content_hash)
    entries.append(BundleFile(MANIFEST, json_bytes(manifest)))
    return Bundle(tuple(sorted(entries, key=lambda item: item.path)))


def tar_bytes(bundle: Bundle) -> bytes:
    """The uncompressed, canonical tar stream of the bundle."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT, encoding="utf-8") as tar:
        for file in sorted(bundle.files, key=lambda item: item.path):
            info = tarfile.TarInfo(file.path)
            info.size = file.size
            info.mtime = 0
            info.mode = FILE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(file.content))
    return buffer.getvalue()


def pack(bundle: Bundle) -> bytes:
    """The reproducible ``.tar.gz`` of the bundle (name it by its sha256: ``archive_digest``)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=COMPRESS_LEVEL, mtime=0) as stream:
        stream.write(tar_bytes(bundle))
    return buffer.getvalue()


def archive_digest(archive: bytes) -> str:
    """Hex sha256 of a packed archive: the name it is stored and downloaded under."""
    return hashlib.sha256(archive).hexdigest()


def verify(archive: bytes, *, expected_sha256: str | None = None) -> Bundle:
    """The bundle in ``archive`` once it has been checked against its manifest.

    Raises a ``BundleVerificationError`` subclass: ``ArchiveDigestMismatchError`` (not the
    expected sha256), ``ArchiveUnreadableError``, ``UnsafeEntryError`` (a link, a folder entry, an
    absolute or escaping path, a duplicate), ``ManifestMissingError``, ``ManifestInvalidError``,
    ``FileMissingError``, ``FileTamperedError``, ``UnexpectedFileError``, ``ArchiveNotCanonicalError``.
    """
    if expected_sha256 is not None and archive_digest(archive) != expected_sha256:
        raise ArchiveDigestMismatchError(f"The archive's sha256 is not {expected_sha256}.")
    try:
        stream = gzip.decompress(archive)
        files = _read_tar(stream)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
        raise ArchiveUnreadableError(f"The archive cannot be read: {error}.") from None
    if MANIFEST not in files:
        raise ManifestMissingError("The archive has no manifest.json.", path=MANIFEST)
    listed = _manifest_files(files[MANIFEST])
    for path, (sha256, size) in listed.items():
        if path not in files:
            raise FileMissingError(f"{path} is listed in the manifest but missing.", path=path)
        content = files[path]
        if len(content) != size or hashlib.sha256(content).hexdigest() != sha256:
            raise FileTamperedError(f"{path} does not match its sha256 and size in the manifest.", path=path)
    unlisted = sorted(set(files) - set(listed) - {MANIFEST})
    if unlisted:
        raise UnexpectedFileError(f"{unlisted[0]} is in the archive but not in its manifest.", path=unlisted[0])
    bundle = Bundle(tuple(BundleFile(path, files[path]) for path in sorted(files)))
    if tar_bytes(bundle) != stream:
        raise ArchiveNotCanonicalError("The files are intact but the archive was not packed reproducibly.")
    return bundle


def _read_tar(stream: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(stream), mode="r:") as tar:
        for member in tar:
            if not member.isreg():
                raise UnsafeEntryError(f"{member.name} is not a plain file.", path=member.name)
            try:
                _check_path(member.name)
            except ValueError:
                raise UnsafeEntryError(f"{member.name!r} is not a path inside the bundle.", path=member.name) from None
            if member.name in files:
                raise UnsafeEntryError(f"{member.name} appears twice.", path=member.name)
            extracted = tar.extractfile(member)
            if extracted is None:
                raise UnsafeEntryError(f"{member.name} has no content.", path=member.name)
            files[member.name] = extracted.read()
    return files


def _manifest_files(raw: bytes) -> dict[str, tuple[str, int]]:
    try:
        manifest = json.loads(raw)
        if manifest["formatVersion"] != BUNDLE_FORMAT_VERSION:
            raise ManifestInvalidError(f"Unknown bundle format {manifest['formatVersion']!r}.", path=MANIFEST)
        listed = {entry["path"]: (str(entry["sha256"]), int(entry["size"])) for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError) as error:
        raise ManifestInvalidError(f"manifest.json is not a bundle manifest: {error}.", path=MANIFEST) from None
    if len(listed) != len(manifest["files"]) or MANIFEST in listed:
        raise ManifestInvalidError("manifest.json lists a file twice, or itself.", path=MANIFEST)
    return listed


def _check_path(path: str) -> None:
    """A relative ``/``-separated path with no ``.``/``..`` parts, no backslash, short enough for ustar."""
    normal = posixpath.normpath(path)
    if (
        not path
        or normal != path
        or path.startswith("/")
        or path.split("/")[0] == ".."
        or "\\" in path
        or len(path.encode()) > 100
    ):
        raise ValueError(f"{path!r} is not a bundle path")
