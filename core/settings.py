"""One settings class for the API, the worker and the embedded stack, read from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.codec import parse_keys

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
    # Temporal payload encryption (core/codec.py): "id:base64key,…" with every key still needed,
    # and the id that encrypts new payloads (default: the first). Unset outside production, a
    # key is made once under VAR_DIR; unset in production, the service refuses to start.
    payload_keys: str | None = None
    payload_key_id: str | None = None
    # Browser origins allowed to call /codec (the Temporal UI); default: the embedded UI's.
    codec_origins: str | None = None
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
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.jwt_secret == PLACEHOLDER_SECRET:
            raise ValueError("JWT_SECRET is still the placeholder; set a real secret in production")
        if self.environment == "production" and len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters in production")
        return self

    @model_validator(mode="after")
    def _check_payload_keys(self) -> Settings:
        if self.payload_keys is not None:
            parse_keys(self.payload_keys, self.payload_key_id)  # a bad key fails at start
        elif self.environment == "production":
            raise ValueError(
                "PAYLOAD_KEYS is not set; Temporal payloads must be encrypted in production"
            )
        return self

    @property
    def ui_origins(self) -> list[str]:
        """Origins of the Temporal UI that may call the codec endpoint."""
        if self.codec_origins is not None:
            return [o.strip().rstrip("/") for o in self.codec_origins.split(",") if o.strip()]
        port = self.temporal_ui_port
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
