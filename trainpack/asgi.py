"""The ASGI entry point for uvicorn (``trainpack.asgi:app`` with ``--factory``)."""

from __future__ import annotations

from starlette.types import ASGIApp

from api.app import create_app
from api.http_limits import with_limits
from kit.tracing import configure_tracing
from trainpack.collector import settle_for_serving
from trainpack.jobqueue import job_queue
from trainpack.logging import configure_logging
from trainpack.settings import load_settings
from workers.integrations.spaces_hardware import hub_hardware_source


def app() -> ASGIApp:
    """Build the application from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    served = create_app(settings, background=lambda: job_queue(settings), hardware_source=hub_hardware_source(settings))
    application = with_limits(served, settings)
    if configure_tracing("trainpack-api"):
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        application = OpenTelemetryMiddleware(application)
    settle_for_serving()
    return application
