"""A Space of the Hub stand-in and its git side: files, commits, ``space_info`` and uploads.

``upload_folder``/``create_commit`` send ``POST /api/validate-yaml`` (the README's front matter),
``POST …/preupload/main`` (the stand-in always answers ``regular`` and, for a file unchanged at the
head, its git blob id, so the client skips it and, when nothing changed, makes no commit) and the
NDJSON ``POST …/commit/main``, whose reply names the commit under the stand-in's own address (the
client refuses a ``commitUrl`` on another host). A commit carrying the SDK's app file starts a build.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.support.hub_protocol import error_response, git_blob_sha
from tests.support.space_runtime import HARDWARE_STAGES, Phase, Run, Timeline

if TYPE_CHECKING:
    from tests.support.spaces_standin import SpacesStandin

APP_FILES = {"docker": "Dockerfile", "gradio": "app.py", "streamlit": "app.py", "static": "index.html"}
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
SDKS = tuple(APP_FILES)
_COUNTER = itertools.count(1)


def iso(at: float) -> str:
    """A wall-clock time the way the Hub writes it (``2026-01-02T03:04:05.678Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}Z"


@dataclass
class Setting:
    """A secret's or variable's value (a secret's is never sent back), description and update time."""

    value: str
    description: str | None
    updated_at: str


@dataclass(frozen=True)
class Commit:
    """One commit of a Space: its message and the whole content after it."""

    sha: str
    title: str
    description: str
    files: dict[str, bytes]
    author: str
    date: str


@dataclass
class Space:
    """A Space: settings, commits, the current run and what it logged."""

    space_id: str
    sdk: str
    private: bool
    created_by: str
    requested_hardware: str | None = None
    current_hardware: str | None = None
    sleep_time: int | None = None
    secrets: dict[str, Setting] = field(default_factory=dict)
    variables: dict[str, Setting] = field(default_factory=dict)
    commits: list[Commit] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)
    run_logs: list[tuple[str, str]] = field(default_factory=list)
    build_logs: list[tuple[str, str]] = field(default_factory=list)
    current: Run | None = None
    created_at: str = field(default_factory=lambda: iso(time.time()))

    @property
    def owner(self) -> str:
        return self.space_id.split("/")[0]

    @property
    def run(self) -> Run:
        assert self.current is not None, "a Space always has a run once created"
        return self.current

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def runtime(self) -> dict[str, Any]:
        """The ``/runtime`` body: ``SpaceRuntime`` reads stage, hardware and gcTimeout; callers read ``sha``."""
        phase = self.run.phase
        body: dict[str, Any] = {
            "stage": phase.stage,
            "hardware": {"current": self.current_hardware, "requested": self.requested_hardware},
            "storage": None,
            "gcTimeout": self.sleep_time,
            "replicas": {"current": 1 if phase.stage in HARDWARE_STAGES else 0, "requested": 1},
            "devMode": False,
            "domains": [{"domain": f"{self.space_id.replace('/', '-')}.hf.space", "stage": "READY"}],
            "sha": self.run.shown_sha,
        }
        if phase.error is not None:
            body["errorMessage"] = phase.error
        return body


class SpaceFiles:
    """The git routes of Spaces (info, revisions, commit list, preupload, commit, YAML validation)."""

    def __init__(self, spaces: SpacesStandin) -> None:
        self.spaces = spaces

    def initial_commit(self, space: Space) -> None:
        """The commit the Hub makes when it creates a Space: ``.gitattributes`` and a README."""
        name = space.space_id.split("/")[1]
        readme = f"---\ntitle: {name}\nsdk: {space.sdk}\n---\n".encode()
        self._commit(
            space, "initial commit", "", {".gitattributes": GITATTRIBUTES, "README.md": readme}, space.created_by
        )

    def read(self, request: Request, space: Space, op: str, arg: str | None) -> Response:
        """``space_info`` (at the head or a revision) and ``list_repo_commits``."""
        commit = self._at(space, arg or "main")
        if commit is None:
            return error_response(404, "RevisionNotFound", f"Invalid rev id: {arg}")
        if op == "commits":
            index = space.commits.index(commit)
            return JSONResponse(
                [
                    {
                        "id": c.sha,
                        "title": c.title,
                        "message": c.description,
                        "authors": [{"user": c.author, "avatar": ""}],
                        "date": c.date,
                    }
                    for c in reversed(space.commits[: index + 1])
                ]
            )
        return JSONResponse(
            {
                "_id": hashlib.md5(space.space_id.encode(), usedforsecurity=False).hexdigest()[:24],
                "id": space.space_id,
                "author": space.owner,
                "sha": commit.sha,
                "lastModified": commit.date,
                "createdAt": space.created_at,
                "private": space.private,
                "gated": False,
                "disabled": False,
                "likes": 0,
                "sdk": space.sdk,
                "tags": [space.sdk],
                "subdomain": space.space_id.replace("/", "-"),
                "cardData": {"sdk": space.sdk},
                "siblings": [{"rfilename": name} for name in sorted(commit.files)],
                "runtime": space.runtime(),
            }
        )

    def write(
        self, request: Request, space: Space, op: str, revision: str | None, body: bytes, author: str
    ) -> Response:
        """``preupload`` and ``commit`` on ``main``."""
        if revision != "main":
            return error_response(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if op == "preupload":
            wanted = json.loads(body)["files"]
            head = space.head.files
            return JSONResponse(
                {
                    "files": [
                        {
                            "path": item["path"],
                            "uploadMode": "regular",
                            "shouldIgnore": False,
                            "oid": git_blob_sha(head[item["path"]]) if item["path"] in head else None,
                        }
                        for item in wanted
                    ]
                }
            )
        items = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not items or items[0].get("key") != "header":
            return error_response(400, None, "The first line of a commit must be its header")
        header = items[0]["value"]
        parent = header.get("parentCommit")
        if parent and not space.head.sha.startswith(parent):
            return error_response(412, None, "A commit has happened since. Please refresh and try again.")
        files = dict(space.head.files)
        for item in items[1:]:
            key, value = item.get("key"), item.get("value") or {}
            path = value.get("path", "")
            if key == "file":
                content = value.get("content", "")
                files[path] = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    return error_response(404, "EntryNotFound", "A file with this name doesn't exist")
            elif key == "deletedFolder":
                files = {name: data for name, data in files.items() if not name.startswith(path.rstrip("/") + "/")}
            else:
                return error_response(400, None, f"The stand-in takes regular files only, not {key!r}")
        sha = self._commit(space, header.get("summary", ""), header.get("description", ""), files, author)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {"success": True, "commitOid": sha, "commitUrl": f"{base}/spaces/{space.space_id}/commit/{sha}"}
        )

    @staticmethod
    def validate_yaml(payload: dict[str, Any]) -> Response:
        """Check a README's front matter: it must close, and a Space's must name a known ``sdk``."""
        content, errors = str(payload.get("content", "")), []
        metadata: dict[str, str] = {}
        if content.startswith("---"):
            end = content.find("\n---", 3)
            if end < 0:
                errors.append("The YAML front matter is not closed by a line with ---")
            else:
                for line in content[3:end].splitlines():
                    key, colon, value = line.partition(":")
                    if colon and key and not key.startswith((" ", "-", "#")):
                        metadata[key.strip()] = value.strip()
        if payload.get("repoType") == "space" and not errors and metadata.get("sdk") not in SDKS:
            errors.append(f'"sdk" must be one of [{", ".join(SDKS)}]')
        body = {"errors": [{"message": message} for message in errors], "warnings": []}
        return JSONResponse(body, status_code=400 if errors else 200)

    def _commit(self, space: Space, title: str, description: str, files: dict[str, bytes], author: str) -> str:
        digest = hashlib.sha1(f"{space.space_id}#{next(_COUNTER)}".encode(), usedforsecurity=False)
        for name in sorted(files):
            digest.update(name.encode() + hashlib.sha256(files[name]).digest())
        sha = digest.hexdigest()
        space.commits.append(Commit(sha, title, description, files, author, iso(time.time())))
        app = APP_FILES[space.sdk] in files
        self.spaces.start_run(space, None if app else (Phase("NO_APP_FILE"),), sha=sha)
        return sha

    @staticmethod
    def _at(space: Space, revision: str) -> Commit | None:
        if revision == "main":
            return space.head
        return next((c for c in space.commits if c.sha.startswith(revision) and len(revision) >= 7), None)
