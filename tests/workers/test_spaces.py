"""The Spaces integration against the real ``huggingface_hub`` client and the Hub stand-in.

Each function a deploy calls is driven over HTTP: creating or finding the Space with its settings,
uploading the bundle once, following the runtime to a stage on our commit (not a previous build's),
the error stages with their message and log tail, pause/restart/delete, log tails with progress
lines, the hardware list; and the failures that decide between a retry and a failed deploy.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants

from tests.support.hub_standin import HubStandin
from tests.support.space_runtime import Phase
from workers.integrations import spaces
from workers.integrations.errors import IntegrationError
from workers.integrations.space_logs import fetch_log_tail, latest_progress
from workers.integrations.space_status import SpaceState, read_runtime, wait_for_commit
from workers.integrations.spaces import SpaceHead, SpaceSpec, ensure_space, read_head, upload_bundle

README = "---\ntitle: Training\nsdk: docker\napp_port: 7860\n---\n\n# A training bundle\n"


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
    with pytest.raises(IntegrationError) as caught:
        call()
    return caught.value


def spec(user: str, **options: object) -> SpaceSpec:
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


# -- following the runtime ------------------------------------------------------------------------


def test_following_reports_each_stage_up_to_running_on_our_commit(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, commit = deployed(hub, tmp_path, Phase("BUILDING", polls=2), "APP_STARTING", "RUNNING")

    seen = follow(hub, space_id, commit, token)

    assert [s.stage for s in seen] == ["BUILDING", "APP_STARTING", "RUNNING"]
    final = seen[-1]
    assert final.settled_on(commit) and final.billable
    assert (final.hardware, final.requested_hardware, final.sleep_time, final.sha) == (
        "t4-small",
        "t4-small",
        604800,
        commit,
    )
    assert seen[0].hardware is None  # building holds no hardware yet


def test_a_previous_builds_running_is_not_taken_for_ours(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, first = deployed(hub, tmp_path)
    follow(hub, space_id, first, token)
    hub.spaces.script(space_id, [Phase("RUNNING", polls=3, stale=True), "BUILDING", "APP_STARTING", "RUNNING"])
    second = upload_bundle(
        space_id, bundle(tmp_path / "b2", marker="2"), bundle_sha="b2", endpoint=hub.url, token=token
    )

    seen = follow(hub, space_id, second.commit_sha, token)

    assert [(s.stage, s.sha) for s in seen] == [
        ("RUNNING", first),
        ("BUILDING", second.commit_sha),
        ("APP_STARTING", second.commit_sha),
        ("RUNNING", second.commit_sha),
    ]
    assert not seen[0].settled_on(second.commit_sha) and seen[0].on_commit(first)


@pytest.mark.parametrize("stage", ["BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR"])
def test_an_error_stage_ends_the_follow_with_the_hubs_message_and_log_tail(
    hub: HubStandin, tmp_path: Path, stage: str
) -> None:
    logs = (*(f"step {i} of the build" for i in range(30)), "ERROR: pip could not find torch==9")
    failing = Phase(stage, error=f"{stage.lower()}: exit code 1", build_logs=logs, run_logs=logs)
    token, space_id, commit = deployed(hub, tmp_path, "BUILDING", failing)

    final = follow(hub, space_id, commit, token)[-1]
    tail = fetch_log_tail(space_id, endpoint=hub.url, token=token, lines=5, build=stage == "BUILD_ERROR")

    assert (final.stage, final.error_message, final.settled_on(commit)) == (
        stage,
        f"{stage.lower()}: exit code 1",
        True,
    )
    assert tail == [*logs[-5:]]


def test_following_rides_out_rate_limits_and_server_errors(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, commit = deployed(hub, tmp_path, "BUILDING", "RUNNING")
    hub.inject(rf"^/api/spaces/{space_id}/runtime$", 429, retry_after=0.3)
    hub.inject(rf"^/api/spaces/{space_id}/runtime$", 503)
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        time.sleep(seconds)

    final = wait_for_commit(
        space_id, commit, endpoint=hub.url, token=token, timeout=10, first_interval=0.02, sleep=sleep
    )

    assert final.stage == "RUNNING" and final.on_commit(commit)
    assert pauses[0] == pytest.approx(0.3)
    assert [r.status for r in hub.requests_for(rf"^/api/spaces/{space_id}/runtime$")][:2] == [429, 503]


def test_rate_limits_and_server_errors_are_transient_with_the_retry_after(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, _ = deployed(hub, tmp_path)
    hub.inject(rf"^/api/spaces/{space_id}/runtime$", 429, retry_after=7)
    hub.inject(rf"^/api/spaces/{space_id}/runtime$", 500, retry_after=2)
    hub.inject(rf"^/api/spaces/{space_id}/runtime$", 503)

    first, second, third = (failure(lambda: read_runtime(space_id, endpoint=hub.url, token=token)) for _ in range(3))

    assert (first.code, first.transient, first.retry_after) == ("HUB_RATE_LIMITED", True, 7)
    assert (second.code, second.transient, second.retry_after) == ("HUB_UNAVAILABLE", True, 2)
    assert (third.code, third.transient, third.retry_after) == ("HUB_UNAVAILABLE", True, None)


def test_following_gives_the_last_state_when_time_runs_out(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, commit = deployed(hub, tmp_path, Phase("BUILDING"))
    started = time.monotonic()
    final = wait_for_commit(space_id, commit, endpoint=hub.url, token=token, timeout=0.4, first_interval=0.05)
    assert final.stage == "BUILDING" and not final.settled_on(commit)
    assert time.monotonic() - started < 2


def test_a_permanent_failure_ends_the_follow_at_once(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, commit = deployed(hub, tmp_path, Phase("BUILDING"))
    hub.revoke(token)
    error = failure(lambda: wait_for_commit(space_id, commit, endpoint=hub.url, token=token, timeout=30))
    assert (error.code, error.transient) == ("HUB_TOKEN_INVALID", False)
    assert len(hub.requests_for(rf"^/api/spaces/{space_id}/runtime$")) == 1


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


# -- logs and progress ------------------------------------------------------------------------------


def test_the_log_tail_is_bounded_and_carries_the_training_progress(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, _ = deployed(hub, tmp_path)
    hub.spaces.log(space_id, *(f"noise {i}" for i in range(500)))
    hub.spaces.log(space_id, '{"step": 10, "max_steps": 100, "loss": 2.5}', "Saving checkpoint")
    hub.spaces.log(space_id, '{"step": 20, "max_steps": 100, "loss": 1.75, "epoch": 0.2, "eta_seconds": 640}')

    tail = fetch_log_tail(space_id, endpoint=hub.url, token=token, lines=3)
    progress = latest_progress(tail)

    assert len(tail) == 3 and tail[1] == "Saving checkpoint"
    assert progress is not None
    assert (progress.step, progress.total_steps, progress.loss, progress.epoch, progress.eta_seconds) == (
        20,
        100,
        1.75,
        0.2,
        640.0,
    )


def test_a_slow_log_stops_at_the_timeout(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, _ = deployed(hub, tmp_path)
    hub.spaces.log(space_id, *(f"line {i}" for i in range(100)))
    hub.spaces.slow_logs(0.1)
    try:
        started = time.monotonic()
        tail = fetch_log_tail(space_id, endpoint=hub.url, token=token, lines=50, timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        hub.spaces.slow_logs(0)

    assert elapsed < 2
    assert 2 <= len(tail) < 20 and tail[0] == "line 0"


def test_an_empty_log_is_an_empty_tail(hub: HubStandin, tmp_path: Path) -> None:
    token, space_id, _ = deployed(hub, tmp_path)
    assert fetch_log_tail(space_id, endpoint=hub.url, token=token, build=True) == []


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
