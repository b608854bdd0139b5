"""Deploys against the Hub stand-in for the Spaces integration tests: accounts, bundles, Space specs.

Each helper makes its own user, token and Space name, so tests sharing one stand-in never see each
other's Spaces or requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.hub_standin import HubStandin
from tests.support.space_runtime import Phase
from workers.integrations.errors import IntegrationError
from workers.integrations.space_status import SpaceState, wait_for_commit
from workers.integrations.spaces import SpaceSpec, ensure_space, upload_bundle

README = "---\ntitle: Training\nsdk: docker\napp_port: 7860\n---\n\n# A training bundle\n"


def account(hub: HubStandin, **options: object) -> tuple[str, str]:
    """A fresh user and its token (``options`` as for ``HubStandin.add_token``)."""
    user = f"u{uuid.uuid4().hex[:10]}"
    hub.add_token(f"hf_{user}", user, **options)  # type: ignore[arg-type]
    return user, f"hf_{user}"


def bundle(folder: Path, *, marker: str = "1", readme: str = README) -> Path:
    """A bundle folder as the package build writes it (the content varies with ``marker``)."""
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(readme)
    (folder / "Dockerfile").write_text("FROM python:3.11-slim\nCMD python train.py\n")
    (folder / "train.py").write_text(f"print('training {marker}')\n")
    (folder / "config" / "train.yaml").write_text(f"learning_rate: 0.0002\nseed: {marker}\n")
    return folder


def failure(call: Callable[[], object]) -> IntegrationError:
    """The ``IntegrationError`` that ``call`` raises."""
    with pytest.raises(IntegrationError) as caught:
        call()
    return caught.value


def spec(user: str, **options: object) -> SpaceSpec:
    """A Space spec under ``user`` with a fresh name, GPU hardware, a week of sleep time, a secret and a variable."""
    values: dict[str, object] = {
        "space_id": f"{user}/train-{uuid.uuid4().hex[:6]}",
        "hardware": "t4-small",
        "sleep_time": 604800,
        "secrets": {"HF_TOKEN": "hf_inside"},
        "variables": {"TRAINPACK_VERSION": "3"},
    }
    values.update(options)
    return SpaceSpec(**values)  # type: ignore[arg-type]


def deployed(hub: HubStandin, tmp_path: Path, *phases: Phase | str) -> tuple[str, str, str]:
    """A created Space with an uploaded bundle (scripted with ``phases``): token, Space id, commit sha."""
    user, token = account(hub)
    wanted = spec(user)
    if phases:
        hub.spaces.script(wanted.space_id, phases)
    ensure_space(wanted, endpoint=hub.url, token=token)
    upload = upload_bundle(wanted.space_id, bundle(tmp_path / "b"), bundle_sha="b1", endpoint=hub.url, token=token)
    return token, wanted.space_id, upload.commit_sha


def follow(hub: HubStandin, space_id: str, commit: str, token: str, *, timeout: float = 10.0) -> list[SpaceState]:
    """Every state ``wait_for_commit`` reported, the final one last."""
    seen: list[SpaceState] = []
    final = wait_for_commit(
        space_id, commit, endpoint=hub.url, token=token, timeout=timeout, first_interval=0.02, on_state=seen.append
    )
    assert seen[-1] == final
    return seen
