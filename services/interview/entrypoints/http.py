"""HTTP JSON API (FastAPI, OpenAPI at /docs): each request becomes a command through Kafka."""

from __future__ import annotations

import functools
import inspect
import time
import uuid
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics
from pydantic import BaseModel, Field, ValidationError

from schemas.commands import (
    AnswerQuestion,
    AskQuestion,
    AssessGoal,
    CommandAccepted,
    CommandEnvelope,
    CommandPrincipal,
    ConcludeInterview,
    OpenInterview,
    TellStory,
    Token,
)
from schemas.common import Frozen, Id, Side, Version
from schemas.envelope import AuthType
from services.interview.adapters import metrics
from services.interview.adapters.gateway import (
    BrokerUnavailableError,
    CommandTooLargeError,
    ResultTimeoutError,
    StoppingError,
)
from services.interview.adapters.spans import span, tracing_on
from services.interview.adapters.wire import describe_errors
from services.interview.entrypoints.access import ACCESS
from services.interview.entrypoints.lane import CommandLane
from services.interview.entrypoints.problems import problem, responses, validation_problem
from services.interview.entrypoints.service import InterviewService
from services.platform.api_docs import mount_api_docs
from services.platform.asyncapi_http import mount_asyncapi
from services.platform.auth import INSECURE_ISSUER, Role, grant_of, install_access, side_of
from services.platform.http_limits import install_problems
from services.platform.http_metrics import measure_http
from services.platform.tracing import context_of, exemplar

log = structlog.get_logger("interview.http")
InterviewId = Annotated[Id, Path(description="The interview id (also the Kafka key).")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Same key on a retry: appended once. 1-200 printable characters.",
    ),
]
CorrelationId = Annotated[
    str | None,
    Header(alias="X-Correlation-Id", min_length=1, max_length=200, description="1-200 printable characters."),
]
ERRORS = responses(400, 403, 404, 409, 413, 415, 422, 503, 504)


class _By(Frozen):
    actor_id: Id | None = Field(
        default=None,
        description="The participant acting: the token's subject. Optional; if given it must equal the "
        "token's sub (403 actor_mismatch otherwise). Required only for a service token, which acts for "
        "the participant it names.",
    )
    expected_version: Version = Field(description="Interview version you saw; 0 to open. A JSON integer.")
    actor_side: Side | None = Field(
        default=None, description="Optional: the side you act for; must be your role's side."
    )


class OpenInterviewRequest(OpenInterview, _By):
    """Open an interview."""


class TellStoryRequest(TellStory, _By):
    """Tell a story."""


class AskQuestionRequest(AskQuestion, _By):
    """Ask a question."""


class AnswerQuestionRequest(AnswerQuestion, _By):
    """Answer a question."""


class AssessGoalRequest(AssessGoal, _By):
    """Assess a goal."""


class ConcludeInterviewRequest(ConcludeInterview, _By):
    """Conclude the interview."""


_PAYLOADS: dict[type[_By], tuple[type[Frozen], frozenset[str]]] = {
    body: (kind, frozenset(kind.__pydantic_fields__))
    for body, kind in (
        (OpenInterviewRequest, OpenInterview),
        (TellStoryRequest, TellStory),
        (AskQuestionRequest, AskQuestion),
        (AnswerQuestionRequest, AnswerQuestion),
        (AssessGoalRequest, AssessGoal),
        (ConcludeInterviewRequest, ConcludeInterview),
    )
}
"""Each request body's command and its fields: the body is the command plus who acts (``_By``)."""
BODIES: dict[str, type[_By]] = {
    "open": OpenInterviewRequest,
    "stories": TellStoryRequest,
    "questions": AskQuestionRequest,
    "answers": AnswerQuestionRequest,
    "assessments": AssessGoalRequest,
    "conclusion": ConcludeInterviewRequest,
}
"""The request body of each command route, by its last path segment."""


class CommandCreated(BaseModel):
    """The command was accepted: its events are committed to ``interview.events``."""

    command_id: str = Field(
        description="Id of the command that appended the events (their causation id); for a replay, the "
        "first command sent with this Idempotency-Key."
    )
    interview_id: str
    event_ids: list[str] = Field(description="CloudEvents ids of the appended events.")
    event_types: list[str]
    version: int = Field(description="Interview version now; send it as the next expected_version.")
    replayed: bool = Field(description="True when this repeats the first result of the idempotency key.")
    replay_of: str | None = Field(
        default=None, description="On a replay: the first command's id (nothing new was appended)."
    )


def create_app(service: InterviewService, *, fast_lane: bool = True) -> FastAPI:
    """The ASGI app over a started (or starting) ``InterviewService``.

    ``fast_lane``: serve well-formed commands through ``CommandLane`` (the same answers, less CPU).
    """
    app = FastAPI(
        title="hiring-pipeline interview service",
        version="1",
        description="Record a technical interview as events. Errors are application/problem+json.",
        docs_url=None,  # served offline by mount_api_docs
        redoc_url=None,
        **_telemetry(),
    )
    if fast_lane:  # added first, so it runs inside the body limit
        app.add_middleware(CommandLane, api=app, submit=_submit, bodies=BODIES)
    install_problems(app, service.settings.max_request_bytes)
    app.add_exception_handler(RequestValidationError, validation_problem)
    install_access(app, ACCESS, service.settings.auth)  # before the routes: each one checks it
    app.state.service = service
    _commands(app)
    _operations(app)
    mount_api_docs(app)
    mount_asyncapi(app)
    measure_http(app, metrics.HTTP)  # last: it wraps every other middleware, the command lane's too
    return app


def _telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry instrumentation, on only for tracing and only when tracing is on.

    Left to itself it asks every request whether a tracer, meter or logger provider was configured
    since (environment lookups: ~3 % of the front's CPU per command); we configure tracing once, at
    start, and export neither metrics nor logs over OpenTelemetry.
    """
    if "telemetry" not in inspect.signature(FastAPI).parameters:
        return {}  # an older FastAPI without native telemetry
    return {"telemetry": {"tracing": tracing_on(), "metrics": False, "logs": False}}


async def _submit(
    request: Request, interview_id: str, body: _By, key: str | None, corr: str | None
) -> Response:
    service: InterviewService = request.app.state.service
    acting = _acting(request, body)
    if isinstance(acting, Response):
        return acting
    try:
        command = _envelope(interview_id, body, key, corr, acting)
    except ValidationError as exc:  # a header the body models do not see: Idempotency-Key, X-Correlation-Id
        field, detail = describe_errors(exc)
        return problem("invalid_command", detail, request, field=_header_name(field))
    extra = {"command_id": command.command_id}
    attributes = {"hiring.interview_id": interview_id, "hiring.command_id": command.command_id}
    parent = functools.partial(context_of, request.headers)
    with span(f"POST {command.payload.type}", parent, SpanKind.SERVER, attributes):
        if service.gateway is None or not service.gateway.ready:
            return problem(
                "not_ready", "the service is starting or stopping; retry shortly", request, **extra
            )
        began = time.monotonic()
        try:
            result = await service.gateway.submit(command, service.settings.result_timeout_s)
        except (ResultTimeoutError, BrokerUnavailableError) as exc:
            code = "timeout" if isinstance(exc, ResultTimeoutError) else "unavailable"
            detail = f"{exc}; retry with the same Idempotency-Key to get its result without a duplicate"
            return problem(code, detail, request, **extra)
        except StoppingError as exc:
            detail = (
                f"{exc}; retry with the same Idempotency-Key: another replica (or this one, restarted) "
                "answers, with no duplicate"
            )
            return problem("stopping", detail, request, **extra)
        except CommandTooLargeError as exc:
            return problem("too_large", f"the command is too large to send: {exc}", request, **extra)
        metrics.APPEND_SECONDS.labels(result.status).observe(time.monotonic() - began, exemplar())
        log.info(
            "http.command", status=result.status, code=getattr(result, "code", None),
            interview_id=interview_id, command_id=command.command_id, correlation_id=command.correlation_id,
        )  # fmt: skip
    return _response(request, result, command.correlation_id)


def _header_name(field: str) -> str:
    return {"idempotency_key": "Idempotency-Key", "correlation_id": "X-Correlation-Id"}.get(field, field)


def _acting(request: Request, body: _By) -> tuple[str, str | None, CommandPrincipal] | Response:
    """Actor id, side and principal of the request: the token's subject, never someone the body names."""
    grant = grant_of(request)
    p = grant.principal
    kind: AuthType = "unauthenticated" if p.iss == INSECURE_ISSUER else "user"
    if grant.role is Role.SERVICE:
        kind = "unauthenticated" if kind == "unauthenticated" else "service_account"
        principal = CommandPrincipal(type=kind, id=p.sub, issuer=p.iss, role=grant.role.value)
        if body.actor_id is None:
            return problem("invalid_command", "a service token acts for a participant: give actor_id",
                           request, field="actor_id")  # fmt: skip
        return body.actor_id, body.actor_side.value if body.actor_side else None, principal
    principal = CommandPrincipal(type=kind, id=p.sub, issuer=p.iss, role=grant.role.value)
    if body.actor_id is not None and body.actor_id != p.sub:
        log.info("http.refused", code="actor_mismatch", role=grant.role.value)
        return problem("actor_mismatch", "actor_id must be the token's subject (or be left out): you act "
                       "only as yourself", request, field="actor_id")  # fmt: skip
    side = side_of(grant.role)
    if body.actor_side is not None and body.actor_side.value != side:
        log.info("http.refused", code="wrong_side", role=grant.role.value)
        return problem("wrong_side", f"role {grant.role.value} acts for the {side} side only", request,
                       field="actor_side")  # fmt: skip
    return p.sub, side, principal


class _Tokens(Frozen):
    """The client's tokens as the envelope types them (checked here: FastAPI checks only their length)."""

    idempotency_key: Token | None = None
    correlation_id: Token


def _envelope(
    interview_id: str,
    body: _By,
    key: str | None,
    corr: str | None,
    acting: tuple[str, str | None, CommandPrincipal],
) -> CommandEnvelope:
    """The command envelope, from parts already validated (the body, the path, the token, the tokens).

    Only the header tokens are checked here; validating the whole envelope again cost ~0.1 ms per
    command for nothing (``tests/unit/interview/test_command_lane.py`` proves the result equal).
    """
    tokens = _Tokens(idempotency_key=key, correlation_id=corr or str(uuid.uuid4()))
    kind, fields = _PAYLOADS[type(body)]
    payload: Any = kind.model_construct(
        body.model_fields_set & fields, **{f: getattr(body, f) for f in fields}
    )
    return CommandEnvelope.model_construct(
        command_id=str(uuid.uuid4()),
        idempotency_key=tokens.idempotency_key,
        interview_id=interview_id,
        expected_version=body.expected_version,
        actor_id=acting[0],
        actor_side=Side(acting[1]) if acting[1] is not None else None,
        correlation_id=tokens.correlation_id,
        causation_id=None,
        payload=payload,
        principal=acting[2],
    )


_NO_VERSION = frozenset({"already_opened", "history_unreadable"})


def _response(request: Request, result: Any, correlation_id: str) -> Response:
    response: Response
    person = grant_of(request).role is not Role.SERVICE
    code = None if isinstance(result, CommandAccepted) else result.code
    if code == "not_a_participant" or (person and code == "not_opened"):
        # The same answer whether the interview exists or not: a stranger learns nothing of it (a person
        # is not a participant of an interview nobody opened; a service is told not_opened).
        response = problem(
            "not_a_participant",
            f"interview {result.interview_id}: not found among the interviews you take part in",
            request, command_id=result.command_id,
        )  # fmt: skip
    elif not isinstance(result, CommandAccepted):
        extra = {
            "field": result.field,
            # a person who may not be a participant (open, a parked interview) is not told the version
            "current_version": None if person and code in _NO_VERSION else result.current_version,
            "command_id": result.command_id,
            "replay_of": result.replay_of,
        }
        response = problem(result.code, result.message, request, **extra)
    else:
        created = CommandCreated.model_construct(  # from a validated result: not validated again
            command_id=result.replay_of or result.command_id,
            interview_id=result.interview_id,
            event_ids=list(result.event_ids),
            event_types=list(result.event_types),
            version=result.version,
            replayed=result.replay_of is not None,
            replay_of=result.replay_of,
        )
        response = Response(created.model_dump_json(), status_code=201, media_type="application/json")
        response.headers["Location"] = _location(result.interview_id)
    response.headers["X-Correlation-Id"] = correlation_id
    return response


def _location(interview_id: str) -> str:
    """Where the outcome of an appended command is read: the interview's verdict, on the query API."""
    return f"/interviews/{quote(interview_id, safe='')}/verdict"


LOCATION_DOC = {
    "description": "`/interviews/{interview_id}/verdict`: the interview's verdict, read from the decision "
    "service's query API at that path (this service serves no reads; the verdict follows the events).",
    "schema": {"type": "string"},
}


def _commands(app: FastAPI) -> None:
    created: dict[int | str, dict[str, Any]] = {
        201: {"model": CommandCreated, "description": "Appended.", "headers": {"Location": LOCATION_DOC}}
    }
    route: dict[str, Any] = {
        "status_code": 201,
        "response_model": CommandCreated,
        "responses": {**created, **ERRORS},
    }

    @app.post(
        "/interviews/{interview_id}/open", operation_id="openInterview", summary="Open an interview", **route
    )
    async def open_interview(
        request: Request,
        interview_id: InterviewId,
        body: OpenInterviewRequest,
        key: IdempotencyKey = None,
        corr: CorrelationId = None,
    ) -> Any:
        return await _submit(request, interview_id, body, key, corr)

    @app.post("/interviews/{interview_id}/stories", operation_id="tellStory", summary="Tell a story", **route)
    async def tell_story(
        request: Request,
        interview_id: InterviewId,
        body: TellStoryRequest,
        key: IdempotencyKey = None,
        corr: CorrelationId = None,
    ) -> Any:
        return await _submit(request, interview_id, body, key, corr)

    @app.post(
        "/interviews/{interview_id}/questions", operation_id="askQuestion", summary="Ask a question", **route
    )
    async def ask_question(
        request: Request,
        interview_id: InterviewId,
        body: AskQuestionRequest,
        key: IdempotencyKey = None,
        corr: CorrelationId = None,
    ) -> Any:
        return await _submit(request, interview_id, body, key, corr)

    @app.post(
        "/interviews/{interview_id}/answers",
        operation_id="answerQuestion",
        summary="Answer a question",
        **route,
    )
    async def answer_question(
        request: Request,
        interview_id: InterviewId,
        body: AnswerQuestionRequest,
        key: IdempotencyKey = None,
        corr: CorrelationId = None,
    ) -> Any:
        return await _submit(request, interview_id, body, key, corr)

    @app.post(
        "/interviews/{interview_id}/assessments",
        operation_id="assessGoal",
        summary="Assess one of the six goals",
        **route,
    )
    async def assess_goal(
        request: Request,
        interview_id: InterviewId,
        body: AssessGoalRequest,
        key: IdempotencyKey = None,
        corr: CorrelationId = None,
    ) -> Any:
        return await _submit(request, interview_id, body, key, corr)

    @app.post(
        "/interviews/{interview_id}/conclusion",
        operation_id="concludeInterview",
        summary="Conclude the interview",
        **route,
    )
    async def conclude_interview(
        request: Request,
        interview_id: InterviewId,
        body: ConcludeInterviewRequest,
        key: IdempotencyKey = None,
        corr: CorrelationId = None,
    ) -> Any:
        return await _submit(request, interview_id, body, key, corr)


def _operations(app: FastAPI) -> None:
    @app.get("/healthz", operation_id="getHealth", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        operation_id="getReadiness",
        summary="Readiness: partitions assigned, state rebuilt, the broker answering",
        responses=responses(503),
    )
    async def readyz(request: Request) -> Response:
        service: InterviewService = request.app.state.service
        if not service.ready:
            return problem("not_ready", "partitions not assigned or state not rebuilt yet", request)
        if service.gateway is not None and not service.gateway.healthy:
            return problem("unavailable", "the broker does not answer the HTTP front", request)
        return Response('{"status":"ready"}', media_type="application/json")

    @app.get(
        "/metrics", operation_id="getMetrics", summary="Prometheus metrics", response_class=PlainTextResponse
    )
    async def prometheus(request: Request) -> Response:
        # OpenMetrics when asked for: it carries exemplars (the trace id of a sampled request).
        if "application/openmetrics-text" in request.headers.get("accept", ""):
            body = openmetrics.generate_latest(REGISTRY)  # type: ignore[no-untyped-call]
            return Response(body, media_type=openmetrics.CONTENT_TYPE_LATEST)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
