"""Who is calling, and may they: OAuth2/OIDC bearer JWTs verified against configured keys, and a per-route
access table both HTTP APIs declare in one place.

* ``AuthSettings`` (``AUTH_*``): a JWKS file or URL, issuer, audience, asymmetric algorithms, clock skew.
  A service refuses to start without them unless ``AUTH_INSECURE_DEV_NO_AUTH=true`` is set on purpose.
* ``Verifier``: PyJWT checks the signature (key chosen by ``kid`` from the JWKS), ``exp``/``nbf``/``iat``
  with the leeway, ``iss`` and ``aud``; the roles come from the ``roles`` claim, an optional ``interviews``
  claim narrows the token to those interviews.
* ``Access``: every route's allowed roles and their scope (``all``, ``participant``, ...), in a table per
  service. ``install_access`` enforces it on every route (a route missing from the table is refused,
  fail closed) and ``undeclared_routes`` lets a test find a route nobody declared.

Refusals are problem+json: 401 with ``WWW-Authenticate: Bearer ...`` (RFC 6750) when the token is missing
or bad, 403 when the role may not use the route, 404 when the token is narrowed to other interviews. No
token and no personal data is logged: a refusal logs its code, the route and the issuer only.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from services.platform.problems import problem_body, problem_json

log = structlog.get_logger("auth")

REALM = "hiring-pipeline"
ASYMMETRIC = ("RS256", "ES256", "EdDSA")
"""The only signature algorithms accepted: a verifier holds public keys only (no HS*, never ``none``)."""
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
"""A token's ``sub`` becomes the acting participant id: it must be an ``Id`` of the contract."""
INSECURE_ISSUER = "urn:hiring-pipeline:insecure-dev"
CACHE_SIZE = 4096
CACHE_S = 60.0


class Role(StrEnum):
    """What a principal may do (the ``roles`` claim)."""

    RECRUITER = "recruiter"
    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"
    AUDITOR = "auditor"
    SERVICE = "service"


class Scope(StrEnum):
    """How far a role's grant on a route reaches."""

    ALL = "all"
    """Any interview."""
    PARTICIPANT = "participant"
    """Only interviews the principal takes part in, acting for their role's side."""
    OPENED = "opened"
    """Only interviews the principal opened."""


class AuthSettings(BaseSettings):
    """``AUTH_*``: where the public keys are and what a valid token says."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    jwks_file: Path | None = Field(default=None, description="JWKS (JSON) file of the issuer's public keys.")
    jwks_url: str | None = Field(
        default=None, description="JWKS URL of the issuer (cached, fetched again on an unknown kid)."
    )
    issuer: str | None = Field(default=None, description="Required `iss` of every token.")
    audience: str | None = Field(default=None, description="Required `aud` of every token.")
    algorithms: str = Field(
        default=",".join(ASYMMETRIC), description="Allowed algorithms, comma-separated: RS256, ES256, EdDSA."
    )
    leeway_s: float = Field(default=30.0, ge=0, le=300, description="Clock skew allowed on exp/nbf/iat.")
    insecure_dev_no_auth: bool = Field(
        default=False,
        description="Development only: serve without authentication, every caller acting as role service. "
        "Refused when any other AUTH_* setting is given.",
    )

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: str) -> str:
        names = [a.strip() for a in value.split(",") if a.strip()]
        wrong = [a for a in names if a not in ASYMMETRIC]
        if not names or wrong:
            raise ValueError(f"AUTH_ALGORITHMS: {wrong or 'empty'} not allowed; allowed: {list(ASYMMETRIC)}")
        return ",".join(names)

    @model_validator(mode="after")
    def _one_source(self) -> AuthSettings:
        if self.jwks_file is not None and self.jwks_url:
            raise ValueError("give AUTH_JWKS_FILE or AUTH_JWKS_URL, not both")
        if self.insecure_dev_no_auth and self.configured:
            raise ValueError("AUTH_INSECURE_DEV_NO_AUTH=true with other AUTH_* settings: choose one")
        return self

    @property
    def configured(self) -> bool:
        """Any key source, issuer or audience given."""
        return bool(self.jwks_file or self.jwks_url or self.issuer or self.audience)

    def problems(self) -> list[str]:
        """What keeps a service from starting (empty: it may start)."""
        if self.insecure_dev_no_auth:
            return []
        missing = [
            name
            for name, value in {
                "AUTH_JWKS_FILE or AUTH_JWKS_URL": self.jwks_file or self.jwks_url,
                "AUTH_ISSUER": self.issuer,
                "AUTH_AUDIENCE": self.audience,
            }.items()
            if not value
        ]
        if missing:
            return [
                f"authentication is not configured: set {', '.join(missing)} (`hiring-pipeline token env` "
                "prints the local development ones), or AUTH_INSECURE_DEV_NO_AUTH=true to run without "
                "authentication (development only)"
            ]
        if self.jwks_file is not None and not self.jwks_file.is_file():
            return [f"AUTH_JWKS_FILE {self.jwks_file} is not a file"]
        return []

    def allowed(self) -> list[str]:
        """The allowed algorithms as a list."""
        return self.algorithms.split(",")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    sub: str
    iss: str
    roles: frozenset[Role]
    interviews: frozenset[str] | None = None
    """The token is good only for these interviews (None: not narrowed)."""


class TokenError(Exception):
    """The token is missing, malformed, expired, or not ours: 401."""


class Verifier:
    """Verifies bearer tokens against the configured JWKS, issuer and audience."""

    def __init__(self, settings: AuthSettings) -> None:
        if settings.problems() or settings.insecure_dev_no_auth:
            raise ValueError("; ".join(settings.problems()) or "no verifier in insecure dev mode")
        self.settings = settings
        self._lock = threading.Lock()
        self._file_keys: dict[str | None, jwt.PyJWK] = {}
        self._file_mtime: float | None = None
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._client = jwt.PyJWKClient(settings.jwks_url, lifespan=300) if settings.jwks_url else None

    @property
    def fetches(self) -> bool:
        """Whether verifying may fetch keys over the network (a JWKS URL)."""
        return self._client is not None

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; ``TokenError`` saying why otherwise.

        A client sends one token many times: a verified token is remembered (at most ``CACHE_SIZE``, each
        for at most ``CACHE_S`` and never past its ``exp`` plus the leeway), and forgotten when the JWKS
        file changes. Verifying costs about 0.3 ms, a remembered token microseconds.
        """
        now = time.time()
        with self._lock:
            held = self._verified.get(token)
            if held is not None and now < held[1] and self._fresh():
                self._verified.move_to_end(token)
                return held[0]
        principal, exp = self._verify(token)
        with self._lock:
            self._verified[token] = (principal, min(exp + self.settings.leeway_s, now + CACHE_S))
            while len(self._verified) > CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _fresh(self) -> bool:
        """False (and nothing remembered) once the JWKS file changed: a removed key must stop working."""
        path = self.settings.jwks_file
        if path is None or path.stat().st_mtime == self._file_mtime:
            return True
        self._verified.clear()
        return False

    def _verify(self, token: str) -> tuple[Principal, float]:
        s = self.settings
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in s.allowed():
                raise TokenError(f"algorithm {header.get('alg')!r} not allowed; allowed: {s.allowed()}")
            key = self._key(token, header.get("kid"))
            if header["alg"] != key.algorithm_name:
                # checked here, before PyJWT prepares the key: an RSA verifier handed an Ed25519 key
                # raises TypeError, not a PyJWTError (a forged header must be a 401, never a 500)
                raise TokenError(f"algorithm {header['alg']!r} does not match the key's")
            claims = jwt.decode(
                token, key=key.key, algorithms=[key.algorithm_name], audience=s.audience, issuer=s.issuer,
                leeway=s.leeway_s, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )  # fmt: skip
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("the token has expired") from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            # PyJWTError: every check PyJWT makes; ValueError, TypeError: a key or signature that
            # cryptography cannot load (a PEM where a key object is expected, bad base64, bad lengths)
            raise TokenError(f"the token is not valid: {exc}") from exc
        return _principal(claims), float(claims["exp"])

    def _key(self, token: str, kid: str | None) -> jwt.PyJWK:
        """The JWK the token's ``kid`` names (its algorithm is the only one it verifies)."""
        found: jwt.PyJWK | None
        if self._client is not None:
            found = self._client.get_signing_key_from_jwt(token)
        else:
            keys = self._keys()
            found = keys.get(kid) or (next(iter(keys.values())) if kid is None and len(keys) == 1 else None)
        if found is None:
            raise TokenError("the token's key id (kid) is not among the configured keys")
        if found.algorithm_name not in self.settings.allowed():
            raise TokenError(f"key algorithm {found.algorithm_name} not allowed")
        return found

    def _keys(self) -> dict[str | None, jwt.PyJWK]:
        path = self.settings.jwks_file
        assert path is not None
        mtime = path.stat().st_mtime  # a rotated key (a re-mounted ConfigMap) is read again
        with self._lock:
            if mtime != self._file_mtime:
                jwks = jwt.PyJWKSet.from_dict(json.loads(path.read_text()))
                self._file_keys = {k.key_id: k for k in jwks.keys}
                self._file_mtime = mtime
            return self._file_keys


def _principal(claims: Mapping[str, Any]) -> Principal:
    sub = claims["sub"]
    if not isinstance(sub, str) or not _ID.match(sub):
        raise TokenError("sub must be an id: 1-128 characters [A-Za-z0-9._:@-]")
    raw = claims.get("roles", [])
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list):
        raise TokenError("roles must be a list of role names")
    roles = frozenset(Role(r) for r in raw if r in Role.__members__.values())
    interviews = claims.get("interviews")
    if interviews is not None and (
        not isinstance(interviews, list) or not all(isinstance(i, str) and _ID.match(i) for i in interviews)
    ):
        raise TokenError("interviews must be a list of interview ids")
    return Principal(sub, str(claims["iss"]), roles, None if interviews is None else frozenset(interviews))


# --- the access table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Who may call one route: each allowed role with its scope; ``public`` routes need no token."""

    grants: Mapping[Role, Scope] = field(default_factory=dict)
    public: bool = False
    note: str = ""
    """What a scoped grant means on this route (shown in the docs table)."""


PUBLIC = Access(public=True)


def allow(note: str = "", **grants: Scope) -> Access:
    """``allow(auditor=Scope.ALL, interviewer=Scope.PARTICIPANT)``: one route's declaration."""
    return Access({Role(name): scope for name, scope in grants.items()}, note=note)


DOCS_ROUTES: dict[str, Access] = {
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /asyncapi": PUBLIC,
    "GET /asyncapi.yaml": PUBLIC,
    "GET /asyncapi.json": PUBLIC,
    "GET /docs/assets/{asset:path}": PUBLIC,
}
"""Documentation both services serve, with the pages' scripts and styles: the contract is public."""


@dataclass(frozen=True)
class Grant:
    """An authorized request: who, as which role, how far."""

    principal: Principal
    role: Role
    scope: Scope


class AccessError(Exception):
    """A refusal: 401 (with WWW-Authenticate), 403 or 404, as problem+json."""

    def __init__(self, status: int, code: str, detail: str, challenge: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.challenge = status, code, detail, challenge


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "").replace('"', "'") + '"'


def bearer_challenge(error: str | None = None, description: str | None = None) -> str:
    """An RFC 6750 ``WWW-Authenticate`` value (no error code when no credentials were sent)."""
    parts = [f"realm={_quoted(REALM)}"]
    if error:
        parts.append(f"error={_quoted(error)}")
    if description:
        parts.append(f"error_description={_quoted(description)}")
    return "Bearer " + ", ".join(parts)


def route_key(method: str, path: str) -> str:
    """How the table names a route: ``GET /interviews/{interview_id}/verdict``."""
    return f"{method} {path}"


def routes_of(app: FastAPI) -> list[str]:
    """Every method and path ``app`` serves."""
    keys = []
    for route in app.routes:
        if isinstance(route, APIRoute | Route):
            keys += [route_key(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return keys


def undeclared_routes(app: FastAPI, table: Mapping[str, Access]) -> list[str]:
    """Routes of ``app`` missing from ``table`` (a test fails on any)."""
    return [key for key in routes_of(app) if key not in table]


INSECURE = Principal("dev-anonymous", INSECURE_ISSUER, frozenset({Role.SERVICE}))


def install_access(app: FastAPI, table: Mapping[str, Access], settings: AuthSettings) -> None:
    """Check every request of ``app`` against ``table``; the grant is ``request.state.grant``.

    Call before adding routes: the check is a dependency of every route added afterwards. The check
    itself is ``app.state.authorize`` (raises ``AccessError``; ``refusal`` answers it).
    """
    verifier = None if settings.insecure_dev_no_auth else Verifier(settings)
    if verifier is None:
        log.warning("auth.insecure_dev_no_auth", detail="AUTHENTICATION IS OFF: every caller acts as service")
    app.state.access = table

    async def authorize(request: Request) -> None:
        route = request.scope.get("route")
        # (not getattr's default: building request.url costs more than the rest of the check)
        key = route_key(request.method, route.path if route is not None else request.url.path)
        rule = table.get(key)
        if rule is None:  # fail closed: an undeclared route answers nobody
            log.error("auth.undeclared_route", route=key)
            raise AccessError(403, "forbidden", "this route has no access declaration")
        if rule.public:
            return
        principal = INSECURE if verifier is None else await _authenticate(verifier, request, key)
        role = next((r for r in rule.grants if r in principal.roles), None)
        if role is None:
            log.info("auth.refused", code="forbidden_role", route=key, issuer=principal.iss)
            allowed = ", ".join(rule.grants) or "none"
            raise AccessError(403, "forbidden_role", f"your role may not use {key}; roles allowed: {allowed}")
        interview = request.path_params.get("interview_id")
        narrowed = principal.interviews
        if narrowed is not None and interview is not None and interview not in narrowed:
            log.info("auth.refused", code="not_found", route=key, issuer=principal.iss)
            raise AccessError(404, "not_found", "no such interview for this token")
        request.state.grant = Grant(principal, role, rule.grants[role])

    from fastapi import Depends

    app.state.authorize = authorize  # for a route served without FastAPI's dependencies (a fast lane)
    app.router.dependencies.append(Depends(authorize))
    app.add_exception_handler(AccessError, refusal)
    _document(app, table)


_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
_REFUSALS = {
    "401": "Problem details: a missing or invalid bearer token (WWW-Authenticate says why).",
    "403": "Problem details: the token's role may not do this, or acts for someone else.",
    "404": "Problem details: not found, or not among the interviews the token may see.",
}


def _document(app: FastAPI, table: Mapping[str, Access]) -> None:
    """The OpenAPI document says which operations need a bearer token, and their 401/403 answers."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = plain()
        doc.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An OAuth2/OIDC access token (JWT) of the configured issuer; docs/security.md.",
        }
        for path, operations in doc.get("paths", {}).items():
            for method, operation in operations.items():
                rule = table.get(route_key(method.upper(), path))
                if rule is None or rule.public:
                    operation["security"] = []
                    continue
                operation["security"] = [{"bearer": []}]
                roles = ", ".join(f"{r.value} ({s.value})" for r, s in rule.grants.items())
                operation["description"] = (operation.get("description") or "") + f"\n\nRoles: {roles}."
                answers = operation.setdefault("responses", {})
                for status, why in _REFUSALS.items():
                    answers.setdefault(status, {"description": why, "content": _PROBLEM})
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


async def _authenticate(verifier: Verifier, request: Request, key: str) -> Principal:
    header = request.headers.get("authorization")
    if header is None:
        raise AccessError(401, "unauthenticated", "send Authorization: Bearer <token>", bearer_challenge())
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        why = "the Authorization header must be: Bearer <token>"
        raise AccessError(401, "invalid_token", why, bearer_challenge("invalid_request", why))
    try:
        if verifier.fetches:  # a JWKS URL may be fetched (blocking I/O): off the event loop
            return await run_in_threadpool(verifier.verify, token.strip())
        return verifier.verify(token.strip())  # a signature check on keys in memory: ~0.1 ms
    except TokenError as exc:
        why = str(exc)[:200]
        log.info("auth.refused", code="invalid_token", route=key, reason=why.split(":")[0])
        raise AccessError(401, "invalid_token", why, bearer_challenge("invalid_token", why)) from exc


async def refusal(request: Request, exc: Exception) -> JSONResponse:
    """The problem+json answer to an ``AccessError`` (with its ``WWW-Authenticate`` challenge)."""
    assert isinstance(exc, AccessError)
    response = problem_json(problem_body(exc.status, exc.code, exc.detail, request.url.path), exc.status)
    if exc.challenge:
        response.headers["WWW-Authenticate"] = exc.challenge
    elif exc.status == 403:
        response.headers["WWW-Authenticate"] = bearer_challenge("insufficient_scope", exc.detail)
    return response


def grant_of(request: Request) -> Grant:
    """The grant ``install_access`` put on the request."""
    grant = getattr(request.state, "grant", None)
    if not isinstance(grant, Grant):
        raise AccessError(403, "forbidden", "not authorized")
    return grant


def side_of(role: Role) -> str | None:
    """The side a role acts for: interviewer -> company, candidate -> candidate; others None."""
    return {Role.INTERVIEWER: "company", Role.CANDIDATE: "candidate", Role.RECRUITER: "company"}.get(role)
