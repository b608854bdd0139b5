"""The last lines of a Space's run or build log, and the training progress the bundle prints in them.

``fetch_space_logs`` (no follow) replays the Hub's log buffer as server-sent events; a tail keeps at
most ``lines`` of it and stops reading at ``timeout`` (checked between lines; a Hub that sends
nothing is cut off by the client's own five-second read timeout). Progress lines are the JSON
objects with an integer ``step`` the training prints, one per line, e.g.
``{"step": 40, "max_steps": 200, "loss": 1.73, "epoch": 0.4, "eta_seconds": 812}``.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from huggingface_hub import HfApi

from workers.integrations.hub_errors import hub_errors


@dataclass(frozen=True)
class TrainingProgress:
    """One progress line: the step, of how many, the loss, the epoch and the estimated time left."""

    step: int
    total_steps: int | None = None
    loss: float | None = None
    epoch: float | None = None
    eta_seconds: float | None = None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False)


def fetch_log_tail(
    space_id: str,
    *,
    endpoint: str,
    token: str,
    lines: int = 100,
    build: bool = False,
    timeout: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """The last ``lines`` lines of the run log (or the build log), without their line ends."""
    tail: deque[str] = deque(maxlen=max(1, lines))
    deadline = clock() + timeout
    stream = iter(HfApi(endpoint=endpoint, token=token).fetch_space_logs(space_id, build=build, follow=False))
    try:
        with hub_errors(f"Space {space_id} logs"):
            for line in stream:
                tail.append(line.rstrip("\r\n"))
                if clock() >= deadline:
                    break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # ends the HTTP stream when the deadline cut it short
    return list(tail)


def progress_lines(lines: Iterable[str]) -> list[TrainingProgress]:
    """Every progress line among ``lines``, in order; other lines are skipped."""
    found = []
    for line in lines:
        progress = parse_progress(line)
        if progress is not None:
            found.append(progress)
    return found


def latest_progress(lines: Iterable[str]) -> TrainingProgress | None:
    """The last progress line among ``lines``, if any."""
    found = progress_lines(lines)
    return found[-1] if found else None


def parse_progress(line: str) -> TrainingProgress | None:
    """The progress a log line reports, or ``None`` when it is not a progress line."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not _is_int(value.get("step")):
        return None
    total = value.get("max_steps", value.get("total_steps"))
    return TrainingProgress(
        step=value["step"],
        total_steps=total if _is_int(total) else None,
        loss=_number(value.get("loss")),
        epoch=_number(value.get("epoch")),
        eta_seconds=_number(value.get("eta_seconds")),
        fields=value,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
