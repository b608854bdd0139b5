"""The delivery baseline: a plain Starlette websocket broadcast of ready-made frames.

Subscribers connect to ``/ws``; every ``POST /broadcast`` sends its body, as is, to each of
them in turn. No GraphQL, no protocol, no database: the floor of fanning frames out.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


def create_broadcast_app() -> Starlette:
    """The broadcast app."""
    sockets: set[WebSocket] = set()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "subscribers": len(sockets)})

    async def subscriber(websocket: WebSocket) -> None:
        await websocket.accept()
        sockets.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            sockets.discard(websocket)

    async def broadcast(request: Request) -> Response:
        frame = (await request.body()).decode()
        for websocket in list(sockets):
            try:
                await websocket.send_text(frame)
            except (WebSocketDisconnect, RuntimeError):
                sockets.discard(websocket)
        return JSONResponse({"sent": len(sockets)})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/broadcast", broadcast, methods=["POST"]),
            WebSocketRoute("/ws", subscriber),
        ]
    )
