"""The shipped default catalogue of Hugging Face Spaces hardware flavours."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flavour:
    """A Spaces hardware flavour: GPU memory in GiB (0 for CPU) and price per hour in USD."""

    name: str
    gpu_memory_gib: int
    usd_per_hour: float


DEFAULT_FLAVOURS: tuple[Flavour, ...] = (
    Flavour("cpu-basic", 0, 0.0),
    Flavour("cpu-upgrade", 0, 0.03),
    Flavour("t4-small", 16, 0.40),
    Flavour("t4-medium", 16, 0.60),
    Flavour("l4x1", 24, 0.80),
    Flavour("l4x4", 96, 3.80),
    Flavour("a10g-small", 24, 1.00),
    Flavour("a10g-large", 24, 1.50),
    Flavour("a10g-largex2", 48, 3.00),
    Flavour("a10g-largex4", 96, 5.00),
    Flavour("l40sx1", 48, 1.80),
    Flavour("l40sx4", 192, 8.30),
    Flavour("a100-large", 80, 2.50),
    Flavour("h100", 80, 4.50),
    Flavour("h100x8", 640, 36.00),
)

FLAVOURS_BY_NAME: dict[str, Flavour] = {flavour.name: flavour for flavour in DEFAULT_FLAVOURS}
