"""The notary's signing keys (ADR 0026): read from a mounted file, or a loudly named development key.

The key file holds one ``PRIVATE+KEY+...`` line per key (Go ``sumdb/note`` format, ``schemas.checkpoint``);
every checkpoint is signed by each, in file order. A rotation is a file with the old and the new key for
an overlap (verifiers add the new verifier key), then the new key alone (docs/security.md). Key
material is never logged or put in an error: only names and key ids are.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    cosign,
    generate_key,
    key_id,
    parse_signer,
    parse_verifier,
    sign,
)

log = structlog.get_logger(__name__)

DEV_KEY_NAME = "hiring-pipeline-DEVELOPMENT-ONLY-notary"
"""The name every development checkpoint is signed under: it says what it is in every note."""
DEV_KEY_FILE = "notary-DEVELOPMENT-ONLY.key"
PUBLIC_DEV_KEY_NAME = "hiring-pipeline-INSECURE-PUBLIC-DEV-notary"
"""The fixed development key of ``DECISION_TLOG_INSECURE_DEV_KEY`` (a chart's development install): its
seed is written below, so anyone can sign as it. It only lets several pods agree without a Secret."""
_PUBLIC_DEV_SEED = hashlib.sha256(b"hiring-pipeline public development notary key: never trust it").digest()


def verifier_of(signer: Signer) -> Verifier:
    """The verifier key of a signer."""
    return Verifier(signer.name, signer.key_id, signer.private.public_key())


def load_signers(path: Path) -> list[Signer]:
    """Every ``PRIVATE+KEY`` line of ``path`` (blank lines and ``#`` comments skipped), at least one."""
    signers = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                signers.append(parse_signer(line.strip()))
            except NoteError as exc:  # its message names the key, never its bytes
                raise NoteError(f"{path}, line {number}: {exc}") from None
    if not signers:
        raise NoteError(f"{path} holds no PRIVATE+KEY line")
    return signers


def dev_signer(directory: Path) -> Signer:
    """The local development key in ``directory`` (created on first use, readable by its owner only)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / DEV_KEY_FILE
    if not path.exists():
        skey, _ = generate_key(DEV_KEY_NAME)
        try:  # two first starts at once: one key wins, both use it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(skey + "\n")
        except FileExistsError:
            pass
    return load_signers(path)[0]


def dev_key_dir() -> Path:
    """``$XDG_STATE_HOME/hiring-pipeline/tlog`` (default ``~/.local/state/hiring-pipeline/tlog``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hiring-pipeline" / "tlog"


def public_dev_signer() -> Signer:
    """The fixed, public development key (``PUBLIC_DEV_KEY_NAME``)."""
    private = Ed25519PrivateKey.from_private_bytes(_PUBLIC_DEV_SEED)
    kid = key_id(PUBLIC_DEV_KEY_NAME, private.public_key().public_bytes_raw())
    seed = base64.b64encode(b"\x01" + _PUBLIC_DEV_SEED).decode()
    return parse_signer(f"PRIVATE+KEY+{PUBLIC_DEV_KEY_NAME}+{kid.hex()}+{seed}")


def notary_signers(key_file: Path | None, insecure_dev_key: bool = False) -> list[Signer]:
    """The signers of ``DECISION_TLOG_KEY_FILE``, or a development key (said loudly in the log)."""
    if key_file is not None:
        return load_signers(key_file)
    signer = public_dev_signer() if insecure_dev_key else dev_signer(dev_key_dir())
    log.warning("transparency log signed with the DEVELOPMENT key; set DECISION_TLOG_KEY_FILE in production",
                key=f"{signer.name}+{signer.key_id.hex()}")  # fmt: skip
    return [signer]


def parse_verifiers(text: str) -> list[Verifier]:
    """Verifier keys separated by commas or new lines."""
    return [parse_verifier(part) for part in text.replace(",", "\n").split() if part]


def sign_all(checkpoint: Checkpoint, signers: Sequence[Signer]) -> str:
    """The checkpoint's note signed by every signer, in order (old and new during a rotation)."""
    note = sign(checkpoint, signers[0])
    for signer in signers[1:]:
        note = cosign(note, signer)
    return note


@dataclass(frozen=True)
class KeySet:
    """The verifier keys the query role serves and checks checkpoints against."""

    verifiers: tuple[Verifier, ...]

    def texts(self) -> list[str]:
        """Each verifier key as text."""
        return [v.text() for v in self.verifiers]
