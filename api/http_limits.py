"""What a request body may be before GraphQL sees it: its size, its JSON, its multipart form.

Every refusal is a JSON answer with a typed error (``errors[0].extensions.code``) and a 4xx
status, never a 500: a body over the limit (declared or streamed), JSON that is not UTF-8, not an
object, or nested deeper than ``max_json_depth``, a multipart form whose ``operations`` or
``map`` has the wrong shape, and a multipart request without the CSRF header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import RequestMetrics
from trainpack.settings import Settings

# strawberry's own refusals carry a status and a reason; these are their codes.
_STATUS_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "BODY_TOO_LARGE"}


class RequestRefused(HTTPException):
    """A request refused before execution, with a stable code for clients to switch on."""

    def __init__(self, status_code: int, code: str, reason: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


class BodyTooLargeError(Exception):
    """The body grew past the limit while it was being read (sent without a length)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body over {limit} bytes.")
        self.limit = limit


def refusal(error: HTTPException | BodyTooLargeError) -> Response:
    """The typed JSON answer for a request refused before execution."""
    if isinstance(error, BodyTooLargeError):
        return error_response(413, "BODY_TOO_LARGE", str(error))
    code = error.code if isinstance(error, RequestRefused) else _STATUS_CODES.get(error.status_code, "BAD_REQUEST")
    return error_response(error.status_code, code, error.reason)


def error_response(status: int, code: str, message: str) -> Response:
    """``{"errors": [{"message", "extensions": {"code"}}]}`` with ``status``."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def decode_request_json(data: str | bytes, max_depth: int) -> object:
    """The JSON of a request body (or of a multipart field, or a query parameter).

    Refused: bytes that are not UTF-8, text that is not JSON, and nesting deeper than
    ``max_depth`` (deep enough for any real variables; far shallower than what would exhaust
    the interpreter's stack in the parser or in GraphQL's input coercion).
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused(400, "BODY_NOT_UTF8", "The request body is not UTF-8 text.") from None
    too_deep = RequestRefused(400, "JSON_TOO_DEEP", f"The JSON is nested deeper than {max_depth} levels.")
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep from None
    except ValueError:
        raise RequestRefused(400, "BODY_NOT_JSON", "The request body is not valid JSON.") from None
    if _nesting(value) > max_depth:
        raise too_deep
    return value


def require_object(data: object, what: str) -> dict[str, Any]:
    """``data`` if it is a JSON object, else a refusal naming ``what``."""
    if not isinstance(data, dict):
        raise RequestRefused(400, "BODY_NOT_OBJECT", f"The {what} must be a JSON object.")
    return data


def require_file_map(data: object) -> Mapping[str, list[str]]:
    """A multipart ``map``: an object from a file field's name to the variable paths it fills."""
    if not isinstance(data, dict) or not all(
        isinstance(paths, list) and all(isinstance(path, str) for path in paths) for paths in data.values()
    ):
        raise RequestRefused(400, "MULTIPART_INVALID", "The multipart `map` must map each file to a list of paths.")
    return data


def _nesting(value: object) -> int:
    """How deeply objects and arrays nest in a decoded JSON value (walked without recursion)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with 413.

    A declared length is checked before the app runs. A body sent without one (chunked) is
    counted as it is read, and ``BodyTooLargeError`` raised from ``receive`` the moment it
    passes the limit: the GraphQL view, which reads bodies, answers it with the 413.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await refusal(BodyTooLargeError(self.limit))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLargeError(self.limit)
            return message

        await self.app(scope, limited, send)


class UploadGuard:
    """Multipart requests must carry a header a browser form cannot set (CSRF), and get the upload limit.

    A cross-site HTML form can post multipart/form-data without a preflight; requiring
    ``Apollo-Require-Preflight`` (or ``X-Requested-With``) makes such a request impossible
    without the browser asking first, as strawberry's guidance on uploads recommends.
    """

    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.json_limit = BodySizeLimit(app, json_limit)
        self.upload_limit = BodySizeLimit(app, upload_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.json_limit(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/"):
            if not (headers.get(b"apollo-require-preflight") or headers.get(b"x-requested-with")):
                message = "Multipart requests need an Apollo-Require-Preflight header (CSRF guard)."
                await error_response(400, "CSRF_PREFLIGHT_REQUIRED", message)(scope, receive, send)
                return
            await self.upload_limit(scope, receive, send)
            return
        await self.json_limit(scope, receive, send)


def with_limits(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The app behind the request metrics, the request-body limits and the upload CSRF guard."""
    # Multipart framing and the operations field come on top of the file itself.
    guarded = UploadGuard(app, json_limit=settings.max_body_bytes, upload_limit=settings.upload_max_bytes + 1_000_000)
    return RequestMetrics(guarded)
