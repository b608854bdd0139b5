"""A local stand-in for the Hugging Face Hub, for tests of the Hub integrations.

It speaks the part of the Hub HTTP API that ``huggingface_hub`` uses for model and dataset
metadata (``model_info``/``dataset_info`` with file metadata, tree listings), file downloads
(``HEAD``/``GET`` on ``resolve`` with the ``X-Repo-Commit``/``X-Linked-Etag``/``X-Linked-Size``
headers and ``Range`` support) and answers errors with the ``X-Error-Code`` headers the client
maps to its exception types. Tests register repositories, inject faults, slow transfers down and
read the request log, so every path of the real client can be exercised without the internet.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".gguf", ".parquet", ".arrow")
"""Files stored "in LFS": their ETag is the content's sha256 and the metadata carries an ``lfs`` block."""

_API = re.compile(
    r"^/api/(?P<kind>models|datasets)/(?P<repo>.+?)(?:/(?P<op>revision|tree)/(?P<rev>[^/]+)(?:/(?P<sub>.*))?)?$"
)
_RESOLVE = re.compile(r"^/(?:(?P<kind>datasets)/)?(?P<repo>.+?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
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


@dataclass(frozen=True)
class LoggedRequest:
    """One request the stand-in answered."""

    method: str
    path: str
    range: str | None
    status: int
    authorization: str | None = None


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float | None


@dataclass
class _Repo:
    kind: str
    repo_id: str
    gated: bool
    license: str | None
    card_data: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    corrupt: dict[tuple[str, str], bytes] = field(default_factory=dict)


class HubStandin:
    """The stand-in server: ``with HubStandin() as hub: ... hub.url``."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.requests: list[LoggedRequest] = []
        self._repos: dict[tuple[str, str], _Repo] = {}
        self._faults: list[_Fault] = []
        self._bytes_per_second: float | None = None
        self._lock = threading.Lock()
        self._counter = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "HEAD"])])

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> HubStandin:
        """Serve on a free port of 127.0.0.1 from a background thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError("the Hub stand-in did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._bytes_per_second = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                raise RuntimeError("the Hub stand-in did not stop")
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> HubStandin:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- repositories ------------------------------------------------------------------------

    def add_model(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        revision: str = "main",
        gated: bool = False,
        license: str | None = "apache-2.0",
        card_data: Mapping[str, Any] | None = None,
    ) -> str:
        """Commit ``files`` as the whole content of ``revision`` of a model repo; returns the commit sha."""
        return self._add("models", repo_id, files, revision, gated, license, card_data)

    def add_dataset(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        revision: str = "main",
        gated: bool = False,
        license: str | None = "apache-2.0",
        card_data: Mapping[str, Any] | None = None,
    ) -> str:
        """Commit ``files`` as the whole content of ``revision`` of a dataset repo; returns the commit sha."""
        return self._add("datasets", repo_id, files, revision, gated, license, card_data)

    def _add(
        self,
        kind: str,
        repo_id: str,
        files: Mapping[str, bytes],
        revision: str,
        gated: bool,
        license: str | None,
        card_data: Mapping[str, Any] | None,
    ) -> str:
        with self._lock:
            self._counter += 1
            digest = hashlib.sha1(f"{kind}/{repo_id}@{revision}#{self._counter}".encode(), usedforsecurity=False)
            for name in sorted(files):
                digest.update(name.encode() + hashlib.sha256(files[name]).digest())
            sha = digest.hexdigest()
            repo = self._repos.get((kind, repo_id))
            if repo is None:
                repo = _Repo(kind, repo_id, gated, license, dict(card_data or {}))
                self._repos[(kind, repo_id)] = repo
            repo.gated, repo.license = gated, license
            if card_data is not None:
                repo.card_data = dict(card_data)
            repo.commits[sha] = dict(files)
            repo.refs[revision] = sha
            return sha

    def corrupt(self, repo_id: str, path: str, *, kind: str = "models", revision: str = "main") -> None:
        """Serve ``path`` with one byte flipped while the metadata still announces the original hash."""
        with self._lock:
            repo = self._repos[(kind, repo_id)]
            sha = repo.refs[revision]
            original = repo.commits[sha][path]
            repo.corrupt[(sha, path)] = bytes([original[0] ^ 0xFF]) + original[1:]

    # -- faults and speed --------------------------------------------------------------------

    def inject(self, path_regex: str, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` requests whose path matches with ``status`` (and ``Retry-After``)."""
        with self._lock:
            self._faults.append(_Fault(re.compile(path_regex), status, times, retry_after))

    def throttle(self, bytes_per_second: float | None) -> None:
        """Slow file bodies down to about ``bytes_per_second`` (``None`` for full speed)."""
        self._bytes_per_second = bytes_per_second

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()

    def requests_for(self, path_regex: str, method: str | None = None) -> list[LoggedRequest]:
        """The logged requests whose path matches (and method, when given)."""
        pattern = re.compile(path_regex)
        with self._lock:
            return [r for r in self.requests if pattern.search(r.path) and (method is None or r.method == method)]

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        response = self._answer(request)
        with self._lock:
            self.requests.append(
                LoggedRequest(
                    request.method,
                    request.url.path,
                    request.headers.get("range"),
                    response.status_code,
                    request.headers.get("authorization"),
                )
            )
        return response

    def _answer(self, request: Request) -> Response:
        path = request.url.path
        fault = self._take_fault(path)
        if fault is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return JSONResponse({"error": f"injected {fault.status}"}, status_code=fault.status, headers=headers)
        if match := _RESOLVE.match(path):
            kind = "datasets" if match["kind"] else "models"
            return self._resolve(request, kind, match["repo"], match["rev"], match["file"])
        if match := _API.match(path):
            if match["op"] == "tree":
                return self._tree(request, match["kind"], match["repo"], match["rev"], match["sub"] or "")
            return self._info(request, match["kind"], match["repo"], match["rev"] or "main")
        return _error(404, None, "Not found")

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None

    def _lookup(self, kind: str, repo_id: str, revision: str) -> tuple[_Repo, str] | Response:
        repo = self._repos.get((kind, repo_id))
        if repo is None:
            return _error(404, "RepoNotFound", "Repository not found")
        sha = repo.refs.get(revision) or (revision if revision in repo.commits else None)
        if sha is None:
            return _error(404, "RevisionNotFound", "Invalid rev id: " + revision)
        return repo, sha

    def _gate(self, request: Request, repo: _Repo) -> Response | None:
        if not repo.gated:
            return None
        authorization = request.headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        if not token:
            return _error(401, "GatedRepo", f"Access to model {repo.repo_id} is restricted. Please log in.")
        if token not in self.tokens:
            return _error(
                403, "GatedRepo", f"Access to model {repo.repo_id} is restricted and you are not in the list."
            )
        return None

    def _info(self, request: Request, kind: str, repo_id: str, revision: str) -> Response:
        found = self._lookup(kind, repo_id, revision)
        if isinstance(found, Response):
            return found
        repo, sha = found
        files = repo.commits[sha]
        with_blobs = request.query_params.get("blobs", "").lower() == "true"
        siblings = [_sibling(name, content, with_blobs) for name, content in sorted(files.items())]
        card: dict[str, Any] = {**({"license": repo.license} if repo.license else {}), **repo.card_data}
        body: dict[str, Any] = {
            "_id": hashlib.md5(repo_id.encode(), usedforsecurity=False).hexdigest()[:24],
            "id": repo_id,
            "author": repo_id.split("/")[0] if "/" in repo_id else None,
            "sha": sha,
            "lastModified": "2026-01-26T12:00:00.000Z",
            "createdAt": "2026-01-01T12:00:00.000Z",
            "private": False,
            "gated": "manual" if repo.gated else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [f"license:{repo.license}"] if repo.license else [],
            "cardData": card,
            "siblings": siblings,
        }
        if kind == "models":
            body["modelId"] = repo_id
            body["library_name"] = "transformers"
        return JSONResponse(body)

    def _tree(self, request: Request, kind: str, repo_id: str, revision: str, sub: str) -> Response:
        found = self._lookup(kind, repo_id, revision)
        if isinstance(found, Response):
            return found
        repo, sha = found
        recursive = request.query_params.get("recursive", "").lower() == "true"
        prefix = f"{sub.strip('/')}/" if sub.strip("/") else ""
        entries: dict[str, dict[str, Any]] = {}
        for name, content in sorted(repo.commits[sha].items()):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                folder = prefix + "/".join(rest[:depth])
                if recursive or depth == 1:
                    entries.setdefault(folder, {"type": "directory", "oid": git_blob_sha(folder.encode()), "size": 0})
                    entries[folder]["path"] = folder
            if recursive or len(rest) == 1:
                entry: dict[str, Any] = {"type": "file", "oid": git_blob_sha(content), "size": len(content)}
                if is_lfs(name):
                    sha256 = lfs_sha256(content)
                    entry["lfs"] = {"oid": sha256, "size": len(content), "pointerSize": 134}
                entries[name] = {**entry, "path": name}
        if prefix and not entries:
            return _error(404, "EntryNotFound", f"{sub} does not exist on {revision}", commit=sha)
        return JSONResponse(list(entries.values()))

    def _resolve(self, request: Request, kind: str, repo_id: str, revision: str, filename: str) -> Response:
        found = self._lookup(kind, repo_id, revision)
        if isinstance(found, Response):
            return found
        repo, sha = found
        if (refused := self._gate(request, repo)) is not None:
            return refused
        content = repo.commits[sha].get(filename)
        if content is None:
            return _error(404, "EntryNotFound", f"{filename} does not exist on {revision}", commit=sha)
        etag = lfs_sha256(content) if is_lfs(filename) else git_blob_sha(content)
        served = repo.corrupt.get((sha, filename), content)
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if is_lfs(filename):
            headers["X-Linked-Etag"] = f'"{etag}"'
            headers["X-Linked-Size"] = str(len(content))
        start, end, status = 0, len(served) - 1, 200
        if (wanted := request.headers.get("range")) is not None:
            parsed = _parse_range(wanted, len(served))
            if parsed is None:
                return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{len(served)}"})
            (start, end), status = parsed, 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(served)}"
        headers["Content-Length"] = str(end - start + 1)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        body = memoryview(served)[start : end + 1]  # no copy of a large file per request
        return StreamingResponse(self._stream(body), status_code=status, headers=headers)

    async def _stream(self, body: memoryview) -> AsyncIterator[bytes]:
        offset = 0
        while offset < len(body):
            rate = self._bytes_per_second
            size = max(1024, int(rate / 20)) if rate else 1024 * 1024
            chunk = body[offset : offset + size]
            offset += len(chunk)
            yield bytes(chunk)
            if rate:
                await asyncio.sleep(len(chunk) / rate)


def _sibling(name: str, content: bytes, with_blobs: bool) -> dict[str, Any]:
    sibling: dict[str, Any] = {"rfilename": name}
    if with_blobs:
        sibling["size"] = len(content)
        sibling["blobId"] = git_blob_sha(content)
        if is_lfs(name):
            sibling["lfs"] = {"size": len(content), "sha256": lfs_sha256(content), "pointerSize": 134}
    return sibling


def _parse_range(header: str, length: int) -> tuple[int, int] | None:
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


def _error(status: int, code: str | None, message: str, *, commit: str | None = None) -> Response:
    headers = {"X-Error-Message": message}
    if code is not None:
        headers["X-Error-Code"] = code
    if commit is not None:
        headers["X-Repo-Commit"] = commit
    return JSONResponse({"error": message}, status_code=status, headers=headers)
