"""Where the key-encryption key comes from: ``PRIVACY_KEK`` or ``PRIVACY_KEK_FILE`` (a mounted secret)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.platform.privacy.crypto import Kek, KekError, dev_kek_file, parse_kek


def _dev_kek_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hiring-pipeline" / "privacy" / "dev-kek"


class PrivacySettings(BaseSettings):
    """``PRIVACY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="PRIVACY_", extra="ignore")

    kek: SecretStr | None = Field(
        default=None, description="The key-encryption key: base64url of 32 random bytes (a secret)."
    )
    kek_file: Path | None = Field(
        default=None, description="A file holding the key-encryption key (e.g. a mounted Kubernetes Secret)."
    )
    dev_kek: bool = Field(
        default=True,
        description="With neither set, use (and create once, mode 0600) a local development KEK at "
        "$XDG_STATE_HOME/hiring-pipeline/privacy/dev-kek (or at a PRIVACY_KEK_FILE that does not exist); "
        "false: refuse to start without a KEK (production).",
    )
    key_timeout_s: float = Field(default=5.0, gt=0, description="Wait for the key store before refusing.")

    @property
    def uses_dev_kek(self) -> bool:
        """Neither PRIVACY_KEK nor PRIVACY_KEK_FILE is set: the local development KEK is used."""
        return self.kek is None and self.kek_file is None and self.dev_kek

    def load_kek(self) -> Kek:
        """The KEK; ``KekError`` (naming the source, never the value) when missing or malformed."""
        if self.kek is not None:
            return parse_kek(self.kek.get_secret_value(), "PRIVACY_KEK")
        path = self.kek_file
        if path is None:
            if not self.dev_kek:
                raise KekError("no key-encryption key: set PRIVACY_KEK_FILE (or PRIVACY_KEK)")
            path = dev_kek_file(_dev_kek_path())
        elif self.dev_kek and not path.exists():
            dev_kek_file(path)  # a development KEK at a chosen path (e.g. a pod's writable volume)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KekError(f"PRIVACY_KEK_FILE {path} cannot be read: {exc.strerror}") from None
        return parse_kek(text, f"PRIVACY_KEK_FILE {path}")
