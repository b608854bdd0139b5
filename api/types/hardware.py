"""The Spaces hardware catalogue: its flavours, where it came from, and the outcome of a refresh."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.types.common import UserError
from workflow.catalogue import CurrentCatalogue, Refreshed, RefreshFailed
from workflow.core.hardware import GIB, Flavour


@strawberry.enum(description="Where the catalogue in use comes from.")
class HardwareCatalogueSource(Enum):
    DEFAULT = "DEFAULT"
    HUB = "HUB"


@strawberry.type(description="A Spaces hardware flavour; memory and TFLOPs are per GPU (fit is judged per GPU).")
class HardwareFlavour:
    name: str = strawberry.field(description="The flavour as Spaces name it, e.g. `a10g-large`.")
    pretty_name: str
    accelerator_model: str | None = strawberry.field(description="The GPU model (`A10G`), null for a CPU flavour.")
    gpu_count: int
    memory_per_gpu_bytes: float = strawberry.field(
        description="Usable memory of one GPU in bytes (as CUDA reports it; a Float, past Int's range)."
    )
    memory_per_gpu_gib: float
    tflops_per_gpu: float = strawberry.field(description="Peak dense 16-bit (bf16/fp16) tensor TFLOPs of one GPU.")
    bf16: bool = strawberry.field(description="Whether the GPU runs bfloat16.")
    usd_per_hour: float = strawberry.field(description="The price per hour (the Hub bills per minute).")
    cpu: str | None
    ram: str | None

    @classmethod
    def of(cls, flavour: Flavour) -> HardwareFlavour:
        """The GraphQL view of a flavour."""
        return cls(
            name=flavour.name,
            pretty_name=flavour.pretty_name,
            accelerator_model=flavour.accelerator,
            gpu_count=flavour.gpu_count,
            memory_per_gpu_bytes=float(flavour.memory_per_gpu_bytes),
            memory_per_gpu_gib=round(flavour.memory_per_gpu_bytes / GIB, 3),
            tflops_per_gpu=flavour.tflops_per_gpu,
            bf16=flavour.bf16,
            usd_per_hour=flavour.usd_per_hour,
            cpu=flavour.cpu,
            ram=flavour.ram,
        )


@strawberry.type(description="The hardware catalogue in use: the last reading of the Hub, else the default table.")
class HardwareCatalogue:
    source: HardwareCatalogueSource
    fetched_at: datetime | None = strawberry.field(description="When it was read from the Hub; null for the default.")
    as_of: str = strawberry.field(description="The reading's time, or the date the default table was taken.")
    description: str = strawberry.field(description="Where the flavours and prices come from, in words.")
    notes: list[str] = strawberry.field(description="What had to be assumed while reading it.")
    flavours: list[HardwareFlavour]

    @classmethod
    def of(cls, current: CurrentCatalogue) -> HardwareCatalogue:
        """The GraphQL view of the catalogue in use."""
        catalogue = current.catalogue
        return cls(
            source=HardwareCatalogueSource.HUB if current.from_hub else HardwareCatalogueSource.DEFAULT,
            fetched_at=current.fetched_at,
            as_of=catalogue.as_of,
            description=f"Hub hardware list read from {current.endpoint}" if current.from_hub else catalogue.source,
            notes=list(catalogue.notes),
            flavours=[HardwareFlavour.of(flavour) for flavour in catalogue.flavours],
        )


@strawberry.type(description="The Hub's hardware list was read and is the catalogue in use.")
class HardwareCatalogueRefreshed:
    catalogue: HardwareCatalogue
    stored: bool = strawberry.field(description="False when a reading made later was stored first (it is kept).")

    @classmethod
    def of(cls, outcome: Refreshed) -> HardwareCatalogueRefreshed:
        """The GraphQL view of a successful refresh."""
        return cls(catalogue=HardwareCatalogue.of(outcome.current), stored=outcome.stored)


@strawberry.type(
    description="The Hub failed or sent no usable hardware list; nothing changed and `kept` is still in use."
)
class HardwareRefreshFailed(UserError):  # noqa: N818  (a GraphQL result type, as in api.types.common)
    transient: bool = strawberry.field(description="Whether trying again later may help (Hub down, rate limit).")
    kept: HardwareCatalogue

    @classmethod
    def of(cls, outcome: RefreshFailed) -> HardwareRefreshFailed:
        """The GraphQL view of a failed refresh."""
        return cls(
            message=outcome.message,
            code=outcome.code,
            transient=outcome.transient,
            kept=HardwareCatalogue.of(outcome.kept),
        )
