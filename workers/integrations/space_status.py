"""A Space's runtime as a deploy follows it: stage, hardware, sleep time, the commit it runs, errors.

After a push the Hub keeps reporting the previous build for a while, RUNNING included, so a stage
counts only with the runtime's ``sha`` (``raw.sha``): ``settled_on(commit)`` is true once the Space
reached a terminal stage on that commit, or was paused, stopped or is being deleted (those say
nothing about the build). ``wait_for_commit`` polls with backoff until then, absorbing transient
failures (429, 5xx, network) while its time lasts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from huggingface_hub import HfApi, SpaceRuntime

from workers.integrations.errors import IntegrationError
from workers.integrations.hub_errors import hub_errors

INTERMEDIATE_STAGES = frozenset({"BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"})
"""Stages the Hub moves on by itself (the client's ``wait_for_space`` waits through the same four)."""
BILLABLE_STAGES = frozenset({"APP_STARTING", "RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"})
"""Stages the Hub bills (per minute, only while starting or running; building is free)."""
UNTIED_STAGES = frozenset({"PAUSED", "STOPPED", "DELETING"})
"""Terminal stages that end a follow whatever commit they show (someone stopped the Space)."""


@dataclass(frozen=True)
class SpaceState:
    """One reading of a Space's runtime."""

    stage: str
    hardware: str | None
    requested_hardware: str | None
    sleep_time: int | None
    sha: str | None
    error_message: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def intermediate(self) -> bool:
        """Building or starting: the Hub will move it on by itself."""
        return self.stage in INTERMEDIATE_STAGES

    @property
    def billable(self) -> bool:
        return self.stage in BILLABLE_STAGES

    def on_commit(self, commit_sha: str) -> bool:
        """Whether the runtime reports ``commit_sha`` (not a previous build)."""
        return self.sha == commit_sha

    def settled_on(self, commit_sha: str) -> bool:
        """Terminal for ``commit_sha``'s build (RUNNING, BUILD_ERROR, …), or paused/stopped/deleting."""
        return not self.intermediate and (self.on_commit(commit_sha) or self.stage in UNTIED_STAGES)


def space_state(runtime: SpaceRuntime) -> SpaceState:
    """The ``SpaceState`` of a client ``SpaceRuntime``."""
    raw = runtime.raw or {}
    sha, error = raw.get("sha"), raw.get("errorMessage")
    return SpaceState(
        stage=str(runtime.stage),
        hardware=str(runtime.hardware) if runtime.hardware is not None else None,
        requested_hardware=str(runtime.requested_hardware) if runtime.requested_hardware is not None else None,
        sleep_time=runtime.sleep_time,
        sha=sha if isinstance(sha, str) else None,
        error_message=error if isinstance(error, str) else None,
        raw=raw,
    )


def read_runtime(space_id: str, *, endpoint: str, token: str) -> SpaceState:
    """The Space's runtime now."""
    with hub_errors(f"Space {space_id}"):
        return space_state(HfApi(endpoint=endpoint, token=token).get_space_runtime(space_id))


def wait_for_commit(
    space_id: str,
    commit_sha: str,
    *,
    endpoint: str,
    token: str,
    timeout: float,
    first_interval: float = 1.0,
    max_interval: float = 5.0,
    on_state: Callable[[SpaceState], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SpaceState:
    """Poll until the Space is ``settled_on(commit_sha)``; the last state read if ``timeout`` runs out.

    The interval grows by half after each unchanged reading up to ``max_interval`` and drops back to
    ``first_interval`` on a change; ``on_state`` sees every change (stage, sha or error). A transient
    failure waits its ``retry_after`` (or the interval) and tries again; when the time is up it is
    raised, as is any permanent failure at once."""
    deadline = clock() + timeout
    interval, last = first_interval, None
    while True:
        try:
            state = read_runtime(space_id, endpoint=endpoint, token=token)
        except IntegrationError as error:
            pause = max(error.retry_after or 0.0, interval)
            if not error.transient or clock() + pause > deadline:
                raise
            sleep(pause)
            interval = min(max_interval, interval * 1.5)
            continue
        if last is None or (state.stage, state.sha, state.error_message) != (last.stage, last.sha, last.error_message):
            interval = first_interval
            if on_state is not None:
                on_state(state)
        else:
            interval = min(max_interval, interval * 1.5)
        last = state
        remaining = deadline - clock()
        if state.settled_on(commit_sha) or remaining <= 0:
            return state
        sleep(min(interval, remaining))
