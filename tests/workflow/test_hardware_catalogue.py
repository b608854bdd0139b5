"""The hardware catalogue: the shipped table and the parser of the Hub's live list."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.core.hardware import (
    ACCELERATORS,
    DEFAULT_CATALOGUE,
    FLAVOURS_BY_NAME,
    GIB,
    UNKNOWN_ACCELERATOR_TFLOPS,
    CatalogueError,
    flavour_from_json,
    flavour_to_json,
    parse_spaces_hardware,
    require_usable,
)

# The shape huggingface_hub.list_spaces_hardware() returns (prices per minute).
HUB_LIST: list[dict[str, Any]] = [
    {
        "name": "cpu-basic",
        "prettyName": "CPU basic",
        "cpu": "2 vCPU",
        "ram": "16 GB",
        "unitCostMicroUSD": 0,
        "unitCostUSD": 0,
        "unitLabel": "minute",
    },
    {
        "name": "t4-small",
        "prettyName": "Nvidia T4 - small",
        "cpu": "4 vCPU",
        "ram": "15 GB",
        "accelerator": {"model": "T4", "quantity": 1, "vram": "16 GB", "manufacturer": "Nvidia"},
        "unitCostMicroUSD": 6667,
        "unitCostUSD": 0.006667,
        "unitLabel": "minute",
    },
    {
        "name": "a10g-largex4",
        "prettyName": "4x Nvidia A10G - large",
        "cpu": "48 vCPU",
        "ram": "184 GB",
        "accelerator": {"model": "A10G", "quantity": 4, "vram": "96 GB", "manufacturer": "Nvidia"},
        "unitCostMicroUSD": 83333,
        "unitCostUSD": 0.083333,
        "unitLabel": "minute",
    },
    {
        "name": "rtx-pro-6000x2",
        "prettyName": "2x Nvidia RTX PRO 6000",
        "cpu": "48 vCPU",
        "ram": "360 GB",
        "accelerator": {"model": "RTX PRO 6000", "quantity": 2, "vram": "192 GB", "manufacturer": "Nvidia"},
        "unitCostMicroUSD": 100000,
        "unitCostUSD": 0.1,
        "unitLabel": "minute",
    },
    {
        "name": "b300x1",
        "prettyName": "1x Nvidia B300",
        "cpu": "30 vCPU",
        "ram": "250 GB",
        "accelerator": {"model": "B300", "quantity": 1, "vram": "288 GB", "manufacturer": "Nvidia"},
        "unitCostMicroUSD": 150000,
        "unitCostUSD": 0.15,
        "unitLabel": "minute",
    },
]


def test_the_default_table_is_the_current_list() -> None:
    names = set(FLAVOURS_BY_NAME)
    assert {"a100x4", "a100x8", "l40sx8", "l4x4", "a10g-largex2", "a10g-largex4", "cpu-basic", "cpu-upgrade"} <= names
    assert not any(name.startswith("h100") for name in names)
    assert DEFAULT_CATALOGUE.as_of == "2026-08-22"
    assert FLAVOURS_BY_NAME["a100-large"].usd_per_hour == 2.50
    assert FLAVOURS_BY_NAME["l40sx8"].usd_per_hour == 23.50


def test_memory_is_per_gpu_and_usable() -> None:
    l4x4 = FLAVOURS_BY_NAME["l4x4"]
    assert (l4x4.gpu_count, l4x4.accelerator) == (4, "L4")
    assert l4x4.memory_per_gpu_bytes == FLAVOURS_BY_NAME["l4x1"].memory_per_gpu_bytes < 24 * GIB
    assert FLAVOURS_BY_NAME["a100x8"].memory_per_gpu_gib == 80.0
    assert FLAVOURS_BY_NAME["t4-small"].memory_per_gpu_gib == 15.0
    assert not FLAVOURS_BY_NAME["t4-small"].bf16
    assert not FLAVOURS_BY_NAME["cpu-upgrade"].has_gpu


def test_the_hub_list_is_parsed_with_per_minute_prices() -> None:
    catalogue = parse_spaces_hardware(HUB_LIST, as_of="2026-12-01T10:00:00Z")
    rows = catalogue.by_name()
    assert catalogue.as_of == "2026-12-01T10:00:00Z"
    assert rows["t4-small"].usd_per_hour == pytest.approx(0.40, abs=1e-3)
    assert rows["a10g-largex4"].usd_per_hour == pytest.approx(5.00, abs=1e-3)
    assert rows["a10g-largex4"].gpu_count == 4
    assert rows["a10g-largex4"].memory_per_gpu_bytes == ACCELERATORS["A10G"].memory_bytes
    assert rows["a10g-largex4"].tflops_per_gpu == ACCELERATORS["A10G"].tflops
    assert rows["rtx-pro-6000x2"].tflops_per_gpu == ACCELERATORS["RTX PRO 6000"].tflops
    assert rows["cpu-basic"].accelerator is None
    assert rows["cpu-basic"].cpu == "2 vCPU"


def test_an_unknown_accelerator_gets_the_conservative_default_and_a_note() -> None:
    catalogue = parse_spaces_hardware(HUB_LIST, as_of="now")
    b300 = catalogue.by_name()["b300x1"]
    assert b300.tflops_per_gpu == UNKNOWN_ACCELERATOR_TFLOPS
    assert b300.memory_per_gpu_bytes == 288 * 10**9
    assert not b300.bf16
    assert len(catalogue.notes) == 1
    assert "B300" in catalogue.notes[0]


def test_vram_totals_are_split_per_gpu() -> None:
    row = {"name": "x", "unitCostUSD": 0.1, "accelerator": {"model": "Z9", "quantity": 4, "vram": "4x 24 GB"}}
    assert parse_spaces_hardware([row], as_of="now").flavours[0].memory_per_gpu_bytes == 24 * 10**9
    row["accelerator"] = {"model": "Z9", "quantity": 2, "vram": "96 GB"}
    assert parse_spaces_hardware([row], as_of="now").flavours[0].memory_per_gpu_bytes == 48 * 10**9


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "x"}, "array"),
        ("cpu-basic", "array"),
        ([{"prettyName": "no name", "unitCostUSD": 0}], "no name"),
        ([{"name": "x", "unitCostUSD": "free"}], "unitCostUSD"),
        ([{"name": "x", "unitCostUSD": -1}], "unitCostUSD"),
        ([{"name": "x", "unitCostUSD": 1, "unitLabel": "fortnight"}], "unitLabel"),
        ([], "empty"),
        ([{"name": "x", "unitCostUSD": 0}, {"name": "x", "unitCostUSD": 1}], "twice"),
    ],
)
def test_malformed_lists_are_refused(raw: Any, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse_spaces_hardware(raw, as_of="now")


def test_the_gpu_count_is_read_from_the_hubs_string() -> None:
    # huggingface_hub's JobAccelerator types ``quantity`` as a string ("4"), as the Hub sends it.
    row = {
        "name": "a100x4",
        "unitCostUSD": 10 / 60,
        "accelerator": {"model": "A100", "quantity": "4", "vram": "320 GB"},
    }
    a100x4 = parse_spaces_hardware([row], as_of="now").flavours[0]
    assert a100x4.gpu_count == 4
    assert a100x4.memory_per_gpu_gib == 80.0
    assert a100x4.usd_per_hour == pytest.approx(10.0)
    row["accelerator"] = {"model": "A100", "quantity": "four", "vram": "80 GB"}
    assert parse_spaces_hardware([row], as_of="now").flavours[0].gpu_count == 1


def test_a_list_without_a_gpu_is_not_usable() -> None:
    cpus = parse_spaces_hardware([{"name": "cpu-basic", "unitCostUSD": 0}], as_of="now")
    with pytest.raises(CatalogueError, match="no GPU"):
        require_usable(cpus)
    assert require_usable(DEFAULT_CATALOGUE) is DEFAULT_CATALOGUE


def test_stored_flavours_read_back_the_same() -> None:
    for flavour in (*DEFAULT_CATALOGUE.flavours, *parse_spaces_hardware(HUB_LIST, as_of="now").flavours):
        assert flavour_from_json(flavour_to_json(flavour)) == flavour
