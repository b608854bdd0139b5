"""The Spaces part of the Hub stand-in: Spaces, their settings, runtime, logs and the hardware list.

It answers what ``huggingface_hub`` sends for Spaces: ``create_repo``/``delete_repo``, ``space_info``,
secrets and variables, ``request_space_hardware``, ``set_space_sleep_time``, ``get_space_runtime``
(scripted, see ``space_runtime``), ``pause_space``/``restart_space``, ``fetch_space_logs`` (SSE) and
``list_spaces_hardware``; a Space's files and commits live in ``space_files``. Access follows the
tokens in ``hub_accounts``: no or an unknown token gets a 401, a token that may not write under the
owner a 403, a private Space of someone else a 404.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.support.hub_accounts import INVALID_CREDENTIALS, Accounts, Token
from tests.support.hub_protocol import error_response
from tests.support.space_files import SDKS, Setting, Space, SpaceFiles, iso
from tests.support.space_runtime import DEFAULT_SCRIPT, HARDWARE_STAGES, Phase, Run, StageChange, script

_SPACE = re.compile(r"^/api/spaces/(?P<repo>[^/]+/[^/]+?)(?:/(?P<op>[a-z]+)(?:/(?P<arg>[^/]+))?)?$")


def _flavour(
    name: str, pretty: str, cpu: str, ram: str, usd_per_hour: float, gpu: tuple[str, int, int] | None = None
) -> dict[str, Any]:
    per_minute = round(usd_per_hour / 60, 6)
    flavour: dict[str, Any] = {
        "name": name,
        "prettyName": pretty,
        "cpu": cpu,
        "ram": ram,
        "ephemeralStorage": "50 GB",
        "unitCostMicroUSD": round(per_minute * 1_000_000),
        "unitCostUSD": per_minute,
        "unitLabel": "minute",
    }
    if gpu is not None:
        model, count, vram = gpu
        flavour["accelerator"] = {
            "type": "gpu",
            "model": model,
            "quantity": str(count),
            "vram": f"{vram * count} GB",
            "manufacturer": "Nvidia",
        }
    return flavour


HARDWARE: tuple[dict[str, Any], ...] = (
    _flavour("cpu-basic", "CPU basic", "2 vCPU", "16 GB", 0.0),
    _flavour("cpu-upgrade", "CPU upgrade", "8 vCPU", "32 GB", 0.03),
    _flavour("t4-small", "Nvidia T4 - small", "4 vCPU", "15 GB", 0.40, ("T4", 1, 16)),
    _flavour("t4-medium", "Nvidia T4 - medium", "8 vCPU", "30 GB", 0.60, ("T4", 1, 16)),
    _flavour("l4x1", "1x Nvidia L4", "8 vCPU", "30 GB", 0.80, ("L4", 1, 24)),
    _flavour("l4x4", "4x Nvidia L4", "48 vCPU", "186 GB", 3.80, ("L4", 4, 24)),
    _flavour("l40sx1", "1x Nvidia L40S", "8 vCPU", "62 GB", 1.80, ("L40S", 1, 48)),
    _flavour("l40sx4", "4x Nvidia L40S", "48 vCPU", "382 GB", 8.30, ("L40S", 4, 48)),
    _flavour("l40sx8", "8x Nvidia L40S", "192 vCPU", "1534 GB", 23.50, ("L40S", 8, 48)),
    _flavour("a10g-small", "Nvidia A10G - small", "4 vCPU", "15 GB", 1.00, ("A10G", 1, 24)),
    _flavour("a10g-large", "Nvidia A10G - large", "12 vCPU", "46 GB", 1.50, ("A10G", 1, 24)),
    _flavour("a10g-largex2", "2x Nvidia A10G - large", "24 vCPU", "92 GB", 3.00, ("A10G", 2, 24)),
    _flavour("a10g-largex4", "4x Nvidia A10G - large", "48 vCPU", "184 GB", 5.00, ("A10G", 4, 24)),
    _flavour("a100-large", "Nvidia A100 - large", "12 vCPU", "142 GB", 2.50, ("A100", 1, 80)),
    _flavour("a100x4", "4x Nvidia A100", "48 vCPU", "568 GB", 10.00, ("A100", 4, 80)),
    _flavour("a100x8", "8x Nvidia A100", "96 vCPU", "1136 GB", 20.00, ("A100", 8, 80)),
)
"""The ``/api/spaces/hardware`` reply: prices per minute and total VRAM, as the Hub gives them (tests may
replace ``SpacesStandin.hardware``)."""


class SpacesStandin:
    """Spaces of the stand-in: the routes, and what tests script and inspect (``hub.spaces``)."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.hardware: list[dict[str, Any]] = [dict(flavour) for flavour in HARDWARE]
        self._spaces: dict[str, Space] = {}
        self._scripts: dict[str, tuple[Phase, ...]] = {}
        self._seconds_per_log_line = 0.0
        self._lock = threading.RLock()
        self.files = SpaceFiles(self)

    # -- what tests script ----------------------------------------------------------------------

    def script(self, space_id: str, phases: Sequence[Phase | str]) -> None:
        """The stages every later build or restart of ``space_id`` goes through (it may not exist yet)."""
        with self._lock:
            self._scripts[space_id] = script(phases)

    def force(self, space_id: str, phases: Sequence[Phase | str]) -> None:
        """Put the Space through ``phases`` now, on its current commit (a crash, a stop, …)."""
        with self._lock:
            space = self._spaces[space_id]
            self.start_run(space, script(phases), sha=space.run.sha)

    def log(self, space_id: str, *lines: str, build: bool = False) -> None:
        """Append lines to the Space's run (or build) log, stamped now."""
        with self._lock:
            target = self._spaces[space_id].build_logs if build else self._spaces[space_id].run_logs
            target.extend((iso(time.time()), line) for line in lines)

    def slow_logs(self, seconds_per_line: float) -> None:
        """Send log lines this far apart (0 for at once)."""
        self._seconds_per_log_line = seconds_per_line

    def create(self, space_id: str, *, created_by: str, private: bool = True, sdk: str = "docker") -> Space:
        """A Space that already exists (made by ``created_by``), with the Hub's initial commit."""
        with self._lock:
            space = Space(space_id, sdk, private, created_by)
            self._spaces[space_id] = space
            self.files.initial_commit(space)
            return space

    # -- what tests inspect ---------------------------------------------------------------------

    def get(self, space_id: str) -> Space | None:
        """The live state of a Space (``None`` if it does not exist)."""
        with self._lock:
            return self._spaces.get(space_id)

    def stage(self, space_id: str) -> str:
        """The Space's stage now (not counted as a runtime read)."""
        with self._lock:
            run = self._spaces[space_id].run
            run.advance(time.monotonic(), read=False)
            return run.phase.stage

    def stage_changes(self, space_id: str) -> list[StageChange]:
        """Every stage the Space entered, in order, with its time and commit."""
        with self._lock:
            space = self._spaces[space_id]
            space.run.advance(time.monotonic(), read=False)
            return list(space.timeline.changes)

    def billable_seconds(self, space_id: str) -> float:
        """Seconds the Space spent starting or running (what the Hub bills, per minute)."""
        with self._lock:
            space = self._spaces[space_id]
            now = time.monotonic()
            space.run.advance(now, read=False)
            return space.timeline.billable_seconds(now)

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, space: Space, phases: tuple[Phase, ...] | None, *, sha: str | None) -> None:
        """Start ``phases`` (default: the Space's script) on commit ``sha``, closing the current run."""
        now = time.monotonic()
        previous = None
        if space.current is not None:
            space.current.advance(now, read=False)
            previous = space.current.shown_sha

        def entered(run: Run) -> None:
            phase = run.phase
            space.current_hardware = (
                (space.requested_hardware or "cpu-basic") if phase.stage in HARDWARE_STAGES else None
            )
            space.timeline.enter(phase.stage, run.shown_sha, run.entered_at)
            stamp = iso(time.time() - (time.monotonic() - run.entered_at))
            space.run_logs.extend((stamp, line) for line in phase.run_logs)
            space.build_logs.extend((stamp, line) for line in phase.build_logs)

        chosen = phases if phases is not None else self._scripts.get(space.space_id, DEFAULT_SCRIPT)
        space.current = Run(chosen, sha, previous, entered, entered_at=now)

    def restart_if_running(self, space: Space) -> None:
        """What the Hub does after a change of secrets, variables or hardware: restart a live Space."""
        space.run.advance(time.monotonic(), read=False)
        if space.run.phase.stage in HARDWARE_STAGES or space.run.phase.stage in ("BUILDING", "RUNNING_BUILDING"):
            self.start_run(space, None, sha=space.run.sha)

    # -- HTTP -----------------------------------------------------------------------------------

    def answer(self, request: Request, body: bytes, token: Token | None, presented: str | None) -> Response | None:
        """The reply to a Spaces request, or ``None`` if the request is not about Spaces."""
        path = request.url.path
        if path == "/api/spaces/hardware" and request.method == "GET":
            return JSONResponse(self.hardware)
        routes = ("/api/whoami-v2", "/api/repos/create", "/api/repos/delete", "/api/validate-yaml")
        match = _SPACE.match(path)
        if path not in routes and match is None:
            return None
        if token is None:
            message = INVALID_CREDENTIALS if presented else "You must be authenticated to access this resource."
            return error_response(401, None, message)
        with self._lock:
            if path == "/api/whoami-v2":
                return JSONResponse(self.accounts.whoami(token))
            if path == "/api/validate-yaml":
                return self.files.validate_yaml(_json(body))
            if path == "/api/repos/create":
                return self._create(request, _json(body), token)
            if path == "/api/repos/delete":
                return self._delete(_json(body), token)
            assert match is not None
            return self._space_route(request, match["repo"], match["op"] or "", match["arg"], body, token)

    def _create(self, request: Request, payload: dict[str, Any], token: Token) -> Response:
        if payload.get("type") != "space":
            return error_response(400, None, "This stand-in creates Spaces only.")
        owner = payload.get("organization") or token.user.name
        space_id = f"{owner}/{payload['name']}"
        if not token.may_write(owner):
            return error_response(
                403, None, f'You don\'t have the rights to create a space under the namespace "{owner}"'
            )
        url = f"{_base(request)}/spaces/{space_id}"
        if space_id in self._spaces:
            return JSONResponse({"error": "You already created this space repo", "url": url}, status_code=409)
        sdk, hardware = payload.get("sdk"), payload.get("hardware")
        if sdk not in SDKS:
            return error_response(400, None, f"Invalid sdk: {sdk!r}")
        if hardware is not None and not self._known(hardware):
            return error_response(400, None, f"Invalid hardware flavor: {hardware!r}")
        if hardware not in (None, "cpu-basic") and owner in self.accounts.without_billing:
            return error_response(402, None, "Payment required: add a payment method to use upgraded hardware.")
        visibility = payload.get("visibility") or ("private" if payload.get("private") else "public")
        space = Space(space_id, sdk, visibility != "public", token.user.name)
        space.requested_hardware = hardware
        space.sleep_time = payload.get("sleepTimeSeconds")
        for kind, target in (("secrets", space.secrets), ("variables", space.variables)):
            for item in payload.get(kind) or []:
                target[item["key"]] = Setting(item["value"], item.get("description"), iso(time.time()))
        self._spaces[space_id] = space
        self.files.initial_commit(space)
        return JSONResponse({"url": url, "name": space_id, "id": space_id})

    def _delete(self, payload: dict[str, Any], token: Token) -> Response:
        space_id = f"{payload.get('organization') or token.user.name}/{payload['name']}"
        space = self._spaces.get(space_id) if payload.get("type") == "space" else None
        if space is None or not self._visible(space, token):
            return error_response(404, "RepoNotFound", "Repository not found")
        if not token.may_write(space.owner, repo_id=space_id, created_by=space.created_by):
            return error_response(403, None, "You don't have the rights to delete this repo")
        del self._spaces[space_id]
        return JSONResponse({})

    def _space_route(
        self, request: Request, space_id: str, op: str, arg: str | None, body: bytes, token: Token
    ) -> Response:
        space = self._spaces.get(space_id)
        if space is None or not self._visible(space, token):
            return error_response(404, "RepoNotFound", "Repository not found")
        method = request.method
        if method == "GET" and op in ("", "revision", "commits"):
            return self.files.read(request, space, op, arg)
        if method == "GET" and op == "runtime":
            space.run.advance(time.monotonic(), read=True)
            return JSONResponse(space.runtime())
        if not token.may_write(space.owner, repo_id=space_id, created_by=space.created_by):
            return error_response(403, None, "You don't have write access to this Space")
        if op in ("preupload", "commit"):
            return self.files.write(request, space, op, arg, body, token.user.name)
        if op in ("secrets", "variables") and method in ("GET", "POST", "DELETE"):
            return self._settings(space, op, method, _json(body) if method != "GET" else {})
        if op == "logs" and arg in ("run", "build") and method == "GET":
            lines = list(space.build_logs if arg == "build" else space.run_logs)
            return StreamingResponse(self._sse(lines), media_type="text/event-stream")
        if method == "POST" and op in ("hardware", "sleeptime", "pause", "restart"):
            return self._control(request, space, op, _json(body) if body else {})
        return error_response(404, None, f"Not found: {method} {request.url.path}")

    def _settings(self, space: Space, op: str, method: str, payload: dict[str, Any]) -> Response:
        target = space.secrets if op == "secrets" else space.variables
        if method == "POST":  # the Hub restarts a live Space on any change, even to the same value
            target[payload["key"]] = Setting(payload["value"], payload.get("description"), iso(time.time()))
            self.restart_if_running(space)
        elif method == "DELETE" and target.pop(payload["key"], None) is not None:
            self.restart_if_running(space)
        if op == "secrets":
            reply = (
                {}
                if method != "GET"
                else {k: {"description": s.description, "updatedAt": s.updated_at} for k, s in target.items()}
            )
            return JSONResponse(reply)
        return JSONResponse(
            {k: {"value": s.value, "description": s.description, "updatedAt": s.updated_at} for k, s in target.items()}
        )

    def _control(self, request: Request, space: Space, op: str, payload: dict[str, Any]) -> Response:
        if op == "hardware":
            flavour = payload.get("flavor")
            if not isinstance(flavour, str) or not self._known(flavour):
                return error_response(400, None, f"Invalid hardware flavor: {flavour!r}")
            if flavour != "cpu-basic" and space.owner in self.accounts.without_billing:
                return error_response(402, None, "Payment required: add a payment method to use upgraded hardware.")
            if "sleepTimeSeconds" in payload:
                space.sleep_time = payload["sleepTimeSeconds"]
            changed, space.requested_hardware = space.requested_hardware != flavour, flavour
            if changed:
                self.restart_if_running(space)
        elif op == "sleeptime":
            space.sleep_time = payload.get("seconds")
        elif op == "pause":
            self.start_run(space, (Phase("PAUSED"),), sha=space.run.sha)
        else:
            self.start_run(space, None, sha=space.run.sha)
        space.run.advance(time.monotonic(), read=False)
        return JSONResponse(space.runtime())

    async def _sse(self, lines: list[tuple[str, str]]) -> AsyncIterator[bytes]:
        for stamp, line in lines:
            event = {"timestamp": stamp, "data": line + "\n"}
            yield f"data: {json.dumps(event)}\n\n".encode()
            if self._seconds_per_log_line:
                await asyncio.sleep(self._seconds_per_log_line)

    def _known(self, flavour: str) -> bool:
        return any(item["name"] == flavour for item in self.hardware)

    @staticmethod
    def _visible(space: Space, token: Token) -> bool:
        return not space.private or token.is_member_of(space.owner)


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")
