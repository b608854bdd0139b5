"""A deploy's Space on the Hub with huggingface_hub: create or find it, settings, bundle upload, control.

Every function is synchronous (the deploy actor runs them in a thread) and safe to call again after
a crash or a redelivery: ``ensure_space`` creates the Space only if it is missing and, for one that
exists, writes only the settings that differ (the Hub restarts a live Space on every settings
write, which would cut a running training short); ``upload_bundle`` makes one commit per bundle,
titled with the bundle's sha, and makes none when the head already is that bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from huggingface_hub import CommitOperationAdd, HfApi, JobHardwareInfo, SpaceHardware
from huggingface_hub import errors as hub_client_errors

from workers.integrations.errors import IntegrationError
from workers.integrations.hub_errors import hub_errors
from workers.integrations.space_status import SpaceState, space_state

SDK = "docker"
FREE_HARDWARE = "cpu-basic"
"""The one flavour whose sleep time the Hub fixes (48 h); asking for another only earns a warning."""
BUNDLE_TITLE = "trainpack bundle "
"""Commit titles start with this, then the bundle's sha: how a redelivered deploy finds its upload."""


@dataclass(frozen=True)
class SpaceSpec:
    """The Space a deploy wants: id, hardware, sleep time, visibility, secrets and variables."""

    space_id: str
    hardware: str
    sleep_time: int | None = None
    private: bool = True
    secrets: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def wanted_sleep_time(self) -> int | None:
        return None if self.hardware == FREE_HARDWARE else self.sleep_time


@dataclass(frozen=True)
class EnsuredSpace:
    """The Space after ``ensure_space``: whether this call created it, and what it had to change."""

    space_id: str
    url: str
    created: bool
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpaceHead:
    """The Space's head commit and, when it is a bundle upload, the bundle's sha from its title."""

    commit_sha: str
    bundle_sha: str | None


@dataclass(frozen=True)
class Upload:
    """The commit holding the bundle. ``reused``: the head already was this bundle when the call
    began, so nothing was sent (after a lost race, or when the client found every file unchanged,
    the commit is not this call's either, yet ``reused`` is false: no second commit is made)."""

    commit_sha: str
    reused: bool


def ensure_space(spec: SpaceSpec, *, endpoint: str, token: str, rewrite_secrets: bool = False) -> EnsuredSpace:
    """Create the Space (docker SDK, private unless ``spec`` says otherwise) with all its settings, or
    bring an existing one to ``spec``. Secret values cannot be read back, so an existing secret is
    rewritten only when ``rewrite_secrets`` (e.g. after the token changed)."""
    api = HfApi(endpoint=endpoint, token=token)
    what = f"Space {spec.space_id}"
    url = f"{api.endpoint}/spaces/{spec.space_id}"
    with hub_errors(what):
        try:
            info = api.space_info(spec.space_id)
        except hub_client_errors.RepositoryNotFoundError:
            info = None
    if info is None:
        with hub_errors(what, refused="SPACE_CREATE_FAILED"):
            created = api.create_repo(
                spec.space_id,
                repo_type="space",
                space_sdk=SDK,
                private=spec.private,
                exist_ok=True,
                space_hardware=cast(SpaceHardware, spec.hardware),
                space_sleep_time=spec.wanted_sleep_time,
                space_secrets=[{"key": k, "value": v} for k, v in sorted(spec.secrets.items())] or None,
                space_variables=[{"key": k, "value": v} for k, v in sorted(spec.variables.items())] or None,
            )
        return EnsuredSpace(spec.space_id, str(created), created=True)
    if info.sdk != SDK:
        raise IntegrationError(
            "SPACE_NOT_DOCKER",
            f"{spec.space_id} already exists as a {info.sdk or 'non-docker'} Space; choose another name.",
        )
    changed: list[str] = []
    with hub_errors(what, refused="SPACE_SETTINGS_FAILED"):
        present = api.get_space_secrets(spec.space_id)
        for key, value in sorted(spec.secrets.items()):
            if rewrite_secrets or key not in present:
                api.add_space_secret(spec.space_id, key, value)
                changed.append(f"secret:{key}")
        variables = api.get_space_variables(spec.space_id)
        for key, value in sorted(spec.variables.items()):
            if key not in variables or variables[key].value != value:
                api.add_space_variable(spec.space_id, key, value)
                changed.append(f"variable:{key}")
        runtime = info.runtime or api.get_space_runtime(spec.space_id)
        if runtime.requested_hardware != spec.hardware:
            api.request_space_hardware(
                spec.space_id, cast(SpaceHardware, spec.hardware), sleep_time=spec.wanted_sleep_time
            )
            changed.append("hardware")
        elif spec.wanted_sleep_time is not None and runtime.sleep_time != spec.wanted_sleep_time:
            api.set_space_sleep_time(spec.space_id, spec.wanted_sleep_time)
            changed.append("sleep_time")
    return EnsuredSpace(spec.space_id, url, created=False, changed=tuple(changed))


def read_head(space_id: str, *, endpoint: str, token: str) -> SpaceHead:
    """The Space's head commit, with the bundle sha when the head is a bundle upload."""
    with hub_errors(f"Space {space_id}"):
        commits = HfApi(endpoint=endpoint, token=token).list_repo_commits(space_id, repo_type="space")
    if not commits:
        raise IntegrationError("HUB_NOT_FOUND", f"The Space {space_id} has no commits.")
    head = commits[0]
    bundle = head.title.removeprefix(BUNDLE_TITLE).strip() if head.title.startswith(BUNDLE_TITLE) else None
    return SpaceHead(head.commit_id, bundle or None)


def upload_bundle(space_id: str, folder: Path, *, bundle_sha: str, endpoint: str, token: str) -> Upload:
    """Commit every file of ``folder`` to the Space in one commit titled with ``bundle_sha``, unless the
    head already is that bundle. The commit names the head it builds on, so two deliveries racing
    make one commit: the loser finds the winner's."""
    files = sorted(path for path in folder.rglob("*") if path.is_file() and ".git" not in path.parts)
    if not files:
        raise IntegrationError("SPACE_BUNDLE_INVALID", f"The bundle folder {folder.name} is empty.")
    head = read_head(space_id, endpoint=endpoint, token=token)
    if head.bundle_sha == bundle_sha:
        return Upload(head.commit_sha, reused=True)
    operations = [CommitOperationAdd(path.relative_to(folder).as_posix(), str(path)) for path in files]
    api = HfApi(endpoint=endpoint, token=token)
    with hub_errors(f"Space {space_id}", refused="SPACE_UPLOAD_FAILED"):
        try:
            info = api.create_commit(
                space_id,
                operations,
                commit_message=f"{BUNDLE_TITLE}{bundle_sha}",
                commit_description="Training bundle uploaded by trainpack.",
                repo_type="space",
                parent_commit=head.commit_sha,
            )
        except hub_client_errors.HfHubHTTPError as exc:
            if exc.response is None or exc.response.status_code != 412:  # 412: the head moved under us
                raise
            info = None
        except ValueError as exc:  # the client's verdict on the README's front matter
            raise IntegrationError("SPACE_BUNDLE_INVALID", f"The Hub refused the bundle: {exc}") from None
    if info is None:
        now = read_head(space_id, endpoint=endpoint, token=token)
        if now.bundle_sha == bundle_sha:
            return Upload(now.commit_sha, reused=False)
        raise IntegrationError(
            "SPACE_UPLOAD_CONFLICT", f"The Space {space_id} changed during the upload; upload again.", transient=True
        )
    return Upload(info.oid, reused=False)


def pause_space(space_id: str, *, endpoint: str, token: str) -> SpaceState:
    """Pause the Space (billing stops); its runtime afterwards."""
    with hub_errors(f"Space {space_id}", refused="SPACE_CONTROL_FAILED"):
        return space_state(HfApi(endpoint=endpoint, token=token).pause_space(space_id))


def restart_space(space_id: str, *, endpoint: str, token: str, factory_reboot: bool = False) -> SpaceState:
    """Restart a paused or failed Space (billing resumes once it starts); its runtime afterwards."""
    with hub_errors(f"Space {space_id}", refused="SPACE_CONTROL_FAILED"):
        api = HfApi(endpoint=endpoint, token=token)
        return space_state(api.restart_space(space_id, factory_reboot=factory_reboot))


def delete_space(space_id: str, *, endpoint: str, token: str) -> None:
    """Delete the Space; one already gone counts as deleted."""
    with hub_errors(f"Space {space_id}", refused="SPACE_CONTROL_FAILED"):
        HfApi(endpoint=endpoint, token=token).delete_repo(space_id, repo_type="space", missing_ok=True)


def list_spaces_hardware(*, endpoint: str, token: str | None = None) -> list[JobHardwareInfo]:
    """The Hub's Spaces hardware list as the client parses it (prices per minute in ``unit_cost_usd``)."""
    with hub_errors("Spaces hardware list"):
        return HfApi(endpoint=endpoint, token=token).list_spaces_hardware()
