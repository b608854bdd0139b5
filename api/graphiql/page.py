"""The GraphiQL page and its assets, all from this origin (no CDN: it works with no internet).

The browser builds (GraphiQL, React, graphql-ws) are vendored into ``assets/vendor`` by
``web/graphiql/vendor.mjs`` from a locked npm project; ``assets/trainpack-graphiql.js`` builds the
fetcher that sends the Headers tab's token over HTTP and in the websocket's ``connection_init``.
The page's Content-Security-Policy allows only 'self', so nothing else can load or connect.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
ASSETS_PATH = "/graphiql/assets"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_STYLES = ("vendor/graphiql.min.css", "trainpack-graphiql.css")
_SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphql-ws.min.js",
    "vendor/graphiql.min.js",
    "trainpack-graphiql.js",
)


def page_html(endpoint: str) -> str:
    """The page: GraphiQL's styles and scripts from ``ASSETS_PATH``, talking to ``endpoint``."""
    icon = f'<link rel="icon" href="{ASSETS_PATH}/favicon.svg" type="image/svg+xml">'
    styles = icon + "".join(f'<link rel="stylesheet" href="{ASSETS_PATH}/{name}">' for name in _STYLES)
    scripts = "".join(f'<script src="{ASSETS_PATH}/{name}"></script>' for name in _SCRIPTS)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trainpack GraphiQL</title>{styles}</head>"
        f'<body><div id="graphiql" data-endpoint="{escape(endpoint)}">Loading GraphiQL…</div>{scripts}</body></html>'
    )


def page_response(endpoint: str) -> HTMLResponse:
    """The page with its CSP (only 'self') and the headers that keep it from being framed or sniffed."""
    return HTMLResponse(page_html(endpoint), headers={**_SECURITY_HEADERS, "Cache-Control": "no-cache"})


class _WithSecurityHeaders:
    """The asset files with the page's security headers (``nosniff`` keeps their content types binding)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend((name.lower().encode(), value.encode()) for name, value in _SECURITY_HEADERS.items())
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def assets_app() -> ASGIApp:
    """The static files under ``ASSETS_PATH`` (StaticFiles: content types, ETags, ranges)."""
    return _WithSecurityHeaders(StaticFiles(directory=ASSETS_DIR))
