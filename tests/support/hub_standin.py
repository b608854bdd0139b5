"""A local stand-in for the Hugging Face Hub, for tests of the Hub integrations.

It speaks the part of the Hub HTTP API that ``huggingface_hub`` uses: model and dataset metadata,
tree listings, ``auth_check`` and file downloads (``repos_standin``); accounts and ``whoami``
(``hub_accounts``); Spaces with their settings, scripted runtime, logs, uploads and the hardware list
(``spaces_standin``). Errors carry the ``X-Error-Code``/``X-Error-Message`` headers the client maps
to its exception types. Tests register repositories, users and tokens, script Space stages, inject
faults, slow transfers down and read the request log, so every path of the real client can be
exercised without the internet.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.hub_accounts import INVALID_CREDENTIALS, Accounts, FineGrained, Token, bearer
from tests.support.hub_protocol import LFS_SUFFIXES, error_response, git_blob_sha, is_lfs, lfs_sha256
from tests.support.repos_standin import Caller, ReposStandin
from tests.support.spaces_standin import SpacesStandin

__all__ = ["LFS_SUFFIXES", "FineGrained", "HubStandin", "LoggedRequest", "git_blob_sha", "is_lfs", "lfs_sha256"]

READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class LoggedRequest:
    """One request the stand-in answered."""

    method: str
    path: str
    range: str | None
    status: int
    authorization: str | None = None

    @property
    def token(self) -> str | None:
        """The bearer token the request carried."""
        return bearer(self.authorization)

    @property
    def changes(self) -> bool:
        """Whether the request could create or change anything (every method but GET and HEAD)."""
        return self.method not in READ_METHODS


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float | None
    method: str | None


class HubStandin:
    """The stand-in server: ``with HubStandin() as hub: ... hub.url``."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        """Tokens allowed into every gated repo without being registered (the simplest gating test)."""
        self.requests: list[LoggedRequest] = []
        self.accounts = Accounts()
        self.repos = ReposStandin()
        self.spaces = SpacesStandin(self.accounts)
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url = ""
        methods = ["GET", "HEAD", "POST", "PUT", "DELETE"]
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])

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
            date_header=False,  # uvicorn's is refreshed once a second; the log replay needs it exact
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
        self.repos.bytes_per_second = None
        self.spaces.slow_logs(0)
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

    # -- repositories and accounts ------------------------------------------------------------

    def add_model(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        revision: str = "main",
        gated: bool = False,
        private: bool = False,
        license: str | None = "apache-2.0",
        card_data: Mapping[str, Any] | None = None,
    ) -> str:
        """Commit ``files`` as the whole content of ``revision`` of a model repo; returns the commit sha."""
        return self.repos.add(
            "models", repo_id, files, revision, gated=gated, private=private, license=license, card_data=card_data
        )

    def add_dataset(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        revision: str = "main",
        gated: bool = False,
        private: bool = False,
        license: str | None = "apache-2.0",
        card_data: Mapping[str, Any] | None = None,
    ) -> str:
        """Commit ``files`` as the whole content of ``revision`` of a dataset repo; returns the commit sha."""
        return self.repos.add(
            "datasets", repo_id, files, revision, gated=gated, private=private, license=license, card_data=card_data
        )

    def corrupt(self, repo_id: str, path: str, *, kind: str = "models", revision: str = "main") -> None:
        """Serve ``path`` with one byte flipped while the metadata still announces the original hash."""
        self.repos.corrupt(kind, repo_id, path, revision)

    def add_token(
        self,
        token: str,
        user: str,
        *,
        role: str = "write",
        orgs: Mapping[str, str] | None = None,
        fine_grained: FineGrained | None = None,
    ) -> Token:
        """Register ``token`` of ``user`` (``role`` read/write/fineGrained; ``orgs``: name → roleInOrg)."""
        return self.accounts.add_token(token, user, role=role, orgs=orgs, fine_grained=fine_grained)

    def grant_gated(self, user: str, repo_id: str, *, kind: str = "models") -> None:
        """Give ``user`` access to the gated repo (its read/write tokens, and fine-grained ones allowed to)."""
        self.accounts.grant_gated(user, repo_id, kind=kind)

    def revoke(self, token: str) -> None:
        """Revoke a registered token: every later request with it gets a 401."""
        self.accounts.revoke(token)

    # -- faults, speed and the log --------------------------------------------------------------

    def inject(
        self,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path matches (and method, when given) with ``status``."""
        with self._lock:
            self._faults.append(_Fault(re.compile(path_regex), status, times, retry_after, method))

    def throttle(self, bytes_per_second: float | None) -> None:
        """Slow file bodies down to about ``bytes_per_second`` (``None`` for full speed)."""
        self.repos.bytes_per_second = bytes_per_second

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()

    def requests_for(self, path_regex: str, method: str | None = None) -> list[LoggedRequest]:
        """The logged requests whose path matches (and method, when given)."""
        pattern = re.compile(path_regex)
        with self._lock:
            return [r for r in self.requests if pattern.search(r.path) and (method is None or r.method == method)]

    def changes(self, path_regex: str = "") -> list[LoggedRequest]:
        """The logged requests that could create or change anything (every method but GET and HEAD)."""
        return [r for r in self.requests_for(path_regex) if r.changes]

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        body = await request.body() if request.method not in READ_METHODS else b""
        response = self._answer(request, body)
        response.headers["date"] = formatdate(time.time(), usegmt=True)
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

    def _answer(self, request: Request, body: bytes) -> Response:
        fault = self._take_fault(request.method, request.url.path)
        if fault is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return JSONResponse({"error": f"injected {fault.status}"}, status_code=fault.status, headers=headers)
        presented = bearer(request.headers.get("authorization"))
        token = self.accounts.tokens.get(presented) if presented is not None else None
        if token is not None and token.revoked:
            return error_response(401, None, INVALID_CREDENTIALS)
        answered = self.spaces.answer(request, body, token, presented)
        if answered is not None:
            return answered
        caller = Caller(token, presented, legacy=presented is not None and presented in self.tokens)
        answered = self.repos.answer(request, caller)
        return answered if answered is not None else error_response(404, None, "Not found")

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.pattern.search(path) and fault.method in (None, method):
                    fault.times -= 1
                    return fault
        return None
