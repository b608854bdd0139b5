"""The hardware catalogue over the API: `hardwareFlavours` and the admin's `refreshHardwareCatalogue`,
against the Hub stand-in through the real huggingface_hub client.

The catalogue is one row for the whole service, so every test here starts and ends without it.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, select

from db.models import HardwareCatalogue
from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.servers import InProcessServer
from tests.support.spaces_standin import HARDWARE
from trainpack.database import unit_of_work
from workflow.access import Scope
from workflow.core.hardware import DEFAULT_FLAVOURS

FLAVOURS = """
query { hardwareFlavours { source fetchedAt asOf description notes
  flavours { name prettyName acceleratorModel gpuCount memoryPerGpuBytes memoryPerGpuGib tflopsPerGpu usdPerHour } } }
"""
REFRESH = """
mutation { refreshHardwareCatalogue {
  __typename
  ... on HardwareCatalogueRefreshed { stored catalogue { source fetchedAt flavours { name gpuCount usdPerHour } } }
  ... on HardwareRefreshFailed { code message transient kept { source fetchedAt flavours { name } } }
  ... on Forbidden { code requiredScope }
  ... on UserError { code message } } }
"""
CREATE = "mutation { createPackage(input: {}) { ... on PackageCreated { package { id } draft { revision } } } }"
SAVE = """
mutation ($input: SaveDraftInput!) { saveDraft(input: $input) {
  __typename ... on DraftUpdated { revision errors { path code message } } ... on UserError { code message } } }
"""
HARDWARE_PATH = r"^/api/spaces/hardware$"


@dataclass
class Stack:
    hub: HubStandin
    server: InProcessServer


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[Stack]:
    with HubStandin() as hub, InProcessServer.start(database_url, hf_endpoint=hub.url) as server:
        yield Stack(hub, server)


@pytest.fixture(autouse=True)
async def hub(stack: Stack, database_url: str) -> AsyncIterator[HubStandin]:
    """The stand-in with its shipped hardware list, and no stored catalogue before or after."""
    stack.hub.spaces.hardware = copy.deepcopy(list(HARDWARE))
    stack.hub.clear_log()
    await _forget_catalogue(database_url)
    yield stack.hub
    await _forget_catalogue(database_url)


async def _forget_catalogue(database_url: str) -> None:
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(delete(HardwareCatalogue))


async def _stored(database_url: str) -> HardwareCatalogue | None:
    async with unit_of_work(database_url) as uow:
        row: HardwareCatalogue | None = await uow.session.scalar(select(HardwareCatalogue))
        return row


@pytest.fixture
async def admin(stack: Stack, database_url: str) -> AsyncIterator[Api]:
    async with Api(stack.server.graphql_url, await issue_token(database_url, [Scope.ADMIN])) as client:
        yield client


@pytest.fixture
async def user(stack: Stack, database_url: str) -> AsyncIterator[Api]:
    scopes = [Scope.READ, Scope.WRITE, Scope.PUBLISH, Scope.DEPLOY]
    async with Api(stack.server.graphql_url, await issue_token(database_url, scopes)) as client:
        yield client


async def _refresh(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = (await api.execute(REFRESH))["refreshHardwareCatalogue"]
    return result


async def test_without_a_reading_the_default_table_is_served(user: Api) -> None:
    catalogue = (await user.execute(FLAVOURS))["hardwareFlavours"]
    assert (catalogue["source"], catalogue["fetchedAt"]) == ("DEFAULT", None)
    assert catalogue["asOf"] == "2026-08-22"
    assert [row["name"] for row in catalogue["flavours"]] == [flavour.name for flavour in DEFAULT_FLAVOURS]
    rows = {row["name"]: row for row in catalogue["flavours"]}
    assert rows["a100x8"] == {
        "name": "a100x8",
        "prettyName": "8x Nvidia A100",
        "acceleratorModel": "A100",
        "gpuCount": 8,
        "memoryPerGpuBytes": 80 * 1024**3,
        "memoryPerGpuGib": 80.0,
        "tflopsPerGpu": 312.0,
        "usdPerHour": 20.0,
    }
    assert rows["cpu-basic"]["acceleratorModel"] is None


async def test_an_admin_refresh_stores_the_hubs_list_with_hourly_prices(admin: Api, hub: HubStandin) -> None:
    hub.spaces.hardware.append(_h200())
    refreshed = await _refresh(admin)
    assert refreshed["__typename"] == "HardwareCatalogueRefreshed"
    assert refreshed["stored"] is True
    assert refreshed["catalogue"]["source"] == "HUB"
    assert len(hub.requests_for(HARDWARE_PATH, "GET")) == 1
    catalogue = (await admin.execute(FLAVOURS))["hardwareFlavours"]
    assert catalogue["source"] == "HUB"
    assert catalogue["fetchedAt"] == refreshed["catalogue"]["fetchedAt"]
    assert hub.url in catalogue["description"]
    rows = {row["name"]: row for row in catalogue["flavours"]}
    assert [row["name"] for row in catalogue["flavours"]] == [row["name"] for row in hub.spaces.hardware]
    # The Hub prices per minute (a100x4: 0.166667 $/min); the catalogue per hour.
    assert rows["a100x4"]["usdPerHour"] == pytest.approx(10.0, abs=1e-4)
    assert rows["l40sx8"]["usdPerHour"] == pytest.approx(23.5, abs=1e-4)
    assert rows["t4-small"]["usdPerHour"] == pytest.approx(0.4, abs=1e-4)
    assert rows["cpu-basic"]["usdPerHour"] == 0.0
    # The Hub's quantity is a string and its vram a total: counts and per-GPU memory still come right.
    assert (rows["a100x4"]["gpuCount"], rows["a100x4"]["memoryPerGpuGib"]) == (4, 80.0)
    assert (rows["l4x4"]["gpuCount"], rows["l4x4"]["acceleratorModel"]) == (4, "L4")
    # An accelerator the shipped table does not know: memory from the Hub, a conservative speed, a note.
    assert rows["h200x1"]["memoryPerGpuBytes"] == 141 * 10**9
    assert any("H200" in note for note in catalogue["notes"])


async def test_only_an_admin_may_refresh(user: Api, hub: HubStandin, database_url: str) -> None:
    refused = await _refresh(user)
    assert refused == {
        "__typename": "Forbidden",
        "code": "FORBIDDEN",
        "requiredScope": "admin",
        "message": refused["message"],
    }
    assert hub.requests_for(HARDWARE_PATH) == []  # refused before the Hub is asked
    assert await _stored(database_url) is None


async def test_a_hub_failure_is_typed_and_keeps_the_stored_catalogue(
    admin: Api, hub: HubStandin, database_url: str
) -> None:
    first = await _refresh(admin)
    before = await _stored(database_url)
    assert before is not None
    hub.spaces.hardware = [row for row in hub.spaces.hardware if row["name"] != "t4-small"]
    hub.inject(HARDWARE_PATH, 401, times=1)
    failed = await _refresh(admin)
    assert failed["__typename"] == "HardwareRefreshFailed"
    assert (failed["code"], failed["transient"]) == ("HUB_TOKEN_INVALID", False)
    assert failed["kept"]["source"] == "HUB"
    assert failed["kept"]["fetchedAt"] == first["catalogue"]["fetchedAt"]
    assert "t4-small" in [row["name"] for row in failed["kept"]["flavours"]]
    after = await _stored(database_url)
    assert after is not None
    assert (after.fetched_at, after.flavour_names) == (before.fetched_at, before.flavour_names)


async def test_a_hub_outage_is_transient(admin: Api, hub: HubStandin) -> None:
    hub.inject(HARDWARE_PATH, 503, times=1)  # the client asks once (no retries for this call)
    failed = await _refresh(admin)
    assert failed["__typename"] == "HardwareRefreshFailed"
    assert (failed["code"], failed["transient"]) == ("HUB_UNAVAILABLE", True)
    assert failed["kept"]["source"] == "DEFAULT"  # nothing was ever read: the default table stays in use


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param([], id="empty"),
        pytest.param([{"name": "cpu-basic"}], id="rows-the-client-cannot-read"),
        pytest.param({"name": "a10g-large"}, id="not-a-list"),
        pytest.param([dict(HARDWARE[0]), dict(HARDWARE[1])], id="no-gpu"),
        pytest.param([{**HARDWARE[2], "unitCostUSD": "cheap"}], id="bad-price"),
    ],
)
async def test_a_garbage_reply_keeps_the_stored_catalogue(
    admin: Api, hub: HubStandin, database_url: str, reply: Any
) -> None:
    await _refresh(admin)
    before = await _stored(database_url)
    hub.spaces.hardware = reply
    failed = await _refresh(admin)
    assert failed["__typename"] == "HardwareRefreshFailed"
    assert (failed["code"], failed["transient"]) == ("HUB_HARDWARE_INVALID", False)
    after = await _stored(database_url)
    assert before is not None and after is not None
    assert (after.fetched_at, after.flavour_names) == (before.fetched_at, before.flavour_names)
    catalogue = (await admin.execute(FLAVOURS))["hardwareFlavours"]
    assert len(catalogue["flavours"]) == len(HARDWARE)


async def test_concurrent_refreshes_leave_one_catalogue_the_latest_reading(admin: Api, database_url: str) -> None:
    outcomes = await asyncio.gather(*(_refresh(admin) for _ in range(6)))
    assert {outcome["__typename"] for outcome in outcomes} == {"HardwareCatalogueRefreshed"}
    stored = await _stored(database_url)
    assert stored is not None
    latest = max(outcome["catalogue"]["fetchedAt"] for outcome in outcomes)
    assert stored.fetched_at.isoformat() == latest
    async with unit_of_work(database_url) as uow:
        assert len((await uow.session.scalars(select(HardwareCatalogue))).all()) == 1


async def test_a_flavour_the_hub_adds_becomes_valid_in_step_4(admin: Api, user: Api, hub: HubStandin) -> None:
    created = (await user.execute(CREATE))["createPackage"]
    package_id, revision = created["package"]["id"], created["draft"]["revision"]
    deploy: dict[str, Any] = {
        "target": "HF_SPACE",
        "space": {"owner": "acme", "name": f"train-{uuid.uuid4().hex[:6]}", "hardware": "h200x1"},
        "hubTokenSecret": "HF_TOKEN",
    }
    before = await _save(user, package_id, revision, deploy)
    assert ("deploy.space.hardware", "HARDWARE_UNKNOWN") in _codes(before)
    hub.spaces.hardware.append(_h200())
    assert (await _refresh(admin))["__typename"] == "HardwareCatalogueRefreshed"
    deploy["budgetUsd"] = 50
    after = await _save(user, package_id, before["revision"], deploy)
    assert ("deploy.space.hardware", "HARDWARE_UNKNOWN") not in _codes(after)
    # And one the Hub no longer lists is unknown from then on.
    hub.spaces.hardware = [row for row in hub.spaces.hardware if row["name"] != "h200x1"]
    await _refresh(admin)
    deploy["budgetUsd"] = 60
    dropped = await _save(user, package_id, after["revision"], deploy)
    unknown = [error for error in dropped["errors"] if error["code"] == "HARDWARE_UNKNOWN"]
    assert len(unknown) == 1
    assert "a100x8" in unknown[0]["message"]


async def _save(api: Api, package_id: str, revision: int, deploy: dict[str, Any]) -> dict[str, Any]:
    variables = {"id": package_id, "expectedRevision": revision, "steps": {"deploy": deploy}}
    saved: dict[str, Any] = (await api.execute(SAVE, input=variables))["saveDraft"]
    assert saved["__typename"] == "DraftUpdated", saved
    return saved


def _codes(saved: dict[str, Any]) -> set[tuple[str, str]]:
    return {(error["path"], error["code"]) for error in saved["errors"]}


def _h200() -> dict[str, Any]:
    """A flavour the Hub added after the default table was taken, on a GPU the shipped table does not know."""
    return {
        "name": "h200x1",
        "prettyName": "1x Nvidia H200",
        "cpu": "24 vCPU",
        "ram": "256 GB",
        "ephemeralStorage": "50 GB",
        "unitCostMicroUSD": 83333,
        "unitCostUSD": 0.083333,
        "unitLabel": "minute",
        "accelerator": {"type": "gpu", "model": "H200", "quantity": "1", "vram": "141 GB", "manufacturer": "Nvidia"},
    }
