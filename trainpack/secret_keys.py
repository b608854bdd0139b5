"""The secret key of a serving process, and the ``trainpack secrets`` commands (generate, rotate).

A process that serves (the API, a worker, the dev instance) checks at start that its
``TRAINPACK_SECRET_KEY`` opens the stored secrets; without it, or with another key, it stops with
one line on stderr and status 2, before it answers anything or runs a job that would need them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError, ProgrammingError

from trainpack.settings import Settings
from workflow.sealing import SecretBox, SecretKeyInvalidError, SecretUnreadableError, new_key

secrets_app = typer.Typer(help="Organisation secrets: the key that seals them.", no_args_is_help=True)
EXIT_MISCONFIGURED = 2


def fail(message: str) -> typer.Exit:
    """Print one line on stderr; the caller raises the returned exit (status 2)."""
    typer.echo(message, err=True)
    return typer.Exit(EXIT_MISCONFIGURED)


def box_or_exit(setting: str | None, what: str = "TRAINPACK_SECRET_KEY") -> SecretBox | None:
    """The box for a key setting, or a clean exit naming what is wrong with it."""
    try:
        return SecretBox.from_setting(setting)
    except SecretKeyInvalidError as error:
        raise fail(f"{what}: {error}") from None


def require_secret_key(settings: Settings, database_url: str) -> None:
    """Stop the process (one line, status 2) when stored secrets cannot be opened with its key."""
    box = box_or_exit(settings.secret_key)
    try:
        problem = asyncio.run(_check(database_url, box))
    except ProgrammingError:
        return  # not migrated yet: no secrets are stored (readiness reports the migrations)
    except (OSError, DBAPIError) as error:
        raise fail(f"Cannot check the secret key: the database is unreachable ({type(error).__name__}).") from None
    if problem is not None:
        raise fail(problem)


async def _check(database_url: str, box: SecretBox | None) -> str | None:
    from trainpack.database import unit_of_work
    from workflow import secrets

    async with unit_of_work(database_url) as uow:
        return await secrets.check_key(uow, box)


@secrets_app.command("generate-key")
def generate_key() -> None:
    """Print a new random key for TRAINPACK_SECRET_KEY."""
    typer.echo(new_key())


@secrets_app.command("rotate-key")
def rotate_key(
    old: Annotated[
        str, typer.Option(envvar="TRAINPACK_OLD_SECRET_KEY", help="The key the secrets are sealed with now.")
    ],
    new: Annotated[str, typer.Option(envvar="TRAINPACK_NEW_SECRET_KEY", help="The key to seal them with.")],
) -> None:
    """Re-encrypt every stored secret from the old key to the new one, in one transaction.

    Prefer the environment variables to the options: a command line is visible to other users.
    Then serve with TRAINPACK_SECRET_KEY set to the new key.
    """
    from trainpack.cli import database_url

    old_box = box_or_exit(old, "--old")
    new_box = box_or_exit(new, "--new")
    if old_box is None or new_box is None:
        raise fail("Both --old and --new keys are needed.")
    try:
        count = asyncio.run(_rotate(database_url(), old_box, new_box))
    except SecretUnreadableError:
        raise fail("The old key does not decrypt the stored secrets; nothing was changed.") from None
    typer.echo(f"re-encrypted {count} secret{'s' if count != 1 else ''}")


async def _rotate(database_url: str, old: SecretBox, new: SecretBox) -> int:
    from trainpack.database import unit_of_work
    from workflow import secrets

    async with unit_of_work(database_url) as uow:
        return await secrets.rotate_key(uow, old, new)
