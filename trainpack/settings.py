"""Settings from environment variables (prefix ``TRAINPACK_``, plus the customary names)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypedDict

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable about a trainpack process; every field has a working default."""

    model_config = SettingsConfigDict(env_prefix="TRAINPACK_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "TRAINPACK_DATABASE_URL"),
        description="PostgreSQL URL; unset means the dev command starts an embedded server.",
    )
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "TRAINPACK_REDIS_URL"))
    data_dir: Path = Field(default=Path(".data"), description="Project-local folder for the embedded database.")
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 10
    log_level: str = "INFO"
    log_json: bool = Field(default=True, description="JSON log lines (false: human-readable console lines).")
    graphiql: bool = True
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_page_size: int = 200
    max_body_bytes: int = Field(
        default=1_000_000, description="Largest request body (and websocket message); larger ones get 413 / 1009."
    )
    max_json_depth: int = Field(
        default=64, description="Deepest nesting of objects and arrays a request's JSON may have (400 JSON_TOO_DEEP)."
    )
    event_catch_up_seconds: float = Field(default=1.0, description="Re-read the event log at least this often.")
    subscriber_buffer: int = Field(default=1000, description="Events buffered per subscriber before it is cut off.")
    token_recheck_seconds: float = Field(
        default=30.0,
        description=(
            "A live subscription re-checks that its token is not revoked at least this often"
            " (each at a random point in the last fifth, so they do not all read at once)."
        ),
    )
    event_retention_hours: float = Field(default=168.0, description="Events older than this are pruned.")
    websocket_compression: bool = Field(
        default=False,
        description=(
            "Offer permessage-deflate on websockets. Off: live frames are a few hundred bytes, and"
            " compressing each for every subscriber cost more CPU than the whole delivery path."
        ),
    )
    hf_endpoint: str = Field(
        default="https://huggingface.co",
        validation_alias=AliasChoices("HF_ENDPOINT", "TRAINPACK_HF_ENDPOINT"),
        description="The Hugging Face Hub (or a mirror speaking its API).",
    )
    hf_token: str | None = Field(default=None, validation_alias=AliasChoices("HF_TOKEN", "TRAINPACK_HF_TOKEN"))
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description=(
            "Fernet key(s) sealing organisation secrets at rest (`trainpack secrets generate-key`); several,"
            " comma-separated: the first encrypts, all decrypt. A serving process with stored secrets"
            " refuses to start without the key that opens them."
        ),
    )
    model_cache_dir: Path = Field(default=Path(".data/models"), description="Where downloaded models are kept.")
    dataset_cache_dir: Path = Field(default=Path(".data/datasets"), description="Where Hub dataset files are kept.")
    bundle_dir: Path | None = Field(
        default=None,
        description="Where built package bundles are kept, named by their sha256 (API and workers share"
        " it); unset means `bundles` under the data folder.",
    )
    local_roots: list[Path] = Field(
        default=[Path(".data/local")],
        description=(
            "The folders LOCAL models and datasets may be read from (a JSON list; relative ones from the"
            " worker's working directory); a path anywhere else fails its job with LOCAL_PATH_FORBIDDEN."
        ),
    )
    worker_metrics_host: str = Field(default="127.0.0.1", description="Interface of the worker's /metrics server.")
    worker_metrics_port: int = Field(
        default=9191,
        description="Port of the worker's Prometheus metrics (0: none); the API serves its own at /metrics.",
    )
    queue_namespace: str = Field(default="trainpack", description="Redis key prefix of the job queues.")
    job_lease_seconds: float = Field(
        default=30.0, description="A running job whose worker has not reported for this long is taken over."
    )
    job_heartbeat_seconds: float = Field(default=5.0, description="How often a running job renews its lease.")
    job_progress_interval_seconds: float = Field(
        default=0.25, description="Progress is written (and streamed) at most this often per job."
    )
    job_max_attempts: int = Field(default=5, description="Attempts before a transient failure becomes final.")
    job_min_backoff_ms: int = 1000
    job_max_backoff_ms: int = 60_000
    job_time_limit_seconds: float = Field(default=3600.0, description="A job running longer than this fails.")
    sweep_every_seconds: float = Field(default=10.0, description="How often workers look for unsent or stalled jobs.")
    sweep_unsent_grace_seconds: float = Field(
        default=5.0,
        description="A job whose send failed (queue down) is sent by the sweeper after this long; one "
        "lost in a crash between commit and send, after the job lease.",
    )
    hardware_refresh_seconds: float = Field(
        default=6 * 3600.0,
        description="How often workers read the Spaces hardware list from the Hub (0: never; the admin's"
        " refreshHardwareCatalogue still can). A catalogue younger than half of this is not read again.",
    )
    hardware_refresh_first_after_seconds: float = Field(
        default=300.0,
        description="The first periodic read of the Spaces hardware list, this long after a worker starts.",
    )
    broker_heartbeat_ms: int = Field(
        default=60_000, description="Dramatiq: messages of a worker silent this long are redelivered."
    )
    broker_maintenance_chance: int = Field(
        default=1000, description="Dramatiq: out of a million broker commands, how many also run its maintenance."
    )
    max_dataset_sources: int = Field(
        default=32,
        description="Most sources one dataset step may name (each is profiled by a job; a save asking for"
        " more is refused with TOO_MANY_ITEMS).",
    )
    job_slots_per_organisation: int = Field(
        default=8,
        description="Jobs of one organisation on the queue or running at once; the rest wait in the database"
        " and are sent as these end, so one organisation's burst never starves the others.",
    )
    upload_max_bytes: int = Field(default=100_000_000, description="Largest dataset file accepted by upload.")
    profile_max_bytes: int = Field(
        default=2_000_000_000,
        description="Most bytes of data one dataset profile reads (a text file's size, what a Parquet file"
        " decompresses into); a larger dataset fails with DATASET_TOO_LARGE.",
    )
    profile_max_rows: int = Field(
        default=10_000_000, description="Most rows one dataset profile reads; more fail with DATASET_TOO_LARGE."
    )

    @property
    def bundle_folder(self) -> Path:
        """The bundle store's folder: ``bundle_dir``, else ``bundles`` under the data folder."""
        return self.bundle_dir if self.bundle_dir is not None else self.data_dir / "bundles"


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings()


class ServerOptions(TypedDict):
    """The uvicorn options that come from the settings."""

    ws: type[asyncio.Protocol]
    ws_per_message_deflate: bool
    ws_max_size: int


def server_options(settings: Settings) -> ServerOptions:
    """uvicorn options every way of serving the API shares (serve, dev, tests, benchmarks)."""
    from trainpack.websocket_protocol import FrameWritingProtocol  # only serving imports uvicorn

    return {
        "ws": FrameWritingProtocol,
        "ws_per_message_deflate": settings.websocket_compression,
        "ws_max_size": settings.max_body_bytes,
    }
