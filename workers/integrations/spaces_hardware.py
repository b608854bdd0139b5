"""The Hub's list of Spaces hardware, read with huggingface_hub's ``list_spaces_hardware``.

The client turns each row into a ``JobHardwareInfo`` (and fails on a row it cannot read); the rows
are handed on in the Hub's own JSON shape, which the pure parser (``workflow.core.hardware``) reads.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from huggingface_hub import HfApi

from trainpack.settings import Settings
from workers.integrations.errors import IntegrationError
from workers.integrations.hub_errors import hub_errors
from workflow.catalogue import HUB_HARDWARE_INVALID, HardwareSource, SourceFailure

WHAT = "Spaces hardware list"


def list_spaces_hardware(*, endpoint: str, token: str | None) -> list[dict[str, Any]]:
    """The Hub's hardware rows (prices per minute), or a coded ``IntegrationError``."""
    with hub_errors(WHAT):
        try:
            rows = HfApi(endpoint=endpoint, token=token).list_spaces_hardware()
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            # Not a list of hardware objects: the client could not build its rows from the reply.
            raise IntegrationError(
                HUB_HARDWARE_INVALID, f"The Hub's {WHAT} could not be read ({type(exc).__name__})."
            ) from None
    return [
        {
            "name": row.name,
            "prettyName": row.pretty_name,
            "cpu": row.cpu,
            "ram": row.ram,
            "unitCostMicroUSD": row.unit_cost_micro_usd,
            "unitCostUSD": row.unit_cost_usd,
            "unitLabel": row.unit_label,
            "accelerator": (
                None
                if row.accelerator is None
                else {
                    "type": row.accelerator.type,
                    "model": row.accelerator.model,
                    "quantity": row.accelerator.quantity,
                    "vram": row.accelerator.vram,
                    "manufacturer": row.accelerator.manufacturer,
                }
            ),
        }
        for row in rows
    ]


def hub_hardware_source(settings: Settings) -> HardwareSource:
    """How a refresh reads the list: in a thread (the client is synchronous), failures as ``SourceFailure``."""

    async def read() -> list[dict[str, Any]]:
        try:
            return await asyncio.to_thread(list_spaces_hardware, endpoint=settings.hf_endpoint, token=settings.hf_token)
        except IntegrationError as error:
            raise SourceFailure(error.code, error.message, transient=error.transient) from None

    return read
