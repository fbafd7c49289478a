"""Bearer token verification: what is accepted, what is refused and what the refusal says."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from services.platform.auth import AuthSettings, Role, TokenError, Verifier
from services.platform.devkeys import DEV_AUDIENCE, DEV_ISSUER, dev_issuer, parse_ttl
from testkit.auth import issuer, token
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app


def verifier() -> Verifier:
    return Verifier(AuthSettings())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": "alice", "iat": now, "exp": now + 60}
    return base | {"roles": ["interviewer"]} | overrides


def signed(payload: dict[str, Any], **kwargs: Any) -> str:
    return jwt.encode(payload, issuer().key, algorithm="EdDSA", headers={"kid": issuer().kid}, **kwargs)


def test_a_valid_token_names_its_principal() -> None:
    p = verifier().verify(token(["interviewer", "unknown-role"], "alice", interviews=["iv-1"]))
    assert (p.sub, p.iss, p.roles, p.interviews) == ("alice", DEV_ISSUER, {Role.INTERVIEWER}, {"iv-1"})


# Payloads are built when the test runs (not at collection: a long session would expire them first).
BAD_CLAIMS: list[tuple[Callable[[], dict[str, Any]], str]] = [
    (lambda: claims(exp=int(time.time()) - 120), "expired"),
    (lambda: claims(iss="https://evil.example"), "issuer"),
    (lambda: claims(aud="another-api"), "(?i)audience"),
    (lambda: claims(sub="alice smith"), "sub must be an id"),
    (lambda: claims(interviews="iv-1"), "interviews must be a list"),
    (lambda: {k: v for k, v in claims().items() if k != "exp"}, "exp"),
]


@pytest.mark.parametrize(("payload", "why"), BAD_CLAIMS, ids=[why for _, why in BAD_CLAIMS])
def test_bad_claims_are_refused(payload: Callable[[], dict[str, Any]], why: str) -> None:
    with pytest.raises(TokenError, match=why):
        verifier().verify(signed(payload()))


def test_the_clock_skew_is_allowed_and_no_more() -> None:
    now = int(time.time())
    assert verifier().verify(signed(claims(exp=now - 10, iat=now - 100))).sub == "alice"  # within 30 s
    with pytest.raises(TokenError, match="expired"):
        verifier().verify(signed(claims(exp=now - 40, iat=now - 100)))


def test_symmetric_none_and_foreign_keys_are_refused(tmp_path: Path) -> None:
    jwks = json.loads(Path(AuthSettings().jwks_file or "").read_text())
    public_x = jwks["keys"][0]["x"].encode()
    hmac = jwt.encode(claims(), public_x * 2, algorithm="HS256", headers={"kid": issuer().kid})
    with pytest.raises(TokenError, match="not allowed"):  # alg confusion: the public key as an HMAC secret
        verifier().verify(hmac)
    with pytest.raises(TokenError, match="not allowed"):
        verifier().verify(jwt.encode(claims(), None, algorithm="none"))
    stranger = dev_issuer(tmp_path / "other")  # a valid signature by a key we do not trust
    with pytest.raises(TokenError, match="kid"):
        verifier().verify(stranger.issue("auditor", "eve"))
    forged = jwt.encode(claims(), stranger.key, algorithm="EdDSA", headers={"kid": issuer().kid})
    with pytest.raises(TokenError, match="not valid"):
        verifier().verify(forged)
    with pytest.raises(TokenError):
        verifier().verify("not.a.token")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_rsa_and_ec_keys_from_a_jwks_file(tmp_path: Path, alg: str) -> None:
    key: Any = (
        rsa.generate_private_key(65537, 2048) if alg == "RS256" else ec.generate_private_key(ec.SECP256R1())
    )
    to_jwk = RSAAlgorithm.to_jwk if alg == "RS256" else ECAlgorithm.to_jwk
    jwk = json.loads(to_jwk(key.public_key())) | {"kid": "k1", "alg": alg}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    settings = AuthSettings(jwks_file=tmp_path / "jwks.json", issuer=DEV_ISSUER, audience=DEV_AUDIENCE)
    good = jwt.encode(claims(roles=["auditor"]), key, algorithm=alg, headers={"kid": "k1"})
    assert Verifier(settings).verify(good).roles == {Role.AUDITOR}


def test_settings_refuse_to_run_open_by_accident(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH_JWKS_FILE", "AUTH_ISSUER", "AUTH_AUDIENCE"):
        monkeypatch.delenv(name)
    problems = AuthSettings().problems()
    assert problems
    assert "AUTH_JWKS_FILE or AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE" in problems[0]
    with pytest.raises(ValueError, match="not configured"):
        Verifier(AuthSettings())
    assert AuthSettings(insecure_dev_no_auth=True).problems() == []
    with pytest.raises(ValidationError, match="choose one"):
        AuthSettings(insecure_dev_no_auth=True, issuer="x")
    with pytest.raises(ValidationError, match="not allowed"):
        AuthSettings(algorithms="RS256,HS256")


def test_ttl_spelling() -> None:
    assert [parse_ttl(t) for t in ("90", "90s", "15m", "8h", "2d")] == [90, 90, 900, 28800, 172800]
    with pytest.raises(ValueError, match="ttl"):
        parse_ttl("soon")


async def test_refusals_say_why_in_problem_json_and_www_authenticate() -> None:
    interview = fuzz_interview_app(InProcessGateway())
    decision = fuzz_decision_app([])
    body = {"expected_version": 1, "outcome": "completed"}
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=interview), base_url="http://i") as i,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=decision), base_url="http://d") as d,
    ):
        missing = await i.post("/interviews/iv-1/conclusion", json=body)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="hiring-pipeline"'
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["code"] == "unauthenticated"
        expired = signed(claims(exp=int(time.time()) - 600, iat=int(time.time()) - 900))
        late = await d.get("/interviews/iv-1/verdict", headers={"Authorization": f"Bearer {expired}"})
        assert late.status_code == 401
        challenge = late.headers["www-authenticate"]
        assert 'error="invalid_token"' in challenge
        assert 'error_description="the token has expired"' in challenge
        basic = await d.get("/interviews/iv-1/verdict", headers={"Authorization": "Basic YWxpY2U6eA=="})
        assert basic.status_code == 401
        assert 'error="invalid_request"' in basic.headers["www-authenticate"]
        auditor = {"Authorization": f"Bearer {token('auditor', 'audrey')}"}
        write = await i.post("/interviews/iv-1/conclusion", json=body, headers=auditor)
        assert write.status_code == 403
        assert write.json()["code"] == "forbidden_role"
        assert 'error="insufficient_scope"' in write.headers["www-authenticate"]
        narrowed = {"Authorization": f"Bearer {token('auditor', 'audrey', interviews=['iv-2'])}"}
        assert (await d.get("/interviews/iv-1/verdict", headers=narrowed)).status_code == 404
        someone_else = {"Authorization": f"Bearer {token('interviewer', 'alice')}"}
        forged = await i.post(
            "/interviews/iv-1/conclusion", json=body | {"actor_id": "bob"}, headers=someone_else
        )
        assert forged.status_code == 403
        assert forged.json()["code"] == "actor_mismatch"
        assert "bob" not in forged.text
        wrong_side = await i.post(
            "/interviews/iv-1/conclusion", json=body | {"actor_side": "candidate"}, headers=someone_else
        )
        assert wrong_side.status_code == 403
        assert wrong_side.json()["code"] == "wrong_side"
        for probe in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert (await d.get(probe)).status_code == 200, probe


def test_keys_from_a_jwks_url_over_http() -> None:
    jwks = Path(AuthSettings().jwks_file or "").read_bytes()
    asked: list[str] = []

    class Jwks(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/realms/hiring/certs"
        settings = AuthSettings(jwks_file=None, jwks_url=url)
        found = Verifier(settings)
        assert found.fetches
        assert found.verify(token("auditor", "audrey")).sub == "audrey"
        assert found.verify(token("auditor", "audrey")).roles == {Role.AUDITOR}
        assert asked == ["/realms/hiring/certs"]  # cached: fetched once
    finally:
        server.shutdown()
        thread.join(5)


class Recording(InProcessGateway):
    """The in-process gateway, keeping every command it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[Any] = []

    async def submit(self, command: Any, timeout: float) -> Any:
        self.commands.append(command)
        return await super().submit(command, timeout)


OPEN_BODY = {
    "expected_version": 0, "candidacy_id": "cy", "round": "technical", "position": "p", "candidate_id": "c",
    "participants": [
        {"id": "c", "side": "candidate", "role": "r"}, {"id": "rita", "side": "company", "role": "r"},
    ],
}  # fmt: skip


async def test_the_principal_goes_with_the_command() -> None:
    gateway = Recording()
    app = fuzz_interview_app(gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as http:
        headers = {"Authorization": f"Bearer {token('recruiter', 'rita')}"}
        assert (await http.post("/interviews/iv-p/open", json=OPEN_BODY, headers=headers)).status_code == 201
    (command,) = gateway.commands
    assert (command.actor_id, command.actor_side) == ("rita", "company")
    p = command.principal
    assert (p.type, p.id, p.issuer, p.role) == ("user", "rita", DEV_ISSUER, "recruiter")


async def test_insecure_dev_mode_is_explicit_and_says_so_on_events(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("AUTH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTH_INSECURE_DEV_NO_AUTH", "true")
    gateway = Recording()
    app = fuzz_interview_app(gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as http:
        opened = await http.post("/interviews/iv-d/open", json=OPEN_BODY | {"actor_id": "rita"})
    assert opened.status_code == 201
    p = gateway.commands[0].principal
    assert (p.type, p.id, p.role) == ("unauthenticated", "dev-anonymous", "service")


def test_a_remembered_token_stops_working_when_its_key_is_removed(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(Path(AuthSettings().jwks_file or "").read_bytes())
    found = Verifier(AuthSettings(jwks_file=jwks))
    good = token("auditor", "audrey")
    assert found.verify(good).sub == "audrey"
    assert found.verify(good).sub == "audrey"  # remembered
    other = dev_issuer(tmp_path / "rotated")
    jwks.write_bytes(other.jwks_file.read_bytes())  # the old key is gone
    os.utime(jwks, (time.time() + 5, time.time() + 5))
    with pytest.raises(TokenError, match="kid"):
        found.verify(good)
    assert found.verify(other.issue("auditor", "audrey")).sub == "audrey"


def _forged(alg: str, kid: str) -> str:
    """A token signed with a key of ``alg`` but naming the key ``kid`` (the header lies about the key)."""
    key: Any = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if alg == "RS256"
        else (ec.generate_private_key(ec.SECP256R1()))
    )
    return jwt.encode(claims(), key, algorithm=alg, headers={"kid": kid})


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_header_algorithm_other_than_the_keys_is_refused(alg: str) -> None:
    # the development key is EdDSA: PyJWT would raise TypeError preparing it for RS256 or ES256
    with pytest.raises(TokenError, match="does not match the key"):
        verifier().verify(_forged(alg, issuer().kid))


@pytest.mark.parametrize(
    ("key_alg", "header_alg"), [("RS256", "ES256"), ("ES256", "RS256"), ("RS256", "EdDSA")]
)
def test_any_mismatch_of_header_and_jwks_key_is_refused(
    tmp_path: Path, key_alg: str, header_alg: str
) -> None:
    """The JWKS key named by kid decides the algorithm, whichever allowed one the header names."""
    trusted: Any = (
        rsa.generate_private_key(65537, 2048)
        if key_alg == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    to_jwk = RSAAlgorithm.to_jwk if key_alg == "RS256" else ECAlgorithm.to_jwk
    jwk = json.loads(to_jwk(trusted.public_key())) | {"kid": "k1"}  # no "alg": PyJWK infers it
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    settings = AuthSettings(jwks_file=tmp_path / "jwks.json", issuer=DEV_ISSUER, audience=DEV_AUDIENCE)
    signer: Any = (
        issuer().key
        if header_alg == "EdDSA"
        else (
            rsa.generate_private_key(65537, 2048)
            if header_alg == "RS256"
            else ec.generate_private_key(ec.SECP256R1())
        )
    )
    forged = jwt.encode(claims(roles=["auditor"]), signer, algorithm=header_alg, headers={"kid": "k1"})
    with pytest.raises(TokenError, match="does not match the key"):
        Verifier(settings).verify(forged)
