"""Users, organisations and access tokens of the Hub stand-in, and what each token may do.

The Hub decides access per token: a token belongs to a user, who is a member of organisations with a
role (``admin``, ``write``, ``contributor``, ``read``); the token itself is ``read``, ``write`` or
``fineGrained`` (permissions per user, organisation or repository, plus ``canReadGatedRepos``).
``/api/whoami-v2`` reports all of it; this module holds the registry and answers the questions the
stand-in's routes ask (may this token write under that owner, read that gated repo).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ORG_ROLES = ("admin", "write", "contributor", "read")
TOKEN_ROLES = ("read", "write", "fineGrained")
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
"""The Hub's ``X-Error-Message`` for an unknown or revoked token (the client keeps it a plain 401)."""


@dataclass(frozen=True)
class FineGrained:
    """A fine-grained token's permissions: ``scoped`` maps an entity (a user or organisation name, or a
    repository id ``owner/name`` taken as a Space) to permissions such as ``repo.content.read`` and
    ``repo.write``."""

    scoped: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    can_read_gated: bool = False
    global_permissions: tuple[str, ...] = ()


@dataclass
class User:
    """A Hub user: its organisation roles and the gated repos it was granted."""

    name: str
    orgs: dict[str, str] = field(default_factory=dict)
    gated_access: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Token:
    """An access token of ``user``."""

    value: str
    user: User
    role: str
    fine_grained: FineGrained | None = None
    display_name: str = "trainpack"
    revoked: bool = False

    def permissions_on(self, entity: str) -> tuple[str, ...]:
        """The fine-grained permissions scoped to ``entity`` (none for a classic token)."""
        return tuple(self.fine_grained.scoped.get(entity, ())) if self.fine_grained is not None else ()

    def may_write(self, owner: str, *, repo_id: str | None = None, created_by: str | None = None) -> bool:
        """Whether the token may create or change repositories under ``owner`` (or ``repo_id`` itself).

        A ``contributor`` of an organisation may create repositories and change the ones it created."""
        if self.revoked:
            return False
        if owner != self.user.name:
            role = self.user.orgs.get(owner)
            if role is None or role == "read":
                return False
            if role == "contributor" and created_by is not None and created_by != self.user.name:
                return False
        if self.role == "write":
            return True
        if self.role != "fineGrained":
            return False
        return "repo.write" in self.permissions_on(owner) or (
            repo_id is not None and "repo.write" in self.permissions_on(repo_id)
        )

    def is_member_of(self, owner: str) -> bool:
        """Whether the token's user is ``owner`` or belongs to the organisation ``owner``."""
        return owner == self.user.name or owner in self.user.orgs

    def may_read_gated(self, kind: str, repo_id: str) -> bool:
        """Whether the user was granted the gated repo and the token may use that grant."""
        if (kind, repo_id) not in self.user.gated_access:
            return False
        return self.role != "fineGrained" or (self.fine_grained is not None and self.fine_grained.can_read_gated)


class Accounts:
    """The registry of users and tokens (tests add to it; the routes read it)."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.without_billing: set[str] = set()
        """Users and organisations with no payment method: the Hub refuses them paid hardware (402)."""

    def add_user(self, name: str, *, orgs: Mapping[str, str] | None = None) -> User:
        """Register (or update) a user with its organisation roles."""
        for role in (orgs or {}).values():
            if role not in ORG_ROLES:
                raise ValueError(f"unknown organisation role {role!r}")
        user = self.users.setdefault(name, User(name))
        user.orgs.update(orgs or {})
        return user

    def add_token(
        self,
        value: str,
        user: str,
        *,
        role: str = "write",
        orgs: Mapping[str, str] | None = None,
        fine_grained: FineGrained | None = None,
        display_name: str = "trainpack",
    ) -> Token:
        """Register a token of ``user`` (created if new, with ``orgs`` merged into its roles)."""
        if role not in TOKEN_ROLES:
            raise ValueError(f"unknown token role {role!r}")
        if (role == "fineGrained") != (fine_grained is not None):
            raise ValueError("a fineGrained token needs its permissions, and only it has them")
        owner = self.add_user(user, orgs=orgs)
        token = Token(value, owner, role, fine_grained, display_name)
        self.tokens[value] = token
        return token

    def grant_gated(self, user: str, repo_id: str, *, kind: str = "models") -> None:
        """Let ``user`` read the gated ``repo_id`` (as after an accepted access request)."""
        self.users[user].gated_access.add((kind, repo_id))

    def revoke(self, value: str) -> None:
        """Revoke a token: from now on every request with it gets a 401."""
        self.tokens[value].revoked = True

    def whoami(self, token: Token) -> dict[str, Any]:
        """The ``/api/whoami-v2`` body for ``token``."""
        user = token.user
        access: dict[str, Any] = {
            "displayName": token.display_name,
            "role": token.role,
            "createdAt": "2026-01-02T03:04:05.000Z",
        }
        if token.fine_grained is not None:
            access["fineGrained"] = {
                "canReadGatedRepos": token.fine_grained.can_read_gated,
                "global": list(token.fine_grained.global_permissions),
                "scoped": [
                    {"entity": self._entity(user, name), "permissions": list(permissions)}
                    for name, permissions in token.fine_grained.scoped.items()
                ],
            }
        return {
            "type": "user",
            "id": _object_id(user.name),
            "name": user.name,
            "fullname": user.name.title(),
            "email": f"{user.name}@example.org",
            "emailVerified": True,
            "canPay": user.name not in self.without_billing,
            "isPro": False,
            "periodEnd": None,
            "avatarUrl": "",
            "orgs": [
                {
                    "type": "org",
                    "id": _object_id(org),
                    "name": org,
                    "fullname": org.title(),
                    "email": None,
                    "canPay": org not in self.without_billing,
                    "periodEnd": None,
                    "avatarUrl": "",
                    "roleInOrg": role,
                    "isEnterprise": False,
                }
                for org, role in sorted(user.orgs.items())
            ],
            "auth": {"type": "access_token", "accessToken": access},
        }

    @staticmethod
    def _entity(user: User, name: str) -> dict[str, str]:
        kind = "space" if "/" in name else ("user" if name == user.name else "org")
        return {"_id": _object_id(name), "type": kind, "name": name}


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    if authorization is None or not authorization.startswith("Bearer "):
        return None
    return authorization.removeprefix("Bearer ").strip() or None


def _object_id(name: str) -> str:
    return hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:24]
