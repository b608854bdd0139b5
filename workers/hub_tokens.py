"""The Hub token a job's calls carry: its organisation's own, from the organisation's secrets.

The secret is the one the package's step 4 names (``deploy.hubTokenSecret``), else ``HF_TOKEN``;
an organisation without it falls back to the process's ``HF_TOKEN`` setting (the operator's
token, for public repositories and rate limits: leave it unset where tenants must not share it).
The value is read in a short transaction of its own, before any Hub call, and handed only to the
Hub client.
"""

from __future__ import annotations

from workers.database import unit_of_work, worker_settings
from workers.integrations.errors import IntegrationError
from workers.runner import JobContext
from workflow import secrets
from workflow.errors import OperationRefusedError
from workflow.sealing import SecretBox, SecretUnreadableError

_box: tuple[str | None, SecretBox | None] | None = None


def secret_box() -> SecretBox | None:
    """The process's box for ``TRAINPACK_SECRET_KEY`` (made once per key)."""
    global _box
    key = worker_settings().secret_key
    if _box is None or _box[0] != key:
        _box = (key, SecretBox.from_setting(key))
    return _box[1]


async def hub_token(context: JobContext) -> str | None:
    """The token for this job's Hub calls (``None``: anonymous)."""
    job = context.job
    try:
        async with unit_of_work() as uow:
            token = await secrets.hub_token(uow, secret_box(), job.organisation_id, job.package_id)
    except (SecretUnreadableError, OperationRefusedError):
        raise IntegrationError(
            "SECRET_UNREADABLE", "The organisation's Hub token secret cannot be decrypted by this worker."
        ) from None
    return token if token is not None else context.settings.hf_token
