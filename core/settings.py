"""One settings class for the API, the worker and the embedded stack, read from the environment."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.codec import parse_keys

PLACEHOLDER_SECRET = "change-me-in-production"  # noqa: S105 - the placeholder we refuse outside dev


class Settings(BaseSettings):
    """Service settings; every field can be set by the upper-case environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    # Connections each API or worker process keeps open at most: with N processes, N times this
    # must stay under the server's max_connections (README "Scaling").
    database_pool_size: int = Field(default=10, ge=1)
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "inquiries"
    # A Temporal cluster that wants TLS (self-hosted with TLS, or Temporal Cloud): paths to the
    # PEM client certificate and key for mTLS, the CA that signed the server's certificate
    # (unset: the system's roots), the name the server's certificate carries when it is not the
    # host of TEMPORAL_ADDRESS, and an API key (Temporal Cloud; sent as a bearer token, over TLS).
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: str | None = None
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
    # How long a staff action is valid: the API waits that long for a worker, then answers 503
    # no_worker, and a worker that gets the action later refuses it.
    action_wait_seconds: float = 30.0
    # How often intake reloads its copy of the intake keys and categories (used while PostgreSQL
    # is down); an admin change reloads it at once.
    intake_refresh_seconds: float = 60.0
    # Public lookups and citizen forms per client IP and minute (a token bucket; then 429).
    public_rate_per_minute: int = 30
    # What the Open311 discovery document (/open311/discovery.json) names as its contact and as
    # where civic apps ask for an api_key (an intake key, `inquiry intake-key add`).
    open311_contact: str = "办事公开办公室 (open-affairs office)"
    open311_key_service: str = "ask the open-affairs office for an intake key"
    api_host: str = "127.0.0.1"
    # Addresses (or CIDR networks, comma-separated, "*" for any) of reverse proxies whose
    # X-Forwarded-For names the client: rate limits and sign-in backoff then count per citizen,
    # not per proxy. Trust only proxies that overwrite the header (deploy/proxy/nginx.conf does).
    forwarded_allow_ips: str = "127.0.0.1"
    api_port: int = 8000
    # How long the API keeps an idle HTTP connection open. Longer than any client that reuses
    # connections keeps one idle (nginx's upstream keepalive_timeout, 60 s in
    # deploy/proxy/nginx.conf; httpx's 5 s), so the client always closes first. A server that
    # closes first races the next request on that connection: the client sees it dropped, and
    # nginx does not send a POST again. uvicorn's own default is 5 s.
    api_keep_alive_seconds: float = 75.0
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
    # How long a workflow task waits on this worker's sticky queue before the server times it
    # out (WorkflowTaskTimedOut, schedule-to-start) and hands it to any worker: the SDK's 10 s.
    worker_sticky_schedule_to_start_seconds: float = Field(default=10.0, gt=0)
    worker_max_concurrent_local_activities: int | None = None
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"
    # Hostile input: a body larger than this is refused (413) before it is read past the limit,
    # and a body still arriving after body_timeout_seconds is refused (408).
    max_body_bytes: int = 64 * 1024
    body_timeout_seconds: float = 15.0
    # Sign-in backoff: after this many failures in a row an account (or a client address) waits
    # login_backoff_seconds, doubling with each further failure up to login_backoff_max_seconds.
    login_account_failures: int = 5
    login_client_failures: int = 20
    login_backoff_seconds: float = 30.0
    login_backoff_max_seconds: float = 3600.0
    # Where citizens open their case; the reply SMS carries PUBLIC_BASE_URL/track/{code}.
    public_base_url: str = "http://127.0.0.1:8000"
    # Email over SMTP (aiosmtplib); unset SMTP_HOST keeps email on the log transport.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "noreply@localhost"
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    # SMS through a JSON gateway over HTTP, signed with HMAC-SHA256; unset keeps SMS on the log.
    sms_gateway_url: str | None = None
    sms_gateway_secret: str = ""
    # The outbox dispatcher: per-attempt timeout, retries with backoff, then it gives up.
    notify_attempt_timeout: float = 10.0
    notify_max_attempts: int = 8
    notify_give_up_hours: float = 24.0
    notify_backoff_seconds: float = 5.0
    notify_backoff_max_seconds: float = 900.0
    notify_poll_seconds: float = 1.0
    # Metrics and traces (README "Metrics and traces"). The worker's Temporal SDK metrics are
    # served in Prometheus format at this host:port, by `inquiry worker` and `inquiry run` only
    # (one per process; the API never binds it); empty turns them off.
    worker_metrics_address: str = "127.0.0.1:9464"
    # /metrics scans Temporal for stuck cases at most this often; scrapes between reuse the count.
    metrics_stuck_cache_seconds: float = 90.0
    # Traces go over OTLP/HTTP to this collector (…/v1/traces); unset, nothing is traced.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "inquiry-service"
    # Quiet hours for citizen SMS through the gateway, China time (urgent cases excepted).
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "08:00"
    # Scheduled work (Temporal Schedules `digest-daily` and `summary-monthly`, created or updated
    # when a worker starts): the unit heads' digest every day at DIGEST_TIME China time (skipped
    # on non-working days), the supervisors' summary on the 1st of each month at that time.
    schedules_enabled: bool = True
    digest_time: str = "08:30"

    @field_validator(
        "temporal_tls_cert",
        "temporal_tls_key",
        "temporal_tls_ca",
        "temporal_tls_server_name",
        "temporal_api_key",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`TEMPORAL_TLS_CA=` (as an env file or compose leaves it) means unset, not the cwd."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.jwt_secret == PLACEHOLDER_SECRET:
            raise ValueError("JWT_SECRET is still the placeholder; set a real secret in production")
        if self.environment == "production" and len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters in production")
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or none")
        if self.sms_gateway_url and not self.sms_gateway_secret:
            raise ValueError("SMS_GATEWAY_URL is set without SMS_GATEWAY_SECRET to sign with")
        return self

    @model_validator(mode="after")
    def _check_digest_time(self) -> Settings:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.digest_time):
            raise ValueError(f"DIGEST_TIME must be HH:MM (24 h), not {self.digest_time!r}")
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
