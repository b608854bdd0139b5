"""Pre-spend checks of a deploy: what a Hub token is and whether it may do what the deploy needs.

Every call here only reads (``whoami-v2``, ``auth-check``, repo info), so a failed check leaves
nothing behind on the Hub. The token must be valid; it must be able to write under the Space's
owner (its user, or an organisation where the user is ``admin``, ``write`` or ``contributor``; a
``read`` token never writes; a fine-grained token needs ``repo.write`` on the owner or the Space);
and it must be able to read the base model at its pinned commit and every Hub dataset, gated ones
included (``auth_check`` answers as a download would, without downloading).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from huggingface_hub import HfApi

from workers.integrations.errors import IntegrationError
from workers.integrations.hub_errors import hub_errors

WRITE_ROLES = frozenset({"admin", "write", "contributor"})
"""Organisation roles that may create repositories (a contributor only changes those it created)."""
TIMEOUT = 10.0


@dataclass(frozen=True)
class HubIdentity:
    """What ``whoami-v2`` says about a token: its user, role, organisations and fine-grained scopes."""

    name: str
    token_role: str
    org_roles: Mapping[str, str] = field(default_factory=dict)
    scoped: Mapping[str, frozenset[str]] = field(default_factory=dict)
    can_read_gated: bool = True

    @property
    def fine_grained(self) -> bool:
        return self.token_role == "fineGrained"

    def write_refusal(self, owner: str, space_id: str | None = None) -> str | None:
        """Why the token may not write under ``owner`` (or to ``space_id``), or ``None`` if it may."""
        if owner != self.name:
            role = self.org_roles.get(owner)
            if role is None:
                return f"{self.name} is not a member of {owner}"
            if role not in WRITE_ROLES:
                return f"{self.name} has the {role!r} role in {owner}, which cannot create Spaces"
        if self.token_role == "write":
            return None
        if not self.fine_grained:
            return f"the token is {self.token_role!r}-only"
        allowed = self.scoped.get(owner, frozenset()) | (self.scoped.get(space_id, frozenset()) if space_id else set())
        return None if "repo.write" in allowed else f"the fine-grained token has no repo.write on {owner}"


@dataclass(frozen=True)
class RepoPin:
    """A Hub repository at a revision (a commit sha, ideally) that the training will read."""

    repo_id: str
    revision: str


def identify(*, endpoint: str, token: str) -> HubIdentity:
    """The token's identity (``HUB_TOKEN_INVALID`` when the Hub does not know it or it was revoked)."""
    if not token:
        raise IntegrationError("HUB_TOKEN_INVALID", "No Hub token was given.")
    with hub_errors("Hub token check"):
        body = HfApi(endpoint=endpoint, token=token).whoami()
    return parse_identity(body)


def parse_identity(body: Mapping[str, Any]) -> HubIdentity:
    """A ``HubIdentity`` from a ``whoami-v2`` body (unknown shapes read as the least privilege)."""
    access = (body.get("auth") or {}).get("accessToken") or {}
    role = str(access.get("role") or "read")
    fine = access.get("fineGrained") or {}
    scoped: dict[str, frozenset[str]] = {}
    for entry in fine.get("scoped") or []:
        name = (entry.get("entity") or {}).get("name") if isinstance(entry, dict) else None
        if isinstance(name, str):
            permissions = frozenset(p for p in entry.get("permissions") or [] if isinstance(p, str))
            scoped[name] = scoped.get(name, frozenset()) | permissions
    orgs = {
        org["name"]: str(org.get("roleInOrg") or "read")
        for org in body.get("orgs") or []
        if isinstance(org, dict) and isinstance(org.get("name"), str)
    }
    return HubIdentity(
        name=str(body.get("name") or ""),
        token_role=role,
        org_roles=orgs,
        scoped=scoped,
        can_read_gated=bool(fine.get("canReadGatedRepos")) if role == "fineGrained" else True,
    )


def check_can_write(identity: HubIdentity, space_id: str) -> None:
    """Refuse (``HUB_TOKEN_FORBIDDEN``) unless the token may create or change ``space_id``."""
    owner = space_id.split("/")[0]
    refusal = identity.write_refusal(owner, space_id)
    if refusal is not None:
        raise IntegrationError("HUB_TOKEN_FORBIDDEN", f"The Hub token may not write the Space {space_id}: {refusal}.")


def check_can_read(
    pin: RepoPin,
    *,
    kind: Literal["model", "dataset"],
    endpoint: str,
    token: str,
    identity: HubIdentity | None = None,
) -> str:
    """The commit ``pin`` resolves to, once the token is known to read it (``HUB_GATED``, ``HUB_NOT_FOUND``)."""
    api = HfApi(endpoint=endpoint, token=token)
    what = f"{kind} {pin.repo_id}@{pin.revision}"
    try:
        with hub_errors(what):
            api.auth_check(pin.repo_id, repo_type=kind, token=token)
            info = (
                api.model_info(pin.repo_id, revision=pin.revision, timeout=TIMEOUT)
                if kind == "model"
                else api.dataset_info(pin.repo_id, revision=pin.revision, timeout=TIMEOUT)
            )
    except IntegrationError as error:
        if error.code == "HUB_GATED" and identity is not None and not identity.can_read_gated:
            raise IntegrationError(
                "HUB_GATED",
                f"The {what} is gated and the fine-grained token may not read gated repositories.",
            ) from None
        raise
    return info.sha or pin.revision


def check_deploy_access(
    space_id: str,
    *,
    model: RepoPin,
    datasets: Sequence[RepoPin],
    endpoint: str,
    token: str,
) -> HubIdentity:
    """All read-only checks a deploy makes before it creates anything, in order; the first failure raises."""
    identity = identify(endpoint=endpoint, token=token)
    check_can_write(identity, space_id)
    check_can_read(model, kind="model", endpoint=endpoint, token=token, identity=identity)
    for dataset in datasets:
        check_can_read(dataset, kind="dataset", endpoint=endpoint, token=token, identity=identity)
    return identity
