"""The Spaces integration with the real client and the Hub stand-in: the Space, the bundle, control.

Creating or finding the Space with its settings (writing only what differs, since the Hub restarts
a live Space on every settings write), uploading the bundle once, pause/restart/delete, the
hardware list, and the failures that decide between a retry and a failed deploy.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants

from tests.support.hub_standin import HubStandin
from tests.support.space_deploys import account, bundle, deployed, failure, follow, spec
from tests.support.space_runtime import Phase
from workers.integrations import spaces
from workers.integrations.space_logs import fetch_log_tail
from workers.integrations.space_status import read_runtime
from workers.integrations.spaces import SpaceHead, ensure_space, read_head, upload_bundle


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandin]:
    with HubStandin() as standin:
        yield standin


@pytest.fixture(autouse=True)
def _no_ambient_hub_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token from the environment or a login file: every call uses the token it is given."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))


# -- creating or finding the Space ----------------------------------------------------------------


def test_ensure_space_creates_a_private_docker_space_with_every_setting(hub: HubStandin) -> None:
    user, token = account(hub)
    wanted = spec(user)

    ensured = ensure_space(wanted, endpoint=hub.url, token=token)

    assert (ensured.created, ensured.changed) == (True, ())
    assert ensured.url == f"{hub.url}/spaces/{wanted.space_id}"
    space = hub.spaces.get(wanted.space_id)
    assert space is not None
    assert (space.sdk, space.private, space.requested_hardware, space.sleep_time) == (
        "docker",
        True,
        "t4-small",
        604800,
    )
    assert {k: s.value for k, s in space.secrets.items()} == {"HF_TOKEN": "hf_inside"}
    assert {k: v.value for k, v in space.variables.items()} == {"TRAINPACK_VERSION": "3"}
    assert [(r.method, r.path) for r in hub.changes() if r.token == token] == [("POST", "/api/repos/create")]


def test_ensure_space_again_changes_nothing_and_does_not_restart_it(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, commit = deployed(hub, tmp_path)
    follow(hub, space_id, commit, token)
    stages_before = hub.spaces.stage_changes(space_id)
    hub.clear_log()

    again = ensure_space(spec(space_id.split("/")[0], space_id=space_id), endpoint=hub.url, token=token)

    assert (again.created, again.changed) == (False, ())
    assert hub.changes() == []
    assert hub.spaces.stage_changes(space_id) == stages_before
    assert len([s for s in hub.spaces.stage_changes(space_id) if s.stage == "BUILDING"]) == 1


def test_ensure_space_writes_only_what_differs_on_an_existing_space(hub: HubStandin) -> None:
    user, token = account(hub)
    first = spec(user, secrets={"HF_TOKEN": "old"})
    ensure_space(first, endpoint=hub.url, token=token)
    hub.clear_log()
    second = spec(
        user,
        space_id=first.space_id,
        hardware="a10g-small",
        secrets={"HF_TOKEN": "new", "WANDB_API_KEY": "w"},
        variables={"TRAINPACK_VERSION": "3", "EXTRA": "x"},
    )

    ensured = ensure_space(second, endpoint=hub.url, token=token)

    assert ensured.changed == ("secret:WANDB_API_KEY", "variable:EXTRA", "hardware")
    space = hub.spaces.get(first.space_id)
    assert space is not None
    assert space.secrets["HF_TOKEN"].value == "old"  # values cannot be compared, so never rewritten unasked
    assert (space.requested_hardware, space.sleep_time) == ("a10g-small", 604800)
    assert [r.path.rsplit("/", 1)[-1] for r in hub.changes()] == ["secrets", "variables", "hardware"]

    rewritten = ensure_space(second, endpoint=hub.url, token=token, rewrite_secrets=True)
    assert rewritten.changed == ("secret:HF_TOKEN", "secret:WANDB_API_KEY")
    assert space.secrets["HF_TOKEN"].value == "new"


def test_ensure_space_sets_a_changed_sleep_time_alone(hub: HubStandin) -> None:
    user, token = account(hub)
    first = spec(user)
    ensure_space(first, endpoint=hub.url, token=token)

    ensured = ensure_space(spec(user, space_id=first.space_id, sleep_time=7200), endpoint=hub.url, token=token)

    assert ensured.changed == ("sleep_time",)
    assert read_runtime(first.space_id, endpoint=hub.url, token=token).sleep_time == 7200


def test_free_hardware_gets_no_sleep_time(hub: HubStandin) -> None:
    user, token = account(hub)
    wanted = spec(user, hardware="cpu-basic", sleep_time=3600)

    ensure_space(wanted, endpoint=hub.url, token=token)  # the client warns (an error here) if one were sent
    ensure_space(wanted, endpoint=hub.url, token=token)

    space = hub.spaces.get(wanted.space_id)
    assert space is not None and (space.requested_hardware, space.sleep_time) == ("cpu-basic", None)


def test_a_public_space_when_asked(hub: HubStandin) -> None:
    user, token = account(hub)
    wanted = spec(user, private=False)
    ensure_space(wanted, endpoint=hub.url, token=token)
    space = hub.spaces.get(wanted.space_id)
    assert space is not None and space.private is False


def test_an_existing_space_of_another_sdk_is_left_alone(hub: HubStandin) -> None:
    user, token = account(hub)
    space_id = f"{user}/demo"
    hub.spaces.create(space_id, created_by=user, sdk="gradio")
    hub.clear_log()

    error = failure(lambda: ensure_space(spec(user, space_id=space_id), endpoint=hub.url, token=token))

    assert (error.code, error.transient) == ("SPACE_NOT_DOCKER", False)
    assert hub.changes() == []


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("read-role-in-org", "HUB_TOKEN_FORBIDDEN"),
        ("read-token", "HUB_TOKEN_FORBIDDEN"),
        ("no-billing", "HUB_PAYMENT_REQUIRED"),
        ("unknown-hardware", "SPACE_CREATE_FAILED"),
        ("revoked", "HUB_TOKEN_INVALID"),
    ],
)
def test_a_refused_creation_is_permanent_and_creates_nothing(hub: HubStandin, setup: str, code: str) -> None:
    org = f"org{uuid.uuid4().hex[:8]}"
    user, token = account(hub, orgs={org: "read"}, role="read" if setup == "read-token" else "write")
    owner = org if setup == "read-role-in-org" else user
    if setup == "no-billing":
        hub.accounts.without_billing.add(user)
    if setup == "revoked":
        hub.revoke(token)
    wanted = spec(owner, space_id=f"{owner}/train", hardware="h200" if setup == "unknown-hardware" else "t4-small")

    error = failure(lambda: ensure_space(wanted, endpoint=hub.url, token=token))

    assert (error.code, error.transient) == (code, False)
    assert hub.spaces.get(wanted.space_id) is None


# -- uploading the bundle -------------------------------------------------------------------------


def test_upload_commits_the_bundle_once_and_finds_it_again(hub: HubStandin, tmp_path: Path) -> None:
    user, token = account(hub)
    wanted = spec(user)
    ensure_space(wanted, endpoint=hub.url, token=token)
    folder = bundle(tmp_path / "bundle")

    upload = upload_bundle(wanted.space_id, folder, bundle_sha="sha-one", endpoint=hub.url, token=token)

    space = hub.spaces.get(wanted.space_id)
    assert space is not None
    assert upload.reused is False
    assert space.head.sha == upload.commit_sha
    assert space.head.title == "trainpack bundle sha-one"
    assert {name: space.head.files[name] for name in ("Dockerfile", "train.py", "config/train.yaml")} == {
        "Dockerfile": (folder / "Dockerfile").read_bytes(),
        "train.py": (folder / "train.py").read_bytes(),
        "config/train.yaml": (folder / "config" / "train.yaml").read_bytes(),
    }
    assert read_head(wanted.space_id, endpoint=hub.url, token=token) == SpaceHead(upload.commit_sha, "sha-one")
    hub.clear_log()

    again = upload_bundle(wanted.space_id, folder, bundle_sha="sha-one", endpoint=hub.url, token=token)

    assert (again.commit_sha, again.reused) == (upload.commit_sha, True)
    assert hub.changes() == []
    assert len(space.commits) == 2  # the Hub's initial commit and the bundle


def test_a_new_bundle_is_a_new_commit(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, first = deployed(hub, tmp_path)

    second = upload_bundle(
        space_id, bundle(tmp_path / "b2", marker="2"), bundle_sha="b2", endpoint=hub.url, token=token
    )

    assert second.reused is False and second.commit_sha != first
    assert read_head(space_id, endpoint=hub.url, token=token).bundle_sha == "b2"


def test_a_delivery_that_lost_the_race_finds_the_winners_commit(
    hub: HubStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, space_id, winner = deployed(hub, tmp_path)
    space = hub.spaces.get(space_id)
    assert space is not None
    initial = space.commits[0].sha
    reads = iter([SpaceHead(initial, None)])  # the head as it was before the winner committed
    real_read_head = spaces.read_head
    monkeypatch.setattr(spaces, "read_head", lambda *a, **k: next(reads, None) or real_read_head(*a, **k))

    upload = upload_bundle(space_id, bundle(tmp_path / "b"), bundle_sha="b1", endpoint=hub.url, token=token)

    assert (upload.commit_sha, upload.reused) == (winner, False)
    assert len(space.commits) == 2
    # the files match the head, so the client sends no commit at all and answers with the head
    assert [r.status for r in hub.requests_for(rf"^/api/spaces/{space_id}/commit/main$")] == [200]


def test_a_head_moved_by_someone_else_is_a_transient_conflict(
    hub: HubStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, space_id, _ = deployed(hub, tmp_path)
    space = hub.spaces.get(space_id)
    assert space is not None
    monkeypatch.setattr(spaces, "read_head", lambda *_args, **_kwargs: SpaceHead(space.commits[0].sha, None))

    error = failure(
        lambda: upload_bundle(
            space_id, bundle(tmp_path / "c", marker="c"), bundle_sha="c", endpoint=hub.url, token=token
        )
    )

    assert (error.code, error.transient) == ("SPACE_UPLOAD_CONFLICT", True)
    assert len(space.commits) == 2
    assert [r.status for r in hub.requests_for(rf"^/api/spaces/{space_id}/commit/main$")][-1] == 412


def test_a_bundle_with_bad_front_matter_is_refused_before_any_commit(hub: HubStandin, tmp_path: Path) -> None:
    user, token = account(hub)
    wanted = spec(user)
    ensure_space(wanted, endpoint=hub.url, token=token)
    folder = bundle(tmp_path / "bad", readme="---\ntitle: no sdk here\n---\n")

    error = failure(lambda: upload_bundle(wanted.space_id, folder, bundle_sha="x", endpoint=hub.url, token=token))

    assert (error.code, error.transient) == ("SPACE_BUNDLE_INVALID", False)
    assert "sdk" in error.message
    assert hub.requests_for(rf"^/api/spaces/{wanted.space_id}/commit/", "POST") == []


def test_an_empty_bundle_folder_is_refused_without_a_request(hub: HubStandin, tmp_path: Path) -> None:
    hub.clear_log()
    (tmp_path / "empty").mkdir()
    error = failure(lambda: upload_bundle("a/b", tmp_path / "empty", bundle_sha="x", endpoint=hub.url, token="t"))
    assert error.code == "SPACE_BUNDLE_INVALID"
    assert hub.requests == []


def test_a_failed_commit_is_transient_and_the_retry_commits_once(hub: HubStandin, tmp_path: Path) -> None:
    user, token = account(hub)
    wanted = spec(user)
    ensure_space(wanted, endpoint=hub.url, token=token)
    folder = bundle(tmp_path / "b")
    hub.inject(rf"^/api/spaces/{wanted.space_id}/commit/main$", 502, method="POST")

    error = failure(lambda: upload_bundle(wanted.space_id, folder, bundle_sha="b", endpoint=hub.url, token=token))
    assert (error.code, error.transient) == ("HUB_UNAVAILABLE", True)

    upload = upload_bundle(wanted.space_id, folder, bundle_sha="b", endpoint=hub.url, token=token)
    space = hub.spaces.get(wanted.space_id)
    assert space is not None and [c.sha for c in space.commits][-1] == upload.commit_sha and len(space.commits) == 2


def test_a_revoked_token_fails_every_space_call_with_a_clear_code(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, _ = deployed(hub, tmp_path)
    hub.revoke(token)
    user = space_id.split("/")[0]
    calls: list[Callable[[], object]] = [
        lambda: ensure_space(spec(user, space_id=space_id), endpoint=hub.url, token=token),
        lambda: upload_bundle(space_id, bundle(tmp_path / "r"), bundle_sha="r", endpoint=hub.url, token=token),
        lambda: read_runtime(space_id, endpoint=hub.url, token=token),
        lambda: spaces.pause_space(space_id, endpoint=hub.url, token=token),
        lambda: fetch_log_tail(space_id, endpoint=hub.url, token=token),
    ]
    for call in calls:
        error = failure(call)
        assert (error.code, error.transient) == ("HUB_TOKEN_INVALID", False)


# -- control ----------------------------------------------------------------------------------------


def test_pause_stops_billing_restart_runs_again_delete_removes(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, commit = deployed(hub, tmp_path, "BUILDING", Phase("APP_STARTING", seconds=0.1), "RUNNING")
    follow(hub, space_id, commit, token)

    paused = spaces.pause_space(space_id, endpoint=hub.url, token=token)
    billed = hub.spaces.billable_seconds(space_id)
    time.sleep(0.2)

    assert (paused.stage, paused.settled_on(commit), paused.billable) == ("PAUSED", True, False)
    assert billed >= 0.1
    assert hub.spaces.billable_seconds(space_id) == billed

    restarted = spaces.restart_space(space_id, endpoint=hub.url, token=token)
    assert restarted.stage == "BUILDING"
    assert follow(hub, space_id, commit, token)[-1].stage == "RUNNING"

    spaces.delete_space(space_id, endpoint=hub.url, token=token)
    assert hub.spaces.get(space_id) is None
    spaces.delete_space(space_id, endpoint=hub.url, token=token)  # already gone: still deleted
    assert failure(lambda: read_runtime(space_id, endpoint=hub.url, token=token)).code == "HUB_NOT_FOUND"


# -- hardware ---------------------------------------------------------------------------------------


def test_the_hardware_list_has_per_minute_prices(hub: HubStandin) -> None:
    flavours = {item.name: item for item in spaces.list_spaces_hardware(endpoint=hub.url)}
    t4 = flavours["t4-small"]
    assert t4.unit_label == "minute"
    assert t4.unit_cost_usd * 60 == pytest.approx(0.40, abs=1e-3)
    assert t4.accelerator is not None and (t4.accelerator.model, t4.accelerator.vram) == ("T4", "16 GB")
    assert flavours["cpu-basic"].accelerator is None


def test_the_hardware_list_fails_transiently_on_a_server_error(hub: HubStandin) -> None:
    hub.inject(r"^/api/spaces/hardware$", 503)
    error = failure(lambda: spaces.list_spaces_hardware(endpoint=hub.url))
    assert (error.code, error.transient) == ("HUB_UNAVAILABLE", True)
