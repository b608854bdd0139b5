"""``GET /bundles/<sha256>.tar.gz``: a built bundle, to its organisation only.

The same bearer token as GraphQL, with the ``read`` scope. A bundle is served when one of the
caller's own versions was built into it; any other name (another organisation's bundle, a
malformed or unknown one) gets one and the same 404, so an answer never tells whether a bundle
exists elsewhere. The ETag is the archive's sha256 (the same on every machine), so
``If-None-Match`` revalidates for free; ranges are served by Starlette's ``FileResponse``, with
a malformed or unsatisfiable range refused as typed JSON before it gets there.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response

from api.context import Services
from api.http_limits import error_response
from db.bundle_store import bundle_store
from db.repositories.jobs import JobRepository
from db.repositories.tokens import active_token
from workflow.access import Scope, hash_token
from workflow.job_inputs import JobKind
from workflow.tokens import actor_of

NAME = re.compile(r"(?P<sha256>[0-9a-f]{64})\.tar\.gz")
CACHE_CONTROL = "private, max-age=31536000, immutable"  # a name is its content: it never changes
MEDIA_TYPE = "application/gzip"


async def bundle_download(services: Services, request: Request) -> Response:
    """The archive (200, 206 for a range, 304 when the client's copy is current) or a typed error."""
    secret = _bearer(request.headers.get("authorization"))
    actor = None
    if secret:
        async with services.read_engine.connect() as connection:
            actor = actor_of(await active_token(connection, hash_token(secret)))
    if actor is None:
        return error_response(
            401, "UNAUTHENTICATED", "A valid bearer token is required (Authorization: Bearer <token>)."
        )
    if not actor.can(Scope.READ):
        return error_response(403, "FORBIDDEN", "This token lacks the 'read' scope.")
    name = request.path_params["name"]
    match = NAME.fullmatch(name)
    path = None
    if match is not None:
        sha256 = match["sha256"]
        async with services.read_sessionmaker() as session:
            owned = await JobRepository(session).succeeded_with_result(
                actor.organisation_id, JobKind.BUILD_PACKAGE, "sha256", sha256
            )
        path = bundle_store(services.settings).path_of(sha256) if owned else None
    if match is None or path is None:
        return error_response(404, "NOT_FOUND", "No bundle with this name was found.")
    etag = f'"{match["sha256"]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    size = path.stat().st_size
    ranged = request.headers.get("range")
    if ranged is not None:
        try:
            # The same parser FileResponse runs, so its refusals are answered as typed JSON.
            FileResponse._parse_range_header(ranged, size)
        except MalformedRangeHeader:
            return error_response(400, "RANGE_INVALID", "The Range header is malformed (bytes=START-END).")
        except RangeNotSatisfiable:
            response = error_response(416, "RANGE_NOT_SATISFIABLE", f"The archive has {size} bytes.")
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
    return FileResponse(path, media_type=MEDIA_TYPE, filename=name, headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names this entity (weak comparison, as RFC 9110 asks for it)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in header.split(","))


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
