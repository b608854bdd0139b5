"""Serve the real app or the baseline under uvicorn with identical settings (one worker each).

Usage: ``DATABASE_URL=... python -m bench.serve_app {system,baseline} --port N``.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from api.app import create_app
from api.http_limits import with_limits
from bench.baseline_app import create_baseline_app
from bench.broadcast_app import create_broadcast_app
from bench.support import plain_url
from db.models import Package
from db.repositories.events import EventRepository
from db.repositories.packages import PackageRepository
from trainpack.collector import settle_for_serving
from trainpack.logging import configure_logging
from trainpack.settings import load_settings, server_options


def build(app: str) -> ASGIApp:
    """The ASGI app to serve, configured from the environment like ``trainpack serve``."""
    settings = load_settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set")
    if app == "system-no-events":
        _skip_event_emission()
    if app in ("system", "system-no-events"):
        return with_limits(create_app(settings), settings)
    if app == "broadcast":
        return create_broadcast_app()
    return create_baseline_app(plain_url(settings.database_url), pool_size=settings.db_pool_size)


def _skip_event_emission() -> None:
    """The real app, except that writes record no events (the event-emission benchmark's baseline).

    Done here, in the benchmark's own server process: the product has no such switch.
    """

    async def no_events(_self: EventRepository, _rows: list[dict[str, Any]]) -> None:
        return None

    save_package = PackageRepository.save

    async def save_without_events(self: PackageRepository, package: Package, *, events: Any = ()) -> None:
        del events  # a write's events ride on its package update: dropped here, the update kept
        await save_package(self, package)

    EventRepository.append_many = no_events  # type: ignore[method-assign,assignment]
    PackageRepository.save = save_without_events  # type: ignore[method-assign]


def main() -> None:
    """Parse the arguments and serve until terminated."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve_app")
    parser.add_argument("app", choices=["system", "system-no-events", "baseline", "broadcast"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # As in production (trainpack.asgi): structured logs, uvicorn's access log silenced.
    configure_logging("WARNING")
    # Both sides of every benchmark run with the same uvicorn options and collector settings,
    # the product's own (trainpack.asgi).
    application = build(args.app)
    settle_for_serving()
    uvicorn.run(
        application,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_config=None,
        access_log=False,
        lifespan="on",
        **server_options(load_settings()),
    )


if __name__ == "__main__":
    main()
