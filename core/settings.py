"""One settings class for the API, the worker and the embedded stack, read from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-in-production"  # noqa: S105 - the placeholder we refuse outside dev


class Settings(BaseSettings):
    """Service settings; every field can be set by the upper-case environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "inquiries"
    jwt_secret: str = PLACEHOLDER_SECRET
    jwt_ttl_minutes: int = 480
    reply_wait_seconds: float = 15.0
    # How often intake reloads its copy of the intake keys and categories (used while PostgreSQL
    # is down); an admin change reloads it at once.
    intake_refresh_seconds: float = 60.0
    # Public lookups and citizen forms per client IP and minute (a token bucket; then 429).
    public_rate_per_minute: int = 30
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    var_dir: Path = Path("var")
    # The worker's tuning (temporalio.worker.Worker); unset keeps the SDK's default. See
    # docs/benchmarks.md for what they trade: a larger sticky cache replays less and holds more.
    worker_max_cached_workflows: int = 1000
    worker_max_concurrent_workflow_tasks: int | None = None
    worker_max_concurrent_activities: int | None = None
    worker_workflow_task_pollers: int = 5
    worker_activity_task_pollers: int = 5
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.jwt_secret == PLACEHOLDER_SECRET:
            raise ValueError("JWT_SECRET is still the placeholder; set a real secret in production")
        if self.environment == "production" and len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters in production")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
