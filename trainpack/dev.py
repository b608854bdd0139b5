"""The dev launcher: a working instance on a machine with only Python.

With no ``DATABASE_URL`` it starts an embedded PostgreSQL whose data persists in the
project-local data folder, migrates it, issues a fresh token for the ``dev``
organisation (revoking the previous dev token), and serves GraphiQL. Without a
``TRAINPACK_SECRET_KEY`` it seals secrets under a key it creates once in the data folder
(``secret-key``, readable by its owner only) and keeps, so secrets outlive a restart.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import quote

import uvicorn

from trainpack import migrations
from trainpack.embedded import embedded_database
from trainpack.logging import configure_logging
from trainpack.secret_keys import require_secret_key
from trainpack.settings import Settings, server_options
from workflow.access import Scope
from workflow.sealing import new_key

DEV_ORGANISATION = "dev"
DEV_TOKEN_NAME = "dev-launcher"


async def _fresh_dev_token(url: str) -> str:
    from trainpack.database import unit_of_work
    from workflow import tokens

    async with unit_of_work(url) as uow:
        for token, organisation in await tokens.list_all(uow):
            if organisation.name == DEV_ORGANISATION and token.name == DEV_TOKEN_NAME and token.revoked_at is None:
                await tokens.revoke(uow, token.id)
        issued = await tokens.issue(uow, DEV_ORGANISATION, DEV_TOKEN_NAME, list(Scope))
    return issued.secret


SECRET_KEY_FILE = "secret-key"
"""In the data folder: the dev instance's secret key, made on its first run and kept."""


def with_dev_secret_key(settings: Settings) -> Settings:
    """The settings with a secret key: ``TRAINPACK_SECRET_KEY`` if set, else the data folder's own."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(new_key() + "\n")
    key = path.read_text().strip()
    os.environ["TRAINPACK_SECRET_KEY"] = key  # for the app the server builds from the environment
    return settings.model_copy(update={"secret_key": key})


INSTANCE_FILE = "dev-instance.json"
"""In the data folder while a dev instance runs: its database, so the other commands find it."""


def running_instance(data_dir: Path) -> str | None:
    """The database URL of the dev instance serving from ``data_dir``, if one is running."""
    try:
        instance = json.loads((data_dir / INSTANCE_FILE).read_text())
        os.kill(int(instance["pid"]), 0)  # raises if that process is gone
    except (OSError, ValueError, KeyError, TypeError):
        return None
    url = instance.get("databaseUrl")
    return url if isinstance(url, str) else None


def graphiql_link(address: str, secret: str) -> str:
    """GraphiQL with the token in the fragment, which the page puts in its Headers tab; a
    fragment never leaves the browser, so the token is in no request line or server log."""
    return f"{address}#token={quote(secret, safe='')}"


def _serve(settings: Settings, url: str, port: int) -> None:
    migrations.upgrade(url)
    require_secret_key(settings, url)
    secret = asyncio.run(_fresh_dev_token(url))
    os.environ["DATABASE_URL"] = url
    instance = settings.data_dir / INSTANCE_FILE
    instance.parent.mkdir(parents=True, exist_ok=True)
    instance.write_text(json.dumps({"databaseUrl": url, "pid": os.getpid(), "port": port}))
    address = f"http://{settings.host}:{port}/graphql"
    banner = (
        f"\ntrainpack is ready: GraphiQL at {address}\n"
        f"Signed in: {graphiql_link(address, secret)}  (the token stays in the browser, never sent in a URL)\n"
        f"Token (organisation '{DEV_ORGANISATION}', all scopes): {secret}\n"
        f"Send it as the header  Authorization: Bearer {secret}\n"
        "Other commands (trainpack token create …) use this instance's database while it runs.\n"
        f"Try: curl -s {address} -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' "
        '-d \'{"query":"{ viewer { organisation { name } scopes } }"}\'\n'
    )
    print(banner, flush=True)
    try:
        uvicorn.run(
            "trainpack.asgi:app",
            factory=True,
            host=settings.host,
            port=port,
            log_config=None,
            **server_options(settings),
        )
    finally:
        instance.unlink(missing_ok=True)


def run_dev(settings: Settings, *, port: int | None = None) -> None:
    """Start everything and serve until interrupted."""
    configure_logging(settings.log_level, json=False)
    settings = with_dev_secret_key(settings)
    chosen_port = port or settings.port
    if settings.database_url:
        _serve(settings, settings.database_url, chosen_port)
        return
    with embedded_database(settings.data_dir / "postgres") as url:
        _serve(settings, url, chosen_port)
