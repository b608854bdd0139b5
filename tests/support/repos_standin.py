"""Model and dataset repositories of the Hub stand-in: metadata, tree listings, file downloads, access.

It answers ``model_info``/``dataset_info`` (with file metadata), tree listings, ``auth_check`` and
``HEAD``/``GET`` on ``resolve`` with the ``X-Repo-Commit``/``X-Linked-Etag``/``X-Linked-Size``
headers and ``Range`` support. A gated repo serves its metadata to anyone but its files (and
``auth_check``) only to a token with access; a private repo is visible only to members of its owner.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.support.hub_accounts import Token
from tests.support.hub_protocol import error_response, git_blob_sha, is_lfs, lfs_sha256, parse_range

_API = re.compile(
    r"^/api/(?P<kind>models|datasets)/(?P<repo>.+?)(?:/(?P<op>revision|tree)/(?P<rev>[^/]+)(?:/(?P<sub>.*))?)?$"
)
_AUTH_CHECK = re.compile(r"^/api/(?P<kind>models|datasets)/(?P<repo>[^/]+/[^/]+)/auth-check(?P<write>/write)?$")
_RESOLVE = re.compile(r"^/(?:(?P<kind>datasets)/)?(?P<repo>.+?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


@dataclass
class Repo:
    """A model or dataset repository: refs, the full content of each commit, served corruptions."""

    kind: str
    repo_id: str
    gated: bool
    private: bool
    license: str | None
    card_data: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    corrupt: dict[tuple[str, str], bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the registered token, the ``legacy`` token of ``HubStandin.tokens``, or nobody."""

    token: Token | None
    presented: str | None
    legacy: bool


class ReposStandin:
    """The model and dataset repositories, and their routes."""

    def __init__(self) -> None:
        self.bytes_per_second: float | None = None
        self._repos: dict[tuple[str, str], Repo] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def add(
        self,
        kind: str,
        repo_id: str,
        files: Mapping[str, bytes],
        revision: str,
        *,
        gated: bool,
        private: bool,
        license: str | None,
        card_data: Mapping[str, Any] | None,
    ) -> str:
        """Commit ``files`` as the whole content of ``revision``; returns the commit sha."""
        with self._lock:
            self._counter += 1
            digest = hashlib.sha1(f"{kind}/{repo_id}@{revision}#{self._counter}".encode(), usedforsecurity=False)
            for name in sorted(files):
                digest.update(name.encode() + hashlib.sha256(files[name]).digest())
            sha = digest.hexdigest()
            repo = self._repos.get((kind, repo_id))
            if repo is None:
                repo = Repo(kind, repo_id, gated, private, license, dict(card_data or {}))
                self._repos[(kind, repo_id)] = repo
            repo.gated, repo.private, repo.license = gated, private, license
            if card_data is not None:
                repo.card_data = dict(card_data)
            repo.commits[sha] = dict(files)
            repo.refs[revision] = sha
            return sha

    def corrupt(self, kind: str, repo_id: str, path: str, revision: str) -> None:
        """Serve ``path`` with one byte flipped while the metadata still announces the original hash."""
        with self._lock:
            repo = self._repos[(kind, repo_id)]
            sha = repo.refs[revision]
            original = repo.commits[sha][path]
            repo.corrupt[(sha, path)] = bytes([original[0] ^ 0xFF]) + original[1:]

    def answer(self, request: Request, caller: Caller) -> Response | None:
        """The reply to a repository request, or ``None`` if the path is not one."""
        path = request.url.path
        if match := _AUTH_CHECK.match(path):
            return self._auth_check(match["kind"], match["repo"], bool(match["write"]), caller)
        if match := _RESOLVE.match(path):
            kind = "datasets" if match["kind"] else "models"
            return self._resolve(request, caller, kind, match["repo"], match["rev"], match["file"])
        if match := _API.match(path):
            found = self._lookup(match["kind"], match["repo"], match["rev"] or "main", caller)
            if isinstance(found, Response):
                return found
            if match["op"] == "tree":
                return self._tree(request, *found, match["sub"] or "")
            return self._info(request, *found)
        return None

    def _lookup(self, kind: str, repo_id: str, revision: str, caller: Caller) -> tuple[Repo, str] | Response:
        repo = self._repos.get((kind, repo_id))
        if repo is None:
            return error_response(404, "RepoNotFound", "Repository not found")
        if repo.private and (caller.token is None or not caller.token.is_member_of(_owner(repo))):
            return error_response(401 if caller.presented is None else 404, "RepoNotFound", "Repository not found")
        sha = repo.refs.get(revision) or (revision if revision in repo.commits else None)
        if sha is None:
            return error_response(404, "RevisionNotFound", "Invalid rev id: " + revision)
        return repo, sha

    @staticmethod
    def _gate(repo: Repo, caller: Caller) -> Response | None:
        if not repo.gated or caller.legacy:
            return None
        if caller.presented is None:
            return error_response(401, "GatedRepo", f"Access to model {repo.repo_id} is restricted. Please log in.")
        if caller.token is not None and caller.token.may_read_gated(repo.kind, repo.repo_id):
            return None
        return error_response(
            403, "GatedRepo", f"Access to model {repo.repo_id} is restricted and you are not in the list."
        )

    def _auth_check(self, kind: str, repo_id: str, write: bool, caller: Caller) -> Response:
        found = self._lookup(kind, repo_id, "main", caller)
        if isinstance(found, Response):
            return found
        repo = found[0]
        if (refused := self._gate(repo, caller)) is not None:
            return refused
        if write and (caller.token is None or not caller.token.may_write(_owner(repo), repo_id=repo_id)):
            return error_response(403, None, f"You don't have write access to {repo_id}")
        return JSONResponse({})

    @staticmethod
    def _info(request: Request, repo: Repo, sha: str) -> Response:
        files = repo.commits[sha]
        with_blobs = request.query_params.get("blobs", "").lower() == "true"
        siblings = [_sibling(name, content, with_blobs) for name, content in sorted(files.items())]
        card: dict[str, Any] = {**({"license": repo.license} if repo.license else {}), **repo.card_data}
        body: dict[str, Any] = {
            "_id": hashlib.md5(repo.repo_id.encode(), usedforsecurity=False).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0] if "/" in repo.repo_id else None,
            "sha": sha,
            "lastModified": "2026-01-26T12:00:00.000Z",
            "createdAt": "2026-01-01T12:00:00.000Z",
            "private": repo.private,
            "gated": "manual" if repo.gated else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [f"license:{repo.license}"] if repo.license else [],
            "cardData": card,
            "siblings": siblings,
        }
        if repo.kind == "models":
            body["modelId"] = repo.repo_id
            body["library_name"] = "transformers"
        return JSONResponse(body)

    @staticmethod
    def _tree(request: Request, repo: Repo, sha: str, sub: str) -> Response:
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
            return error_response(404, "EntryNotFound", f"{sub} does not exist on {sha}", commit=sha)
        return JSONResponse(list(entries.values()))

    def _resolve(
        self, request: Request, caller: Caller, kind: str, repo_id: str, revision: str, filename: str
    ) -> Response:
        found = self._lookup(kind, repo_id, revision, caller)
        if isinstance(found, Response):
            return found
        repo, sha = found
        if (refused := self._gate(repo, caller)) is not None:
            return refused
        content = repo.commits[sha].get(filename)
        if content is None:
            return error_response(404, "EntryNotFound", f"{filename} does not exist on {revision}", commit=sha)
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
            parsed = parse_range(wanted, len(served))
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
            rate = self.bytes_per_second
            size = max(1024, int(rate / 20)) if rate else 1024 * 1024
            chunk = body[offset : offset + size]
            offset += len(chunk)
            yield bytes(chunk)
            if rate:
                await asyncio.sleep(len(chunk) / rate)


def _owner(repo: Repo) -> str:
    return repo.repo_id.split("/")[0]


def _sibling(name: str, content: bytes, with_blobs: bool) -> dict[str, Any]:
    sibling: dict[str, Any] = {"rfilename": name}
    if with_blobs:
        sibling["size"] = len(content)
        sibling["blobId"] = git_blob_sha(content)
        if is_lfs(name):
            sibling["lfs"] = {"size": len(content), "sha256": lfs_sha256(content), "pointerSize": 134}
    return sibling
