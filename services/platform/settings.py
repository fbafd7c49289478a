"""Connection settings shared by every process: where Kafka is and how to talk to it.

Every Kafka client of the product (producers, consumers, admin clients, the audit CLI, the
``hiring-pipeline`` commands) gets its keyword arguments from ``KafkaSettings.client_kwargs``: the
SASL/TLS settings are read here once. The password is a ``SecretStr`` (``**********`` in reprs, logs
and validation errors) read from ``KAFKA_SASL_PASSWORD`` or from the file ``KAFKA_SASL_PASSWORD_FILE``
names (a mounted Secret).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSecurityError(ValueError):
    """The SASL/TLS settings are incomplete or unreadable (never carries a secret)."""


class KafkaSettings(BaseSettings):
    """``KAFKA_*`` environment variables (an existing cluster, optionally with SASL/TLS)."""

    # hide_input_in_errors: a validation error must not echo KAFKA_SASL_PASSWORD back.
    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore", hide_input_in_errors=True)

    bootstrap_servers: str | None = Field(
        default=None, description="host:port[,host:port]; unset means start a broker locally."
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (never logged).")
    sasl_password_file: Path | None = Field(
        default=None,
        description="A file holding the SASL password (e.g. a mounted Secret); used when "
        "KAFKA_SASL_PASSWORD is unset. Trailing newlines are dropped.",
    )
    ssl_cafile: str | None = Field(default=None, description="CA bundle to verify the brokers.")
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    topic_prefix: str = Field(default="", description="Prepended to every topic name.")
    partitions: int = Field(default=6, ge=1, description="Partitions of interview-keyed topics.")
    replication_factor: int = Field(default=1, ge=1)
    startup_wait_s: float = Field(
        default=120.0,
        ge=0,
        description="How long a starting service retries while no broker accepts a connection (and, "
        "with topic creation off, while declared topics are missing) before it exits; keep it below "
        "the startup probe's window.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and not self.sasl_mechanism:
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_SASL_MECHANISM "
                "(PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
            )
        if self.sasl_mechanism and not sasl:
            raise ValueError(
                f"KAFKA_SASL_MECHANISM is set but KAFKA_SECURITY_PROTOCOL={self.security_protocol}; "
                "use SASL_SSL (or SASL_PLAINTEXT)"
            )
        if sasl and not self.sasl_username:
            raise ValueError("KAFKA_SASL_USERNAME is required with SASL")
        if sasl and self.sasl_password is None and self.sasl_password_file is None:
            raise ValueError("SASL needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE")
        return self

    def password(self) -> str | None:
        """The SASL password: ``KAFKA_SASL_PASSWORD``, else the content of ``KAFKA_SASL_PASSWORD_FILE``."""
        if self.sasl_password is not None:
            return self.sasl_password.get_secret_value()
        if self.sasl_password_file is None:
            return None
        try:
            return self.sasl_password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise KafkaSecurityError(
                f"KAFKA_SASL_PASSWORD_FILE={self.sasl_password_file} cannot be read: {exc.strerror}"
            ) from None

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS client context verifying the brokers (the CA file, else the system trust store)."""
        from aiokafka.helpers import create_ssl_context

        for name, path in (("CAFILE", self.ssl_cafile), ("CERTFILE", self.ssl_certfile),
                           ("KEYFILE", self.ssl_keyfile)):  # fmt: skip
            if path and not Path(path).is_file():
                raise KafkaSecurityError(f"KAFKA_SSL_{name}={path} is not a readable file")
        try:
            context: ssl.SSLContext = create_ssl_context(
                cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
            )
        except ssl.SSLError as exc:
            raise KafkaSecurityError(f"the TLS files of KAFKA_SSL_* are not usable: {exc}") from None
        return context

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client."""
        if not self.bootstrap_servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is not set")
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.password()
        if self.security_protocol in ("SSL", "SASL_SSL"):
            kwargs["ssl_context"] = self.ssl_context()
        return kwargs

    def admin_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's ``KafkaAdminClient`` (ACL administration)."""
        kwargs = self.client_kwargs()
        kwargs["bootstrap_servers"] = kwargs["bootstrap_servers"].split(",")
        return kwargs
