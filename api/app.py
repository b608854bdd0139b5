"""The ASGI application: GraphQL at /graphql (GraphiQL's page and assets too), health and readiness probes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any, cast

import structlog
from alembic.config import Config
from alembic.script import ScriptDirectory
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from api.context import Context, Services
from api.downloads import bundle_download
from api.graphiql.page import ASSETS_PATH, assets_app, page_response
from api.graphql_http import APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, is_request_error, response_media_type
from api.http_limits import (
    BodyTooLargeError,
    RequestRefused,
    decode_request_json,
    refusal,
    require_file_map,
    require_object,
)
from api.live.hub import EventHub
from api.live.websocket import FrameWebSocket, LegacyWSHandler, TransportWSHandler
from api.metrics import metrics_endpoint
from api.schema import build_schema
from db.engine import make_engine, make_sessionmaker, plain_url
from db.repositories.tokens import active_token
from trainpack.settings import Settings
from workflow.access import hash_token
from workflow.catalogue import HardwareSource
from workflow.sealing import SecretBox
from workflow.tokens import actor_of

log = structlog.get_logger(__name__)
HUB_LOGGING_TOKEN = "event-hub"  # marks the hub's statements (logs; request-cost measurements skip them)


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with a context that authenticates the bearer token once."""

    # Live events leave through per-operation frame lanes (api.live.websocket), both protocols.
    websocket_adapter_class = FrameWebSocket
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, services: Services) -> None:
        # Multipart uploads are on for `uploadDataset`; the CSRF guard (a preflight-forcing header)
        # is `UploadGuard` in front of the app. Tokens travel in a header, never a cookie, too.
        super().__init__(
            build_schema(services.settings),
            graphql_ide="graphiql" if services.settings.graphiql else None,
            multipart_uploads_enabled=True,
        )
        self.services = services

    async def run(self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Serve one request; a refusal before execution is a typed JSON error, never a 500."""
        try:
            response = await super().run(request, context, root_value)
        except (HTTPException, BodyTooLargeError) as error:
            if isinstance(error, HTTPException) and isinstance(
                error.__cause__, InvalidOperationTypeError
            ):  # GET mutation
                response = refusal(RequestRefused(405, "METHOD_NOT_ALLOWED", error.reason))
                response.headers["Allow"] = "POST"  # the spec's answer: 405, and the method that works
            else:
                response = refusal(error)
        except ClientDisconnect:  # the client hung up while sending its request: nobody to answer
            log.info("client hung up before its request was read")
            return Response(status_code=400)
        if isinstance(request, Request) and isinstance(response, Response):
            return _in_accepted_media_type(request, response)
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """The result as sent; with ``application/graphql-response+json`` a request error has no
        ``data`` and is marked for a 400 (``_in_accepted_media_type`` sets the status)."""
        processed = await super().process_result(request, result)
        accepted = response_media_type(request.headers.get("accept"))
        if accepted == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            processed.pop("data", None)
            request.state.graphql_request_error = True
        return processed

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from this service's own assets (``api.graphiql``), not strawberry's CDN page."""
        return page_response(request.url.path)

    def decode_json(self, data: str | bytes) -> object:
        """A JSON body, multipart field or query parameter: UTF-8, valid, not nested too deeply,
        and an object (each is one: batching is off, variables and extensions are objects)."""
        return require_object(decode_request_json(data, self.services.settings.max_json_depth), "JSON")

    def parse_json(self, data: str | bytes) -> Any:
        return self.decode_json(data)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """The GraphQL multipart request, its ``operations`` an object and its ``map`` file paths."""
        try:
            form_data = await request.get_form_data()
        except ValueError:
            raise RequestRefused(400, "MULTIPART_INVALID", "The multipart body cannot be parsed.") from None
        try:
            operations = require_object(self.decode_json(_text(form_data.form.get("operations", "{}"))), "operations")
            files_map = require_file_map(self.decode_json(_text(form_data.form.get("map", "{}"))))
            try:
                return replace_placeholders_with_files(operations, files_map, form_data.files)
            except (KeyError, IndexError, ValueError, TypeError):
                raise RequestRefused(
                    400, "MULTIPART_INVALID", "The multipart `map` names a missing file or path."
                ) from None
        except RequestRefused:
            close = getattr(form_data.files, "close", None)
            if close is not None:
                await close()  # the spooled files of a refused request are never handed to a resolver
            raise

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a websocket from its ``connection_init`` payload; refuse it (4403) if that fails."""
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        secret = _bearer(raw) if isinstance(raw, str) and " " in raw else raw if isinstance(raw, str) else None
        if secret:
            async with self.services.read_engine.connect() as connection:
                context.actor_or_none = actor_of(await active_token(connection, hash_token(secret)))
        if context.actor_or_none is None:
            raise ConnectionRejectionError(
                {"message": "A valid token is required in connection_init.", "code": "UNAUTHENTICATED"}
            )
        return cast(UnsetType, UNSET)  # acknowledge without a payload

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        secret = _bearer(request.headers.get("authorization"))
        actor = None
        if secret and isinstance(request, Request):
            async with self.services.read_engine.connect() as connection:
                actor = actor_of(await active_token(connection, hash_token(secret)))
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            services=self.services,
            actor_or_none=actor,
        )


def _in_accepted_media_type(request: Request, response: Response) -> Response:
    """A JSON answer of the endpoint relabelled with the media type the client accepts; a request
    error answered as ``application/graphql-response+json`` becomes a 400, as the spec asks."""
    if not response.headers.get("content-type", "").startswith(APPLICATION_JSON):
        return response  # GraphiQL's page, a multipart stream, an empty answer
    accepted = response_media_type(request.headers.get("accept"))
    if accepted == GRAPHQL_RESPONSE_JSON:
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        if getattr(request.state, "graphql_request_error", False):
            response.status_code = 400
    return response


def _text(value: object) -> str | bytes:
    if isinstance(value, str | bytes):
        return value
    raise RequestRefused(400, "MULTIPART_INVALID", "`operations` and `map` must be form fields, not files.")


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def migration_head() -> str | None:
    """The newest migration revision shipped with this code."""
    config = Config()
    config.set_main_option("script_location", "migrations")
    return ScriptDirectory.from_config(config).get_current_head()


def create_app(
    settings: Settings,
    *,
    background: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    hardware_source: HardwareSource | None = None,
) -> Starlette:
    """Build the application for a configured database (``settings.database_url`` must be set).

    ``background`` is entered for the app's lifetime (the composition root passes the job queue);
    ``hardware_source`` reads the Hub's hardware list for ``refreshHardwareCatalogue``.
    """
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set; use `trainpack dev` for an embedded database.")
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    # Reads run outside explicit transactions: no BEGIN/ROLLBACK round trips per request.
    read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    services = Services(
        settings,
        make_sessionmaker(engine),
        make_sessionmaker(read_engine),
        read_engine,
        secret_box=SecretBox.from_setting(settings.secret_key),
        hardware_source=hardware_source,
    )
    head = migration_head()

    async def healthz(_: Request) -> Response:
        hub = services.hub
        return JSONResponse({"status": "ok", "liveSubscriptions": hub.subscribers if hub is not None else 0})

    async def readyz(_: Request) -> Response:
        checks: dict[str, Any] = {}
        try:
            async with read_engine.connect() as connection:
                current = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            checks["database"] = "ok"
            checks["migrations"] = "ok" if current == head else f"at {current}, head is {head}"
        except Exception as exc:  # the probe reports any failure as not ready
            log.warning("readiness check failed", error=str(exc))
            checks.setdefault("database", "unreachable")
        ready = checks.get("database") == "ok" and checks.get("migrations") == "ok"
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        hub = EventHub(
            make_sessionmaker(read_engine.execution_options(logging_token=HUB_LOGGING_TOKEN)),
            plain_url(settings.database_url or ""),
            catch_up_seconds=settings.event_catch_up_seconds,
            retention=timedelta(hours=settings.event_retention_hours),
            prune_sessionmaker=services.sessionmaker,
            buffer=settings.subscriber_buffer,
        )
        await hub.start()
        services.hub = hub
        try:
            if background is None:
                yield
            else:
                async with background():
                    yield
        finally:
            services.hub = None
            await hub.stop()
            await engine.dispose()

    graphql = GraphQLApp(services)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", partial(metrics_endpoint, services)),
        Route("/bundles/{name}", partial(bundle_download, services), methods=["GET", "HEAD"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    if settings.graphiql:
        routes.append(Mount(ASSETS_PATH, app=assets_app(), name="graphiql-assets"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    return app
