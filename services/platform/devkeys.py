"""A local development token issuer: one Ed25519 signing key, generated once, and its JWKS file.

``hiring-pipeline token issue`` signs with it, ``hiring-pipeline token env`` prints the ``AUTH_*``
settings that make a service trust it, and the main run configures both services with it. It lives in
``$XDG_STATE_HOME/hiring-pipeline/auth`` (``~/.local/state/...``): the private key readable by its owner
only. Production uses the organisation's OIDC provider instead (``AUTH_JWKS_URL``, ``AUTH_ISSUER``,
``AUTH_AUDIENCE``); nothing here is used unless asked for.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

DEV_ISSUER = "urn:hiring-pipeline:dev-issuer"
DEV_AUDIENCE = "hiring-pipeline"
KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
MAX_TTL_S = 7 * 24 * 3600


def default_dir() -> Path:
    """``$XDG_STATE_HOME/hiring-pipeline/auth`` (default ``~/.local/state/hiring-pipeline/auth``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hiring-pipeline" / "auth"


@dataclass(frozen=True)
class DevIssuer:
    """The local signing key, its key id and where its JWKS file is."""

    key: Ed25519PrivateKey
    kid: str
    jwks_file: Path

    def env(self) -> dict[str, str]:
        """The ``AUTH_*`` settings under which a service trusts this issuer's tokens."""
        return {
            "AUTH_JWKS_FILE": str(self.jwks_file),
            "AUTH_ISSUER": DEV_ISSUER,
            "AUTH_AUDIENCE": DEV_AUDIENCE,
        }

    def issue(
        self, role: str | Iterable[str], sub: str, ttl_s: float = 3600, interviews: Iterable[str] = ()
    ) -> str:
        """A signed token for ``sub`` with ``role`` (or roles), valid ``ttl_s`` seconds from now."""
        if not 0 < ttl_s <= MAX_TTL_S:
            raise ValueError(f"ttl must be between 1 second and {MAX_TTL_S // 86400} days")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl_s),
            "jti": str(uuid.uuid4()),
            "roles": [role] if isinstance(role, str) else list(role),
        }
        if interviews := list(interviews):
            claims["interviews"] = interviews
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


def dev_issuer(directory: Path | None = None) -> DevIssuer:
    """The issuer in ``directory`` (default ``default_dir()``), creating its key and JWKS on first use."""
    directory = directory or default_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path, jwks_path = directory / KEY_FILE, directory / JWKS_FILE
    if not key_path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:  # two first runs at once: one key wins, both use it
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        except FileExistsError:
            pass
    for _ in range(50):  # the winner may still be writing it
        pem = key_path.read_bytes()
        if pem.strip().endswith(b"-----END PRIVATE KEY-----"):
            break
        time.sleep(0.02)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_path} is not an Ed25519 private key")
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    kid = "dev-" + re.sub(r"[^A-Za-z0-9]", "", jwk["x"])[:16]
    jwks = {"keys": [jwk | {"kid": kid, "alg": "EdDSA", "use": "sig"}]}
    text = json.dumps(jwks, indent=2) + "\n"
    if not jwks_path.exists() or jwks_path.read_text() != text:
        tmp = jwks_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(jwks_path)
    return DevIssuer(key, kid, jwks_path)


def parse_ttl(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``8h``, ``2d`` as seconds."""
    found = re.fullmatch(r"\s*([0-9]+)\s*([smhd]?)\s*", text)
    if found is None:
        raise ValueError(f"ttl {text!r}: give a number of seconds or e.g. 15m, 8h, 2d")
    return int(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found[2]]
