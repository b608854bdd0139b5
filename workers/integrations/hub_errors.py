"""Turning huggingface_hub failures into coded ``IntegrationError``s (transient or permanent).

Codes: ``HUB_GATED`` (gated repo, no access), ``HUB_NOT_FOUND`` (repo, revision or file missing, or
private and invisible to the token), ``HUB_TOKEN_INVALID`` (401: unknown, expired or revoked token),
``HUB_TOKEN_FORBIDDEN`` (403: the token may not do this), ``HUB_PAYMENT_REQUIRED`` (402: no billing
for paid hardware), ``HUB_OFFLINE``; transient with the server's ``Retry-After`` when it sent one:
``HUB_RATE_LIMITED`` (429) and ``HUB_UNAVAILABLE`` (408, 5xx, network). Any other refusal gets the
caller's ``refused`` code (``HUB_REQUEST_FAILED`` unless told otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
from huggingface_hub import errors

from workers.integrations.errors import IntegrationError

REFUSED = "HUB_REQUEST_FAILED"


@contextmanager
def hub_errors(what: str, *, refused: str = REFUSED) -> Iterator[None]:
    """Run Hub calls about ``what`` (e.g. ``model acme/x``), mapping their failures to codes."""
    try:
        yield
    except IntegrationError:
        raise
    except errors.LocalEntryNotFoundError as exc:
        # The client gave up reaching the Hub for a file (after its own retries) and has no cached
        # copy: an outage or a refusal, said by the cause, not a file missing from the repo.
        raise _from_cause(what, exc.__cause__, refused) from None
    except errors.LocalTokenNotFoundError:
        raise IntegrationError("HUB_TOKEN_INVALID", f"No Hub token was given for the {what}.") from None
    except errors.HfHubHTTPError as exc:
        raise _from_http(what, exc, refused) from None
    except (httpx2.TransportError, TimeoutError, ConnectionError) as exc:  # huggingface_hub speaks httpx2
        raise IntegrationError(
            "HUB_UNAVAILABLE", f"The Hub could not be reached for the {what}: {type(exc).__name__}.", transient=True
        ) from None


def _from_http(what: str, exc: errors.HfHubHTTPError, refused: str) -> IntegrationError:
    if isinstance(exc, errors.GatedRepoError):
        return IntegrationError("HUB_GATED", f"The {what} is gated: set a Hub token with access to it.")
    if isinstance(exc, (errors.RepositoryNotFoundError, errors.RevisionNotFoundError)):
        return IntegrationError("HUB_NOT_FOUND", f"The {what} was not found on the Hub ({_kind(exc)}).")
    if isinstance(exc, (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError)):
        return IntegrationError("HUB_NOT_FOUND", f"A file of the {what} was not found on the Hub.")
    response = exc.response
    status = response.status_code if response is not None else None
    detail = (response.headers.get("x-error-message") if response is not None else None) or f"HTTP {status}"
    retry_after = _retry_after(response.headers.get("retry-after") if response is not None else None)
    if status == 401:
        return IntegrationError(
            "HUB_TOKEN_INVALID", f"The Hub rejected the token for the {what} (revoked, expired or unknown)."
        )
    if status == 402:
        return IntegrationError("HUB_PAYMENT_REQUIRED", f"The Hub asks for a payment method for the {what}: {detail}.")
    if status == 403:
        return IntegrationError("HUB_TOKEN_FORBIDDEN", f"The token may not do this for the {what}: {detail}.")
    if status == 429:
        return IntegrationError(
            "HUB_RATE_LIMITED",
            f"The Hub is rate-limiting requests for the {what}.",
            transient=True,
            retry_after=retry_after,
        )
    if status is not None and (status >= 500 or status == 408):
        return IntegrationError(
            "HUB_UNAVAILABLE",
            f"The Hub failed for the {what} (HTTP {status}).",
            transient=True,
            retry_after=retry_after,
        )
    return IntegrationError(refused, f"The Hub refused the request for the {what}: {detail}.")


def _from_cause(what: str, cause: BaseException | None, refused: str) -> IntegrationError:
    if isinstance(cause, errors.HfHubHTTPError):
        return _from_http(what, cause, refused)
    if cause is None:  # the client was told not to go online (HF_HUB_OFFLINE): retrying cannot help
        return IntegrationError("HUB_OFFLINE", f"The Hub is switched off for this worker; the {what} is not cached.")
    return IntegrationError(
        "HUB_UNAVAILABLE", f"The Hub could not be reached for the {what}: {type(cause).__name__}.", transient=True
    )


def _retry_after(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the HTTP-date form is not used by the Hub)."""
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _kind(exc: Exception) -> str:
    return "no such revision" if isinstance(exc, errors.RevisionNotFoundError) else "no such repository"
