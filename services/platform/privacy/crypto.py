"""Sealing text with a data key, wrapping data keys with the key-encryption key (``cryptography``).

- Text: AES-256-GCM (``AESGCM``) with a random 96-bit nonce under the candidate's 256-bit data key;
  the associated data binds the ciphertext to its interview, event, type and field
  (``schemas.sealed.associated_data``).
- Data keys at rest (the key topic): AES-256-GCM under the key-encryption key (KEK), the associated
  data binding the wrapped key to its candidate and key id, so a wrapped key moved to another
  candidate does not unwrap.

The KEK comes from a secret: ``PRIVACY_KEK`` (base64url of 32 bytes) or ``PRIVACY_KEK_FILE`` (a
mounted file holding that text). It is never logged; the id logged and stored is a hash prefix.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schemas import canonical
from schemas.sealed import ALG, SealedText

KEY_BYTES = 32
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed text or wrapped key that does not open: tampered, moved, or under another key."""


def b64(raw: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """Back from ``b64``."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class DataKey:
    """A candidate's data key in memory (never stored unwrapped)."""

    candidate_id: str
    kid: str
    secret: bytes = field(repr=False)


def new_data_key(candidate_id: str) -> DataKey:
    """A fresh random 256-bit data key with a random id."""
    return DataKey(candidate_id, b64(os.urandom(16)), AESGCM.generate_key(bit_length=256))


def seal(key: DataKey, text: str, associated: bytes) -> SealedText:
    """``text`` encrypted under ``key``, bound to ``associated``."""
    nonce = os.urandom(NONCE_BYTES)
    ct = AESGCM(key.secret).encrypt(nonce, text.encode("utf-8"), associated)
    return SealedText(alg="A256GCM", kid=key.kid, nonce=b64(nonce), ct=b64(ct))


def unseal(secret: bytes, sealed: SealedText, associated: bytes) -> str:
    """The text back; ``SealError`` when the ciphertext, nonce or associated data were changed."""
    try:
        return AESGCM(secret).decrypt(unb64(sealed.nonce), unb64(sealed.ct), associated).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise SealError(f"sealed text under key {sealed.kid} does not open (tampered or moved)") from exc


class KekError(ValueError):
    """The key-encryption key is missing or malformed (the message never contains it)."""


class Kek:
    """The key-encryption key: wraps and unwraps data keys."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise KekError(f"the key-encryption key must be {KEY_BYTES} bytes, got {len(secret)}")
        self._aead = AESGCM(secret)
        self.kek_id = hashlib.sha256(b"hiring-pipeline kek id\x00" + secret).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Kek(kek_id={self.kek_id!r})"

    @staticmethod
    def _ad(candidate_id: str, kid: str) -> bytes:
        return canonical.dumps({"candidate": candidate_id, "kid": kid, "alg": ALG})

    def wrap(self, key: DataKey) -> str:
        """The data key encrypted under the KEK: ``nonce || ciphertext``, base64url."""
        nonce = os.urandom(NONCE_BYTES)
        return b64(nonce + self._aead.encrypt(nonce, key.secret, self._ad(key.candidate_id, key.kid)))

    def unwrap(self, candidate_id: str, kid: str, wrapped: str) -> DataKey:
        """A wrapped data key back; ``SealError`` under another KEK or for another candidate."""
        try:
            raw = unb64(wrapped)
            secret = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._ad(candidate_id, kid))
        except (InvalidTag, ValueError) as exc:
            raise SealError(f"data key {kid} does not unwrap with KEK {self.kek_id}") from exc
        return DataKey(candidate_id, kid, secret)


def parse_kek(text: str, where: str) -> Kek:
    """A KEK from its base64url text (``where`` names the source in errors, never the value)."""
    try:
        secret = unb64(text.strip())
    except ValueError:
        raise KekError(f"{where} is not base64url text") from None
    try:
        return Kek(secret)
    except KekError as exc:
        raise KekError(f"{where}: {exc}") from None


def new_kek_text() -> str:
    """A fresh random KEK as base64url text (for ``hiring-pipeline privacy new-kek`` and dev setups)."""
    return b64(AESGCM.generate_key(bit_length=256))


def dev_kek_file(path: Path) -> Path:
    """Create (once, mode 0600) a local development KEK file at ``path``; returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w") as out:
        out.write(new_kek_text() + "\n")
    return path
