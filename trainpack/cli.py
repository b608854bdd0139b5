"""The ``trainpack`` command: serve, migrate, manage tokens, export the schema, run a dev instance, estimate."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from trainpack import estimate_cli
from trainpack.logging import configure_logging
from trainpack.secret_keys import require_secret_key, secrets_app
from trainpack.settings import Settings, load_settings, server_options
from workflow.access import Scope

app = typer.Typer(help="trainpack: build, version and deploy fine-tuning training packages.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(secrets_app, name="secrets")
app.command("estimate")(estimate_cli.run)


def _database_url(settings: Settings) -> str:
    """``DATABASE_URL``, else the database of the dev instance running from the data folder."""
    if settings.database_url:
        return settings.database_url
    from trainpack.dev import running_instance

    found = running_instance(settings.data_dir)
    if found is None:
        typer.echo("DATABASE_URL is not set and no dev instance is running (start one: `trainpack dev`).", err=True)
        raise typer.Exit(2)
    os.environ["DATABASE_URL"] = found  # for the processes this command starts (serve, worker)
    return found


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn (needs DATABASE_URL; the schema must be migrated)."""
    settings = load_settings()
    require_secret_key(settings, _database_url(settings))
    uvicorn.run(
        "trainpack.asgi:app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        **server_options(settings),
    )


@app.command()
def migrate(
    direction: Annotated[str, typer.Argument(help="upgrade or downgrade")] = "upgrade",
    revision: Annotated[str | None, typer.Argument(help="Target revision (head / base by default).")] = None,
) -> None:
    """Apply (or revert) database migrations."""
    from trainpack import migrations

    url = _database_url(load_settings())
    if direction == "upgrade":
        migrations.upgrade(url, revision or "head")
    elif direction == "downgrade":
        migrations.downgrade(url, revision or "base")
    else:
        raise typer.BadParameter("direction must be 'upgrade' or 'downgrade'")


@token_app.command("create")
def token_create(
    organisation: Annotated[str, typer.Option("--org", help="Organisation name (created if new).")],
    name: Annotated[str, typer.Option(help="A label for the token.")] = "cli",
    scope: Annotated[
        list[str] | None, typer.Option(help="Scopes (repeatable): read write publish deploy admin.")
    ] = None,
) -> None:
    """Create a token and print its secret (shown only now)."""
    try:
        scopes = [Scope(value) for value in (scope or ["read", "write", "publish"])]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    issued = asyncio.run(_issue(_database_url(load_settings()), organisation, name, scopes))
    typer.echo(issued)


@token_app.command("list")
def token_list() -> None:
    """List tokens (id, organisation, name, scopes, state); never their secrets."""
    for line in asyncio.run(_list(_database_url(load_settings()))):
        typer.echo(line)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (from `token list`).")]) -> None:
    """Revoke a token at once."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        raise typer.BadParameter("not a token id") from None
    if not asyncio.run(_revoke(_database_url(load_settings()), parsed)):
        typer.echo("No active token with that id.", err=True)
        raise typer.Exit(1)
    typer.echo("revoked")


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
    check: Annotated[bool, typer.Option(help="Only compare; exit 1 when the file differs.")] = False,
) -> None:
    """Write the GraphQL schema (SDL) generated from the code."""
    from api.schema import build_schema

    sdl = build_schema(Settings()).as_str() + "\n"
    if check:
        if not output.exists() or output.read_text() != sdl:
            typer.echo(f"{output} is out of date; run `trainpack export-schema`.", err=True)
            raise typer.Exit(1)
        return
    output.write_text(sdl)


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    threads: Annotated[int, typer.Option(help="Threads per process.")] = 4,
) -> None:
    """Run Dramatiq workers on REDIS_URL (the actors in ``workers.app``)."""
    import dramatiq.cli

    settings = load_settings()
    url = _database_url(settings)
    if not settings.redis_url:
        typer.echo("REDIS_URL is not set: the worker needs Redis.", err=True)
        raise typer.Exit(2)
    require_secret_key(settings, url)
    # Dramatiq's supervising process logs through this configuration too (its own would be
    # another format); each worker process configures the same on import of ``workers.app``.
    configure_logging(settings.log_level, json=settings.log_json)
    if settings.worker_metrics_port:
        # Every worker process writes its samples to one folder, which Dramatiq's exposition
        # server (a process of its own) reads and serves: prometheus-client's multiprocess mode,
        # chosen by this variable before any worker process imports the client.
        folder = tempfile.mkdtemp(prefix="trainpack-worker-metrics-")
        os.environ.update(
            PROMETHEUS_MULTIPROC_DIR=folder,
            dramatiq_prom_db=folder,
            dramatiq_prom_host=settings.worker_metrics_host,
            dramatiq_prom_port=str(settings.worker_metrics_port),
        )
    arguments = ["workers.app", "--processes", str(processes), "--threads", str(threads), "--skip-logging"]
    parsed = dramatiq.cli.make_argument_parser().parse_args(arguments)  # type: ignore[no-untyped-call]
    raise typer.Exit(dramatiq.cli.main(parsed))  # type: ignore[no-untyped-call]


@app.command()
def dev(
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run a complete local instance: embedded PostgreSQL if no DATABASE_URL, migrations, a token, GraphiQL."""
    from trainpack.dev import run_dev

    run_dev(load_settings(), port=port)


async def _issue(url: str, organisation: str, name: str, scopes: list[Scope]) -> str:
    from trainpack.database import unit_of_work
    from workflow import tokens

    async with unit_of_work(url) as uow:
        issued = await tokens.issue(uow, organisation, name, scopes)
    return issued.secret


async def _list(url: str) -> list[str]:
    from trainpack.database import unit_of_work
    from workflow import tokens

    async with unit_of_work(url) as uow:
        rows = await tokens.list_all(uow)
    return [
        f"{token.id}  {organisation.name}  {token.name}  {','.join(token.scopes)}  "
        f"{'revoked' if token.revoked_at else 'active'}  {token.prefix}…"
        for token, organisation in rows
    ]


async def _revoke(url: str, token_id: uuid.UUID) -> bool:
    from trainpack.database import unit_of_work
    from workflow import tokens

    async with unit_of_work(url) as uow:
        return await tokens.revoke(uow, token_id)


def database_url() -> str:
    """The database the commands work on (``DATABASE_URL``, else the running dev instance's)."""
    return _database_url(load_settings())


def main() -> None:
    """Entry point for ``python -m trainpack``."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app(prog_name="trainpack")
    sys.exit(0)
