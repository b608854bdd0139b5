"""Turning huggingface_hub failures into coded ``IntegrationError``s (transient or permanent)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
from huggingface_hub import errors

from workers.integrations.errors import IntegrationError


@contextmanager
def hub_errors(what: str) -> Iterator[None]:
    """Run Hub calls about ``what`` (e.g. ``model acme/x``), mapping their failures to codes."""
    try:
        yield
    except IntegrationError:
        raise
    except errors.GatedRepoError:
        raise IntegrationError("HUB_GATED", f"The {what} is gated: set a Hub token with access to it.") from None
    except (errors.RepositoryNotFoundError, errors.RevisionNotFoundError) as exc:
        raise IntegrationError("HUB_NOT_FOUND", f"The {what} was not found on the Hub ({_kind(exc)}).") from None
    except errors.LocalEntryNotFoundError as exc:
        # The client gave up reaching the Hub for a file (after its own retries) and has no cached
        # copy: an outage or a refusal, said by the cause, not a file missing from the repo.
        raise _from_cause(what, exc.__cause__) from None
    except (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError):
        raise IntegrationError("HUB_NOT_FOUND", f"A file of the {what} was not found on the Hub.") from None
    except errors.HfHubHTTPError as exc:
        raise _from_status(what, exc.response.status_code if exc.response is not None else None, exc) from None
    except (httpx2.TransportError, TimeoutError, ConnectionError) as exc:  # huggingface_hub speaks httpx2
        raise IntegrationError(
            "HUB_UNAVAILABLE", f"The Hub could not be reached for the {what}: {type(exc).__name__}.", transient=True
        ) from None


def _from_status(what: str, status: int | None, exc: errors.HfHubHTTPError) -> IntegrationError:
    if status == 429:
        retry_after = exc.response.headers.get("retry-after") if exc.response is not None else None
        seconds = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
        return IntegrationError(
            "HUB_RATE_LIMITED",
            f"The Hub is rate-limiting requests for the {what}.",
            transient=True,
            retry_after=seconds,
        )
    if status in (401, 403):
        return IntegrationError("HUB_GATED", f"The Hub refused access to the {what} (HTTP {status}).")
    if status is not None and status >= 500:
        return IntegrationError("HUB_UNAVAILABLE", f"The Hub failed for the {what} (HTTP {status}).", transient=True)
    return IntegrationError("HUB_REQUEST_FAILED", f"The Hub refused the request for the {what} (HTTP {status}).")


def _from_cause(what: str, cause: BaseException | None) -> IntegrationError:
    if isinstance(cause, errors.HfHubHTTPError):
        return _from_status(what, cause.response.status_code if cause.response is not None else None, cause)
    if cause is None:  # the client was told not to go online (HF_HUB_OFFLINE): retrying cannot help
        return IntegrationError("HUB_OFFLINE", f"The Hub is switched off for this worker; the {what} is not cached.")
    return IntegrationError(
        "HUB_UNAVAILABLE", f"The Hub could not be reached for the {what}: {type(cause).__name__}.", transient=True
    )


def _kind(exc: Exception) -> str:
    return "no such revision" if isinstance(exc, errors.RevisionNotFoundError) else "no such repository"
