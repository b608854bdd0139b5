"""The Spaces integration with the real client and the Hub stand-in: following a deploy.

Following the runtime to a stage on our commit (not a previous build's), the error stages with
their message and log tail, transient failures ridden out, log tails with progress lines.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants

from tests.support.hub_standin import HubStandin
from tests.support.space_deploys import bundle, deployed, failure, follow
from tests.support.space_runtime import Phase
from workers.integrations.space_logs import fetch_log_tail, latest_progress
from workers.integrations.space_status import read_runtime, wait_for_commit
from workers.integrations.spaces import upload_bundle


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
