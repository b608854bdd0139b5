"""Who is acting: the organisation and scopes behind a bearer token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum

from workflow.errors import ForbiddenError

TOKEN_PREFIX = "tp_"


class Scope(StrEnum):
    """What a token may do; ``admin`` implies every other scope."""

    READ = "read"
    WRITE = "write"
    PUBLISH = "publish"
    DEPLOY = "deploy"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """The authenticated caller; every service call is scoped to ``organisation_id``."""

    organisation_id: uuid.UUID
    organisation_name: str
    token_id: uuid.UUID
    token_name: str
    scopes: frozenset[Scope]
    kind: str = "token"

    def can(self, scope: Scope) -> bool:
        """Whether the token carries ``scope`` (or ``admin``)."""
        return scope in self.scopes or Scope.ADMIN in self.scopes

    def require(self, scope: Scope) -> None:
        """Raise ``ForbiddenError`` unless the token carries ``scope``."""
        if not self.can(scope):
            raise ForbiddenError(scope.value)

    @property
    def label(self) -> str:
        """How the actor is named in versions and events."""
        return f"{self.kind}:{self.token_name}"


def worker_actor(organisation_id: uuid.UUID, actor_name: str) -> Actor:
    """The identity a worker acts under when it records a job's outcome (``worker:model.resolve``)."""
    return Actor(organisation_id, "", uuid.UUID(int=0), actor_name, frozenset({Scope.WRITE}), kind="worker")


def new_token_secret() -> str:
    """A fresh random token, shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """The only form in which a token is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()
