"""Use cases on organisations and API tokens (driven by the CLI and the request auth)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from db.models import ApiToken, Organisation
from db.uow import UnitOfWork
from workflow.access import Actor, Scope, hash_token, new_token_secret
from workflow.drafts import utcnow


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    secret: str
    token: ApiToken
    organisation: Organisation


def actor_of(found: tuple[ApiToken, Organisation] | None) -> Actor | None:
    """The actor behind an active token (looked up by its hash), ``None`` when there is none."""
    if found is None:
        return None
    token, organisation = found
    return Actor(organisation.id, organisation.name, token.id, token.name, frozenset(Scope(s) for s in token.scopes))


async def issue(uow: UnitOfWork, organisation_name: str, token_name: str, scopes: Sequence[Scope]) -> IssuedToken:
    """Create a token (and its organisation if new); only its hash is stored."""
    organisation = await uow.tokens.organisation_by_name(organisation_name)
    if organisation is None:
        organisation = await uow.tokens.add_organisation(organisation_name)
    secret = new_token_secret()
    token = await uow.tokens.add(
        organisation.id, token_name, hash_token(secret), secret[:10], [scope.value for scope in scopes]
    )
    return IssuedToken(secret, token, organisation)


async def revoke(uow: UnitOfWork, token_id: uuid.UUID) -> bool:
    """Revoke a token at once; ``False`` when no active token has this id."""
    return await uow.tokens.revoke(token_id, utcnow())


async def list_all(uow: UnitOfWork) -> Sequence[tuple[ApiToken, Organisation]]:
    """Every token (never the secret) with its organisation."""
    return await uow.tokens.list_all()
