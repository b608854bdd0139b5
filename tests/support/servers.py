"""Real HTTP servers for tests: uvicorn in a thread of this process, or in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from api.app import create_app
from api.context import Services
from api.http_limits import with_limits
from trainpack.jobqueue import job_queue
from trainpack.settings import Settings, server_options
from workers.integrations.spaces_hardware import hub_hardware_source


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(base_url: str, timeout: float = 30.0) -> None:
    """Poll ``/readyz`` until the service answers ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} did not become ready")


@dataclass
class InProcessServer:
    """uvicorn serving the real app on a real port, from a background thread."""

    base_url: str
    server: uvicorn.Server
    services: Services  # the app's own, to look at its live state (the event hub) from a test

    @property
    def graphql_url(self) -> str:
        """The GraphQL endpoint."""
        return f"{self.base_url}/graphql"

    @classmethod
    @contextmanager
    def start(cls, database_url: str, **overrides: object) -> Iterator[InProcessServer]:
        """Serve until the block exits."""
        settings = Settings(database_url=database_url, **overrides)  # type: ignore[arg-type]
        port = free_port()
        # With a Redis configured the app sends jobs to it, as `trainpack serve` does.
        background = (lambda: job_queue(settings)) if settings.redis_url else None
        application = create_app(settings, background=background, hardware_source=hub_hardware_source(settings))
        app = with_limits(application, settings)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **server_options(settings)
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url)
            yield cls(base_url, server, application.state.services)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@contextmanager
def subprocess_server(database_url: str, *, log_to: Path | None = None, **env: str) -> Iterator[str]:
    """``trainpack serve`` in its own process; yields the base URL. Its log goes to ``log_to``
    when given (else to a temporary file shown if it fails to start)."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "TRAINPACK_LOG_LEVEL": "WARNING", **env}
    with log_to.open("w+b") if log_to is not None else tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "trainpack", "serve", "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=log,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_ready(base_url)
            except TimeoutError:
                log.seek(0)
                raise TimeoutError(log.read().decode(errors="replace")[-4000:]) from None
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=15)
