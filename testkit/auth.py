"""Bearer tokens for tests and benchmarks.

The issuer is the one ``AUTH_JWKS_FILE`` points into (tests/conftest.py makes one per session), else the
local development issuer; ``auth_env()`` is what a child service needs to trust it, ``bearer(role,
sub)`` the Authorization header of a token. A ``service`` token acts for whichever participant a
request names, which is what most tests want; the access tests use the real roles.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path

from services.platform.devkeys import DevIssuer, default_dir, dev_issuer

SERVICE_SUB = "testkit"


def issuer() -> DevIssuer:
    """The issuer whose JWKS ``AUTH_JWKS_FILE`` names, else the local development issuer."""
    configured = os.environ.get("AUTH_JWKS_FILE")
    return dev_issuer(Path(configured).parent if configured else None)


def auth_env() -> dict[str, str]:
    """``AUTH_*`` of this process, else the local issuer's (for a child service)."""
    if any(name.startswith("AUTH_") for name in os.environ):
        return {}
    return issuer().env()


def token(role: str | Iterable[str], sub: str, ttl_s: float = 3600, interviews: Iterable[str] = ()) -> str:
    """A token of the local issuer."""
    return issuer().issue(role, sub, ttl_s, interviews)


def bearer(role: str | Iterable[str] = "service", sub: str = SERVICE_SUB, **kwargs: object) -> dict[str, str]:
    """``{"Authorization": "Bearer ..."}`` for ``role`` and ``sub``."""
    return {"Authorization": f"Bearer {token(role, sub, **kwargs)}"}  # type: ignore[arg-type]


def service_headers() -> dict[str, str]:
    """A service token's header (valid 12 h): may act for any participant and read every verdict."""
    return dict(_service_headers(os.environ.get("AUTH_JWKS_FILE") or str(default_dir())))


@functools.cache
def _service_headers(_directory: str) -> tuple[tuple[str, str], ...]:
    return tuple(bearer("service", SERVICE_SUB, ttl_s=12 * 3600).items())
