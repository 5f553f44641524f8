"""Settings from ``BALIE_*`` environment variables, each with a documented default.

Settings are read when the application or a command is created, never at import time,
so tests build their own ``Settings`` and pass them in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "balie-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BALIE_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development", description="`production` refuses the default secret key."
    )
    data_dir: Path = Field(Path("data"), description="Where the SQLite database lives.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/balie.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    secret_key: str = Field(DEFAULT_SECRET_KEY, description="Signs session cookies.")
    host: str = Field("127.0.0.1", description="Address `balie serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `balie serve` listens on.")
    workers: int = Field(
        1, ge=1, le=32, description="Server processes `balie serve` starts (SQLite or PostgreSQL)."
    )
    public_url: str = Field("", description="URL agents use; defaults to http://HOST:PORT.")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body.")
    session_max_age: int = Field(12 * 3600, ge=60, description="Session lifetime, seconds.")
    cookie_secure: bool = Field(False, description="Send cookies over HTTPS only.")
    login_attempts: int = Field(5, ge=1, description="Failed log-ins allowed per window.")
    login_window_seconds: int = Field(300, ge=1, description="Log-in rate-limit window.")
    redis_url: str = Field(
        "",
        description="Redis for live events across server processes (redis://host:6379/0); "
        "empty means one process.",
    )
    redis_prefix: str = Field("balie:", description="Prefix of Balie's Redis channels.")
    live_sweep_seconds: float = Field(
        1.0,
        gt=0,
        le=3600,
        description="How often live sockets catch up on changes no hint announced.",
    )
    chat_visitors_per_ip_hour: int = Field(
        60, ge=1, description="New chat visitor tokens per client address per hour."
    )
    chat_connections_per_ip_hour: int = Field(
        600, ge=1, description="Chat socket connections per client address per hour."
    )
    chat_messages_per_10s: int = Field(
        20, ge=1, description="Messages one chat visitor may send in 10 seconds."
    )
    chat_starts_per_hour: int = Field(
        5, ge=1, description="Conversations one chat visitor may start per hour."
    )
    smtp_listen: str = Field(
        "",
        description="Where the built-in SMTP receiver listens for inbound mail "
        "(127.0.0.1:2525); empty means no receiver.",
    )
    smtp_hostname: str = Field("", description="The name the SMTP receiver greets with.")
    smtp_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest inbound mail; larger gets SMTP 552."
    )
    email_sender_limit_per_hour: int = Field(
        30,
        ge=1,
        description="Mails one sender address may deliver per hour before Balie answers 451 "
        "(stops mail loops).",
    )
    smtp_relay: str = Field(
        "",
        description="host:port of the SMTP server outgoing mail goes through; empty means "
        "mail stays queued in the outbox.",
    )
    smtp_relay_security: Literal["auto", "none", "starttls", "tls"] = Field(
        "auto",
        description="auto: STARTTLS when the relay offers it; starttls: required; "
        "tls: implicit TLS (port 465); none: plain.",
    )
    smtp_relay_username: str = Field("", description="Log-in name at the relay, if needed.")
    smtp_relay_password: str = Field("", description="Password at the relay, if needed.")
    outbox_max_attempts: int = Field(
        10, ge=1, le=100, description="Sending attempts before an outgoing mail is failed."
    )
    outbox_poll_seconds: float = Field(
        1.0, gt=0, le=3600, description="How often the outbox looks for mail to send."
    )
    imap_poll_seconds: float = Field(
        60.0,
        gt=0,
        le=86400,
        description="How often polled IMAP mailboxes are checked where the server has no IDLE.",
    )
    timer_poll_seconds: float = Field(
        1.0, gt=0, le=3600, description="How often the timer loop looks for timers that are due."
    )
    background_in_server: bool = Field(
        True,
        description="Fire timers and poll IMAP mailboxes inside `balie serve`; switch off "
        "when `balie worker` processes do it.",
    )
    repeat_count: int = Field(
        3, ge=2, le=100, description="Contacts about one product or order that make a repeat."
    )
    repeat_window_days: int = Field(
        180, ge=1, le=3650, description="The window in which contacts count as repeats."
    )
    abuse_warnings_before_end: int = Field(
        2, ge=1, le=20, description="Boundary warnings after which an agent may end the chat."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    log_json: bool = Field(True, description="Structured JSON logs on stderr.")

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "BALIE_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'balie.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"
