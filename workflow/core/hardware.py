"""The hardware catalogue: Spaces flavours with their accelerators, memory, speed and price (pure).

A dated default table ships with the code (``DEFAULT_CATALOGUE``); ``parse_spaces_hardware`` turns
the Hub's live list (``huggingface_hub.list_spaces_hardware()``, prices per minute) into the same
rows, taking each accelerator's speed from ``ACCELERATORS`` because the Hub does not publish it.

Memory is stored **per GPU, in bytes, as usable by CUDA** (what ``nvidia-smi`` reports as total),
not the marketing figure: a "16 GB" T4 offers 15 GiB, an "80 GB" A100 80 GiB. Fit is judged per
GPU against that number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GIB = 1024**3
MIB = 1024**2

CATALOGUE_DATE = "2026-08-22"
"""When the default table was taken: huggingface/hub-docs ``docs/hub/spaces-gpus.md`` at that date."""
CATALOGUE_SOURCE = "default table (Hub Spaces GPU documentation, 2026-08-22)"
HUB_SOURCE = "list_spaces_hardware"
"""The ``source`` of a catalogue read from the Hub's live list."""

UNKNOWN_ACCELERATOR_TFLOPS = 30.0
"""Assumed dense 16-bit TFLOPs of an accelerator this table does not know (under half a T4's: conservative)."""
UNKNOWN_FP32_TFLOPS = 4.0


@dataclass(frozen=True)
class Accelerator:
    """One GPU model: usable memory, peak dense 16-bit tensor and plain float32 throughput, and
    bfloat16 support. (A float32 training runs at the float32 rate: torch leaves TF32 off.)"""

    model: str
    memory_bytes: int
    tflops: float
    fp32_tflops: float
    bf16: bool
    source: str


# Peak dense (no sparsity) 16-bit tensor-core TFLOPs per GPU, from the vendors' datasheets;
# usable memory is the total ``nvidia-smi`` reports (the datasheet's "GB" less ECC/reserved).
ACCELERATORS: dict[str, Accelerator] = {
    spec.model: spec
    for spec in (
        # NVIDIA T4 datasheet: 65 TFLOPS mixed-precision FP16/FP32 tensor; 16 GB GDDR6 (15360 MiB
        # usable). Turing has no bfloat16: a bf16 training does not run on it.
        Accelerator("T4", 15360 * MIB, 65.0, 8.1, False, "NVIDIA T4 datasheet: 65 TFLOPS FP16 tensor"),
        # NVIDIA L4 datasheet: 242 TFLOPS BF16/FP16 tensor with sparsity, so 121 dense; 24 GB (23034 MiB).
        Accelerator("L4", 23034 * MIB, 121.0, 30.3, True, "NVIDIA L4 datasheet: 242 TFLOPS BF16 sparse, 121 dense"),
        # AWS's A10G (Ampere GA102) has no public datasheet; NVIDIA's A10 lists 125 dense BF16, the
        # A10G runs lower clocks and is commonly measured near 70. 24 GB (23028 MiB).
        Accelerator(
            "A10G", 23028 * MIB, 70.0, 31.2, True, "A10 datasheet 125 TFLOPS BF16 dense; A10G lower clocks: 70"
        ),
        # NVIDIA L40S datasheet: 362.05 TFLOPS BF16/FP16 tensor dense (733 sparse); 48 GB (46068 MiB).
        Accelerator("L40S", 46068 * MIB, 362.0, 91.6, True, "NVIDIA L40S datasheet: 362 TFLOPS BF16 dense"),
        # NVIDIA A100 datasheet: 312 TFLOPS BF16/FP16 tensor dense (624 sparse); 80 GB (81920 MiB).
        Accelerator("A100", 81920 * MIB, 312.0, 19.5, True, "NVIDIA A100 datasheet: 312 TFLOPS BF16 dense"),
        # NVIDIA RTX PRO 6000 Blackwell Server Edition: 96 GB (97887 MiB); the datasheet quotes
        # 4 PFLOPS FP4 with sparsity, i.e. about 500 TFLOPS dense BF16 with FP32 accumulation.
        Accelerator(
            "RTX PRO 6000", 97887 * MIB, 500.0, 120.0, True, "RTX PRO 6000 datasheet: 4 PF FP4 sparse, ~500 BF16"
        ),
    )
}


@dataclass(frozen=True)
class Flavour:
    """A Spaces hardware flavour. ``accelerator`` is ``None`` for a CPU-only flavour (then ``gpu_count``
    is 0 and memory and TFLOPs are 0); memory and TFLOPs are **per GPU**."""

    name: str
    pretty_name: str
    accelerator: str | None
    gpu_count: int
    memory_per_gpu_bytes: int
    tflops_per_gpu: float
    usd_per_hour: float
    bf16: bool = True
    fp32_tflops_per_gpu: float = 0.0
    cpu: str | None = None
    ram: str | None = None

    @property
    def memory_per_gpu_gib(self) -> float:
        """Usable memory of one GPU in GiB."""
        return self.memory_per_gpu_bytes / GIB

    @property
    def has_gpu(self) -> bool:
        """Whether the flavour has at least one GPU."""
        return self.gpu_count > 0


@dataclass(frozen=True)
class Catalogue:
    """The flavours on offer, where they came from, when, and what had to be assumed while reading them."""

    flavours: tuple[Flavour, ...]
    source: str
    as_of: str
    notes: tuple[str, ...] = ()

    def by_name(self) -> dict[str, Flavour]:
        """The flavours keyed by name."""
        return {flavour.name: flavour for flavour in self.flavours}


def _gpu(name: str, pretty: str, model: str, count: int, usd_per_hour: float) -> Flavour:
    spec = ACCELERATORS[model]
    return Flavour(
        name, pretty, model, count, spec.memory_bytes, spec.tflops, usd_per_hour, spec.bf16, spec.fp32_tflops
    )


DEFAULT_FLAVOURS: tuple[Flavour, ...] = (
    Flavour("cpu-basic", "CPU basic", None, 0, 0, 0.0, 0.0, cpu="2 vCPU", ram="16 GB"),
    Flavour("cpu-upgrade", "CPU upgrade", None, 0, 0, 0.0, 0.03, cpu="8 vCPU", ram="32 GB"),
    _gpu("t4-small", "Nvidia T4 small", "T4", 1, 0.40),
    _gpu("t4-medium", "Nvidia T4 medium", "T4", 1, 0.60),
    _gpu("l4x1", "1x Nvidia L4", "L4", 1, 0.80),
    _gpu("l4x4", "4x Nvidia L4", "L4", 4, 3.80),
    _gpu("a10g-small", "Nvidia A10G small", "A10G", 1, 1.00),
    _gpu("a10g-large", "Nvidia A10G large", "A10G", 1, 1.50),
    _gpu("a10g-largex2", "2x Nvidia A10G large", "A10G", 2, 3.00),
    _gpu("a10g-largex4", "4x Nvidia A10G large", "A10G", 4, 5.00),
    _gpu("l40sx1", "1x Nvidia L40S", "L40S", 1, 1.80),
    _gpu("l40sx4", "4x Nvidia L40S", "L40S", 4, 8.30),
    _gpu("l40sx8", "8x Nvidia L40S", "L40S", 8, 23.50),
    _gpu("a100-large", "Nvidia A100", "A100", 1, 2.50),
    _gpu("a100x4", "4x Nvidia A100", "A100", 4, 10.00),
    _gpu("a100x8", "8x Nvidia A100", "A100", 8, 20.00),
)
"""Spaces flavours and prices of the Hub documentation at ``CATALOGUE_DATE``. H100s were removed in
December 2025; the RTX PRO 6000 flavours have no published price there, so they come only from a
refresh (``parse_spaces_hardware``), which knows their accelerator."""

DEFAULT_CATALOGUE = Catalogue(
    DEFAULT_FLAVOURS,
    CATALOGUE_SOURCE,
    CATALOGUE_DATE,
    ("RTX PRO 6000 flavours are not in the default table (no published price); a refresh adds them.",),
)

FLAVOURS_BY_NAME: dict[str, Flavour] = DEFAULT_CATALOGUE.by_name()
"""The default flavours by name (what step 4's rules accept until a refreshed catalogue is stored)."""


class CatalogueError(ValueError):
    """The Hub's hardware list could not be read (not a list, a row without a name or price)."""


def parse_spaces_hardware(raw: Any, *, as_of: str) -> Catalogue:
    """Catalogue rows from ``list_spaces_hardware()``-shaped JSON, fetched at ``as_of`` (ISO time).

    Each row is ``{name, prettyName, cpu, ram, unitCostUSD, unitLabel: "minute", accelerator?:
    {model, quantity, vram, …}}``; the hourly price is ``unitCostUSD × 60`` (``× 1`` for a row
    priced per hour). Speed and usable memory come from ``ACCELERATORS`` by model; an unknown
    accelerator gets ``UNKNOWN_ACCELERATOR_TFLOPS``, memory from its ``vram`` and a note saying so.
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise CatalogueError("The hardware list must be a JSON array.")
    if not raw:
        raise CatalogueError("The hardware list is empty.")
    flavours: list[Flavour] = []
    notes: list[str] = []
    for index, row in enumerate(raw):
        if not isinstance(row, Mapping) or not isinstance(row.get("name"), str) or not row["name"]:
            raise CatalogueError(f"Row {index} has no name.")
        flavour, note = _parse_row(row)
        if any(seen.name == flavour.name for seen in flavours):
            raise CatalogueError(f"Flavour {flavour.name!r} is listed twice.")
        flavours.append(flavour)
        if note:
            notes.append(note)
    return Catalogue(tuple(flavours), HUB_SOURCE, as_of, tuple(notes))


def require_usable(catalogue: Catalogue) -> Catalogue:
    """``catalogue`` if it can stand in for the Hub's offer: a reply without a single GPU flavour is
    taken for a broken one (storing it would make every GPU choice unknown)."""
    if not any(flavour.has_gpu for flavour in catalogue.flavours):
        raise CatalogueError("The hardware list has no GPU flavour.")
    return catalogue


def _parse_row(row: Mapping[str, Any]) -> tuple[Flavour, str | None]:
    name = str(row["name"])
    cost = row.get("unitCostUSD")
    if isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0:
        raise CatalogueError(f"{name}: unitCostUSD must be a non-negative number.")
    label = row.get("unitLabel", "minute")
    per_hour = {"minute": 60.0, "hour": 1.0}.get(str(label))
    if per_hour is None:
        raise CatalogueError(f"{name}: unknown unitLabel {label!r} (minute or hour).")
    pretty = str(row.get("prettyName") or name)
    cpu = str(row["cpu"]) if row.get("cpu") is not None else None
    ram = str(row["ram"]) if row.get("ram") is not None else None
    usd_per_hour = round(float(cost) * per_hour, 6)
    accelerator = row.get("accelerator")
    if not isinstance(accelerator, Mapping):
        return Flavour(name, pretty, None, 0, 0, 0.0, usd_per_hour, cpu=cpu, ram=ram), None
    model = str(accelerator.get("model") or "unknown")
    count = _quantity(accelerator.get("quantity", 1))
    spec = _accelerator(model)
    if spec is not None:
        flavour = Flavour(
            name,
            pretty,
            spec.model,
            count,
            spec.memory_bytes,
            spec.tflops,
            usd_per_hour,
            spec.bf16,
            spec.fp32_tflops,
            cpu,
            ram,
        )
        return flavour, None
    memory = _vram_bytes(accelerator.get("vram"), count)
    note = (
        f"{name}: accelerator {model!r} is not in the shipped table; assumed {UNKNOWN_ACCELERATOR_TFLOPS:g} dense "
        f"16-bit TFLOPs ({UNKNOWN_FP32_TFLOPS:g} float32), no bfloat16, and {memory / GIB:.1f} GiB per GPU from "
        "its reported memory."
    )
    flavour = Flavour(
        name,
        pretty,
        model,
        count,
        memory,
        UNKNOWN_ACCELERATOR_TFLOPS,
        usd_per_hour,
        False,
        UNKNOWN_FP32_TFLOPS,
        cpu,
        ram,
    )
    return flavour, note


def _quantity(raw: Any) -> int:
    """The GPU count: the Hub sends it as a string ("4"); anything unreadable counts as one GPU."""
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 1


def _accelerator(model: str) -> Accelerator | None:
    """The shipped spec for a model name as the Hub spells it ("Nvidia A10G", "A100 80GB", "L40S" …)."""
    key = model.upper().replace("NVIDIA", "").replace("-", " ").strip()
    for spec in sorted(ACCELERATORS.values(), key=lambda spec: -len(spec.model)):
        if key == spec.model.upper() or key.startswith(spec.model.upper() + " "):
            return spec
    return None


def _vram_bytes(vram: Any, count: int) -> int:
    """Per-GPU bytes from the Hub's ``vram`` (a total like "4x 24 GB" or "96 GB", or a number of GB)."""
    if isinstance(vram, int | float) and not isinstance(vram, bool):
        return int(float(vram) * 1e9 / count)
    text = str(vram or "").upper().replace("GIB", "GB")
    digits = "".join(char if char.isdigit() or char == "." else " " for char in text.split("X")[-1]).split()
    if not digits:
        return 0
    value = float(digits[0]) * 1e9
    return int(value if "X" in text else value / count)


def flavour_to_json(flavour: Flavour) -> dict[str, Any]:
    """The stored form of one flavour (a stored catalogue keeps what was read, not what it was read from)."""
    return {
        "name": flavour.name,
        "prettyName": flavour.pretty_name,
        "accelerator": flavour.accelerator,
        "gpuCount": flavour.gpu_count,
        "memoryPerGpuBytes": flavour.memory_per_gpu_bytes,
        "tflopsPerGpu": flavour.tflops_per_gpu,
        "fp32TflopsPerGpu": flavour.fp32_tflops_per_gpu,
        "bf16": flavour.bf16,
        "usdPerHour": flavour.usd_per_hour,
        "cpu": flavour.cpu,
        "ram": flavour.ram,
    }


def flavour_from_json(raw: Mapping[str, Any]) -> Flavour:
    """Inverse of ``flavour_to_json``."""
    return Flavour(
        name=str(raw["name"]),
        pretty_name=str(raw.get("prettyName") or raw["name"]),
        accelerator=raw.get("accelerator"),
        gpu_count=int(raw.get("gpuCount", 0)),
        memory_per_gpu_bytes=int(raw.get("memoryPerGpuBytes", 0)),
        tflops_per_gpu=float(raw.get("tflopsPerGpu", 0.0)),
        usd_per_hour=float(raw["usdPerHour"]),
        bf16=bool(raw.get("bf16", True)),
        fp32_tflops_per_gpu=float(raw.get("fp32TflopsPerGpu", 0.0)),
        cpu=raw.get("cpu"),
        ram=raw.get("ram"),
    )
