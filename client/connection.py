"""Where the server is and which token to use: the environment first, then a config file.

``TRAINPACK_URL`` and ``TRAINPACK_TOKEN`` win; otherwise ``TRAINPACK_CONFIG`` (default
``~/.config/trainpack/client.toml``) may hold ``url = "…"`` and ``token = "…"``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from client.generated import GraphQLClient

DEFAULT_URL = "http://127.0.0.1:8000"


class ConnectionConfigError(Exception):
    """The URL or the token is missing or unreadable."""


@dataclass(frozen=True)
class Connection:
    """A server's base URL (no ``/graphql``) and the bearer token to present."""

    url: str
    token: str

    @property
    def graphql_url(self) -> str:
        """The HTTP endpoint."""
        return f"{self.url.rstrip('/')}/graphql"

    @property
    def websocket_url(self) -> str:
        """The same endpoint for subscriptions (``ws://`` or ``wss://``)."""
        return "ws" + self.graphql_url.removeprefix("http")

    def client(self) -> GraphQLClient:
        """A generated client authenticated over HTTP and in the websocket's ``connection_init``."""
        bearer = f"Bearer {self.token}"
        return GraphQLClient(
            url=self.graphql_url,
            headers={"Authorization": bearer},
            ws_url=self.websocket_url,
            ws_connection_init_payload={"Authorization": bearer},
        )


def config_path() -> Path:
    """The config file consulted when the environment does not say."""
    configured = os.environ.get("TRAINPACK_CONFIG")
    return Path(configured) if configured else Path.home() / ".config" / "trainpack" / "client.toml"


def load_connection() -> Connection:
    """The connection from the environment, else the config file; the token is required."""
    from_file: dict[str, object] = {}
    path = config_path()
    if path.is_file():
        try:
            from_file = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConnectionConfigError(f"{path}: {exc}") from None
    url = os.environ.get("TRAINPACK_URL") or str(from_file.get("url") or DEFAULT_URL)
    token = os.environ.get("TRAINPACK_TOKEN") or str(from_file.get("token") or "")
    if not url.startswith(("http://", "https://")):
        raise ConnectionConfigError(f"TRAINPACK_URL must start with http:// or https://, not {url!r}")
    if not token:
        raise ConnectionConfigError(f'no token: set TRAINPACK_TOKEN or `token = "…"` in {path}')
    return Connection(url=url, token=token)
