"""Settings from environment variables (prefix ``TRAINPACK_``, plus the customary names)."""

from __future__ import annotations

from pathlib import Path

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
    max_body_bytes: int = 1_000_000
    event_catch_up_seconds: float = Field(default=1.0, description="Re-read the event log at least this often.")
    subscriber_buffer: int = Field(default=1000, description="Events buffered per subscriber before it is cut off.")
    token_recheck_seconds: float = Field(
        default=30.0, description="How often a live subscription re-checks that its token is not revoked."
    )
    event_retention_hours: float = Field(default=168.0, description="Events older than this are pruned.")


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings()
