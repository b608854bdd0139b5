"""The autosave baseline: a plain Starlette handler running the SQL the real autosave runs.

The statements are the repositories' own: the token look-up, then in one transaction the
package lock, the draft read, the version update, the package update and the event insert.
No GraphQL, no ORM, no domain rules: the figure the real stack is compared with.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db.repositories.packages import DRAFT_SQL, LOCK_PACKAGE_SQL, SAVE_PACKAGE_WITH_EVENTS_SQL
from db.repositories.tokens import ACTIVE_TOKEN_SQL
from db.repositories.versions import MUTABLE_COLUMNS, UPDATE_VERSION_SQL


# The very statements the repositories send, imported so that the two sides cannot drift.
def create_baseline_app(database_url: str, *, pool_size: int) -> Starlette:
    """The baseline app; its pool may grow like the real engine's (``pool_size`` plus as many overflow)."""
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(database_url, min_size=1, max_size=2 * pool_size))
        yield
        await pools[0].close()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def autosave(request: Request) -> Response:
        secret = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        body: dict[str, Any] = await request.json()
        async with pools[0].acquire() as connection:
            return await _autosave(connection, secret, body)

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/autosave", autosave, methods=["POST"])], lifespan=lifespan
    )


async def _autosave(connection: asyncpg.Connection, secret: str, body: dict[str, Any]) -> Response:
    token = await connection.fetchrow(ACTIVE_TOKEN_SQL, hashlib.sha256(secret.encode()).hexdigest())
    if token is None or "write" not in token["scopes"]:
        return JSONResponse({"error": "UNAUTHENTICATED"}, status_code=401)
    package_id = uuid.UUID(body["id"])
    steps: dict[str, Any] = body["steps"]
    async with connection.transaction():
        package = await connection.fetchrow(LOCK_PACKAGE_SQL, package_id, token["organisation_id"])
        draft = await connection.fetchrow(DRAFT_SQL, package_id) if package else None
        if package is None or draft is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        if draft["revision"] != body["expectedRevision"]:
            return JSONResponse({"error": "REVISION_CONFLICT", "currentRevision": draft["revision"]}, status_code=409)
        step_data = {**json.loads(draft["step_data"]), **steps}
        canonical = json.dumps(step_data, sort_keys=True, separators=(",", ":"))
        revision = draft["revision"] + 1
        now = datetime.now(UTC)
        payload = {
            "versionId": str(draft["id"]),
            "number": draft["number"],
            "revision": revision,
            "trigger": body.get("trigger", "MANUAL"),
            "savedAt": now.isoformat(),
            "steps": sorted(steps),
        }
        values = {
            **dict(draft),  # step_states stays the JSON text it was read as
            "step_data": json.dumps(step_data),
            "revision": revision,
            "autosaved_at": now,
            "content_hash": "sha256:" + hashlib.sha256(canonical.encode()).hexdigest(),
        }
        await connection.execute(
            UPDATE_VERSION_SQL,
            draft["id"],
            *(values[name] for name in MUTABLE_COLUMNS),
        )
        await connection.execute(  # the package update and the save's event, one statement
            SAVE_PACKAGE_WITH_EVENTS_SQL,
            package_id,
            package["name"],
            package["name_is_custom"],
            package["description"],
            now,
            package["archived_at"],
            max(package["revision"], revision),
            [token["organisation_id"]],
            [package_id],
            ["DRAFT_SAVED"],
            [json.dumps(payload)],
            [f"token:{token['name']}"],
        )
    return JSONResponse({"revision": revision, "savedAt": now.isoformat(), "changed": True})
