"""The dev launcher: a working instance on a machine with only Python.

With no ``DATABASE_URL`` it starts an embedded PostgreSQL whose data persists in the
project-local data folder, migrates it, issues a fresh token for the ``dev``
organisation (revoking the previous dev token), and serves GraphiQL.
"""

from __future__ import annotations

import asyncio
import os

import uvicorn

from trainpack import migrations
from trainpack.embedded import embedded_database
from trainpack.logging import configure_logging
from trainpack.settings import Settings, server_options
from workflow.access import Scope

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


def _serve(settings: Settings, url: str, port: int) -> None:
    migrations.upgrade(url)
    secret = asyncio.run(_fresh_dev_token(url))
    os.environ["DATABASE_URL"] = url
    address = f"http://{settings.host}:{port}/graphql"
    banner = (
        f"\ntrainpack is ready: GraphiQL at {address}\n"
        f"Token (organisation '{DEV_ORGANISATION}', all scopes): {secret}\n"
        f"Send it as the header  Authorization: Bearer {secret}\n"
        f"Try: curl -s {address} -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' "
        '-d \'{"query":"{ viewer { organisation { name } scopes } }"}\'\n'
    )
    print(banner, flush=True)
    uvicorn.run(
        "trainpack.asgi:app", factory=True, host=settings.host, port=port, log_config=None, **server_options(settings)
    )


def run_dev(settings: Settings, *, port: int | None = None) -> None:
    """Start everything and serve until interrupted."""
    configure_logging(settings.log_level, json=False)
    chosen_port = port or settings.port
    if settings.database_url:
        _serve(settings, settings.database_url, chosen_port)
        return
    with embedded_database(settings.data_dir / "postgres") as url:
        _serve(settings, url, chosen_port)
