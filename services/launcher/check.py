"""``hiring-pipeline check``: is a deployment serving? What the chart's ``helm test`` Pod runs.

Three steps, each against the services' HTTP APIs only (as any client would reach them):

1. both services answer ``/readyz`` with 200 (through their Services: only a ready pod gets traffic);
2. with a ``service`` token, the canary interview is opened (201; 409 ``already_opened`` on a later run);
3. with the same token, the decision query service answers that interview's verdict (200, naming it),
   which needs the verdict projector to have projected the opening and the query role to have read it.

Each step waits up to the deadline, then fails naming what it last saw. Exit 0 when all pass, 1 otherwise.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import typer


@dataclass(frozen=True)
class Target:
    """Where the services are, who calls, which interview, how long to wait."""

    interview_url: str
    decision_url: str
    token: str | None
    interview_id: str
    open: bool = True
    timeout_s: float = 120.0


class CheckFailedError(Exception):
    """A step did not pass before the deadline (the message says what was seen last)."""


def _canary(interview_id: str) -> dict[str, object]:
    """Opening the canary: synthetic participants, no personal data."""
    recruiter = f"{interview_id}-recruiter"
    return {
        "candidacy_id": interview_id,
        "round": "helm-test",
        "position": "helm test canary",
        "candidate_id": f"{interview_id}-candidate",
        "participants": [
            {"id": recruiter, "side": "company", "role": "recruiter"},
            {"id": f"{interview_id}-candidate", "side": "candidate", "role": "candidate"},
        ],
        "expected_version": 0,
        "actor_id": recruiter,
    }


def _describe(response: httpx.Response) -> str:
    try:
        code = response.json().get("code")
    except ValueError:
        code = None
    return f"{response.status_code}{f' {code}' if code else ''}"


class Checker:
    """Runs the steps against one ``Target``; ``say`` reports progress."""

    def __init__(self, target: Target, client: httpx.Client, say: Callable[[str], None] = print) -> None:
        self.target, self.client, self.say = target, client, say
        self.deadline = time.monotonic() + target.timeout_s
        self.headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}

    def run(self) -> None:
        """All steps in order; raises ``CheckFailedError`` at the first that does not pass."""
        for name, url in (("interview", self.target.interview_url), ("decision", self.target.decision_url)):
            self._until(f"{name} service ready", functools.partial(self._ready, url))
        if self.target.open:
            self._until("canary interview opened", self._open)
        self._until("verdict readable with the service token", self._verdict)

    def _until(self, what: str, attempt: Callable[[], str | None]) -> None:
        """Repeat ``attempt`` (None: passed; else what it saw) until it passes or the deadline."""
        while True:
            try:
                seen = attempt()
            except httpx.HTTPError as exc:
                seen = f"{type(exc).__name__}: {exc}"
            if seen is None:
                self.say(f"ok: {what}")
                return
            if time.monotonic() >= self.deadline:
                raise CheckFailedError(f"{what}: not after {self.target.timeout_s:.0f} s; last: {seen}")
            time.sleep(1.0)

    def _ready(self, url: str) -> str | None:
        got = self.client.get(f"{url}/readyz")
        return None if got.status_code == 200 else _describe(got)

    def _open(self) -> str | None:
        iid = self.target.interview_id
        got = self.client.post(
            f"{self.target.interview_url}/interviews/{iid}/open", json=_canary(iid),
            headers={**self.headers, "Idempotency-Key": f"{iid}-open"},
        )  # fmt: skip
        if got.status_code == 201 or (got.status_code == 409 and "already_opened" in got.text):
            return None
        self._refused(got)
        return _describe(got)

    def _verdict(self) -> str | None:
        iid = self.target.interview_id
        got = self.client.get(f"{self.target.decision_url}/interviews/{iid}/verdict", headers=self.headers)
        self._refused(got)
        if got.status_code != 200:
            return _describe(got)
        if got.json().get("verdict", {}).get("interview_id") != iid:
            raise CheckFailedError(f"the verdict answered does not name interview {iid}: {got.text[:200]}")
        return None

    @staticmethod
    def _refused(got: httpx.Response) -> None:
        """A refused token never turns good by waiting: fail at once."""
        if got.status_code in (401, 403):
            raise CheckFailedError(f"the token was refused: {_describe(got)} {got.text[:200]}")


def check(
    interview_url: str = typer.Option(..., envvar="CHECK_INTERVIEW_URL", help="Interview service base URL."),
    decision_url: str = typer.Option(
        ..., envvar="CHECK_DECISION_URL", help="Decision query service base URL."
    ),
    token_file: Path = typer.Option(
        None, envvar="CHECK_TOKEN_FILE", help="File holding a bearer token with role service (none: no auth)."
    ),
    interview_id: str = typer.Option(
        "helm-test", envvar="CHECK_INTERVIEW_ID", help="The canary interview (<= 100 characters)."
    ),
    open_: bool = typer.Option(
        True, "--open/--no-open", envvar="CHECK_OPEN", help="Open the canary interview if it is missing."
    ),
    timeout_s: float = typer.Option(120.0, envvar="CHECK_TIMEOUT_S", help="Deadline of all steps, seconds."),
) -> None:
    """Check that both services are ready and a verdict is readable with a service token (helm test)."""
    if not 0 < len(interview_id) <= 100:  # its participants' ids (<= 128) are made from it
        typer.echo("FAILED: the canary interview id must have 1-100 characters", err=True)
        raise typer.Exit(2)
    token = token_file.read_text().strip() if token_file else None
    urls = interview_url.rstrip("/"), decision_url.rstrip("/")
    target = Target(*urls, token, interview_id, open_, timeout_s)
    with httpx.Client(timeout=5.0) as client:
        try:
            Checker(target, client).run()
        except CheckFailedError as exc:
            typer.echo(f"FAILED: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo("all checks passed")
