"""The one error type integrations raise, so actors can decide between retry and fail."""

from __future__ import annotations


class IntegrationError(Exception):
    """An outside call failed. ``transient`` failures (network, 5xx, 429) are retried with
    backoff; permanent ones (not found, gated, malformed) fail the job at once with ``code``."""

    def __init__(self, code: str, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient
        self.retry_after = retry_after


class Cancelled(Exception):  # noqa: N818 - it is a signal, not a failure
    """The job was cancelled while an integration was running; raised from its progress hook."""
