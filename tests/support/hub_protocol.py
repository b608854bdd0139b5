"""The Hub's wire conventions the stand-in follows: object ids, byte ranges, error headers.

The client decides what a failure means from the status and the ``X-Error-Code`` /
``X-Error-Message`` headers (``RepoNotFound``, ``GatedRepo``, …), and whether a file changed from its
git blob id or LFS sha256; every route of the stand-in answers through these helpers.
"""

from __future__ import annotations

import functools
import hashlib
import re

from starlette.responses import JSONResponse, Response

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".gguf", ".parquet", ".arrow")
"""Files stored "in LFS": their ETag is the content's sha256 and the metadata carries an ``lfs`` block."""

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@functools.lru_cache(maxsize=64)
def git_blob_sha(content: bytes) -> str:
    """The git object id of a file, which the Hub uses as the ETag of files outside LFS (cached:
    the Hub answers metadata requests without rehashing large files, and so does the stand-in)."""
    digest = hashlib.sha1(b"blob %d\0" % len(content), usedforsecurity=False)
    digest.update(content)
    return digest.hexdigest()


@functools.lru_cache(maxsize=64)
def lfs_sha256(content: bytes) -> str:
    """The sha256 the Hub publishes for an LFS file (cached: bytes keep their hash, so a repeat
    request for the same file costs a lookup, not another pass over it)."""
    return hashlib.sha256(content).hexdigest()


def is_lfs(path: str) -> bool:
    """Whether the stand-in treats ``path`` as an LFS file."""
    return path.endswith(LFS_SUFFIXES)


def parse_range(header: str, length: int) -> tuple[int, int] | None:
    """The inclusive byte span a ``Range`` header asks of ``length`` bytes, or ``None`` if unsatisfiable."""
    match = _RANGE.match(header.strip())
    if match is None or (not match[1] and not match[2]):
        return None
    if not match[1]:
        start, end = max(0, length - int(match[2])), length - 1
    else:
        start = int(match[1])
        end = min(int(match[2]), length - 1) if match[2] else length - 1
    if start >= length or start > end:
        return None
    return start, end


def error_response(status: int, code: str | None, message: str, *, commit: str | None = None) -> Response:
    """An error as the Hub sends it: a JSON body and the headers the client maps to its exceptions."""
    headers = {"X-Error-Message": message}
    if code is not None:
        headers["X-Error-Code"] = code
    if commit is not None:
        headers["X-Repo-Commit"] = commit
    return JSONResponse({"error": message}, status_code=status, headers=headers)
