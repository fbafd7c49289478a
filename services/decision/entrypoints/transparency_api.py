"""The transparency log's read-only API (ADR 0026): checkpoints, the verifier keys, inclusion and
consistency proofs, computed from the query role's proof store against the latest published checkpoint.

Every checkpoint served is first opened with the configured verifier keys: a note this deployment's keys
did not sign is never handed out as if they had (500 ``checkpoint_unverified``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import structlog
from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel

from schemas.checkpoint import NoteError, open_note
from schemas.common import MAX_SAFE_INT, Id
from schemas.tlog import LOGGED_TOPICS, ConsistencyProof, InclusionProof, parse_origin
from services.decision.adapters.proof_store import Checkpoint
from services.decision.entrypoints.problems import PROBLEM_RESPONSES, ProblemError, catching_up
from services.decision.entrypoints.runtime import QueryRuntime

log = structlog.get_logger("decision.transparency")
Offset = Annotated[int, Query(ge=0, le=MAX_SAFE_INT)]


class CheckpointView(BaseModel):
    """The latest signed checkpoint of one tree (a partition of a logged topic)."""

    origin: str
    topic: str
    partition: int
    size: int
    note: str


class Checkpoints(BaseModel):
    """The latest checkpoint of every tree."""

    checkpoints: list[CheckpointView]


class Keys(BaseModel):
    """The verifier keys checkpoints are signed with (two during a rotation; docs/security.md)."""

    keys: list[str]


def add_transparency_routes(
    app: FastAPI, query: QueryRuntime, readable: Callable[[Request, str], object]
) -> None:
    """Mount the transparency routes; ``readable(request, interview_id)`` scopes a revision's proof."""
    proofs, keys = query.proofs, query.keys

    def verified(found: Checkpoint) -> Checkpoint:
        try:
            opened = open_note(found.note, keys.verifiers)
        except NoteError as exc:
            log.error("checkpoint not signed by the configured keys", origin=found.origin, error=str(exc))
            raise ProblemError(500, "checkpoint_unverified", "Checkpoint not verified", str(exc)) from None
        if (opened.origin, opened.size, opened.root) != (found.origin, found.size, found.root):
            raise ProblemError(
                500, "checkpoint_unverified", "Checkpoint not verified", "note and record differ"
            )
        return found

    def latest(topic: str, partition: int) -> Checkpoint:
        found = proofs.checkpoint(topic, partition)
        if found is None:
            raise ProblemError(
                404, "no_checkpoint", "No checkpoint", f"{topic}/{partition}: none published yet"
            )
        if proofs.size(topic, partition) < found.size:
            raise catching_up(f"the transparency log of {topic}/{partition}")
        if proofs.range_root(topic, partition, 0, found.size) != found.root:  # never serve a forked proof
            log.error("proof store differs from the checkpoint", origin=found.origin, size=found.size)
            raise ProblemError(
                500, "tree_mismatch", "Tree mismatch", f"{found.origin}: the stored tree differs"
            )
        return verified(found)

    def inclusion(topic: str, partition: int, offset: int) -> InclusionProof:
        if topic not in LOGGED_TOPICS:
            raise ProblemError(404, "not_logged", "Not logged", f"{topic!r} is not a logged topic")
        checkpoint = latest(topic, partition)
        index = proofs.leaf_index(topic, partition, offset)
        if index is None or index >= checkpoint.size:
            detail = f"{topic}/{partition}@{offset}: no record there, or not yet in a checkpoint"
            raise ProblemError(404, "not_in_checkpoint", "Not in a checkpoint", detail)
        path = proofs.inclusion(topic, partition, index, checkpoint.size)
        return InclusionProof(
            origin=checkpoint.origin, topic=topic, partition=partition, offset=offset, leaf_index=index,
            tree_size=checkpoint.size, leaf_hash=proofs.leaf(topic, partition, index).hex(),
            hashes=[h.hex() for h in path], checkpoint=checkpoint.note,
        )  # fmt: skip

    @app.get("/transparency/checkpoints", operation_id="listCheckpoints", responses=PROBLEM_RESPONSES)
    async def checkpoints() -> Checkpoints:
        """The latest signed checkpoint of every tree (origin ``<base>/<topic>/<partition>``)."""
        found = [verified(c) for c in proofs.checkpoints()]
        return Checkpoints(checkpoints=[CheckpointView(origin=c.origin, topic=c.topic, partition=c.partition,
                                                       size=c.size, note=c.note) for c in found])  # fmt: skip

    @app.get("/transparency/key", operation_id="getVerifierKeys")
    async def key() -> Keys:
        """The verifier keys (Go sumdb/note format) of this deployment's checkpoints."""
        return Keys(keys=keys.texts())

    @app.get("/transparency/inclusion", operation_id="getRecordInclusion", responses=PROBLEM_RESPONSES)
    async def record_inclusion(
        topic: Annotated[str, Query(description="A logged topic, without the deployment's prefix.")],
        partition: Annotated[int, Query(ge=0, le=65535)],
        offset: Offset,
    ) -> InclusionProof:
        """That the record at ``topic``/``partition``@``offset`` is in the latest checkpoint's tree."""
        return inclusion(topic, partition, offset)

    @app.get(
        "/verdicts/{interview_id}/revisions/{n}/inclusion",
        operation_id="getRevisionInclusion",
        responses=PROBLEM_RESPONSES,
    )
    async def revision_inclusion(
        request: Request, interview_id: Annotated[Id, Path()], n: Annotated[int, Path(ge=1, le=MAX_SAFE_INT)]
    ) -> InclusionProof:
        """The inclusion proof of an interview's verdict revision ``n`` (its ``decision.events`` record)."""
        readable(request, interview_id)  # 404 when not the caller's, as for the verdict
        found = proofs.revision_record(interview_id, n)
        if found is None:
            raise ProblemError(
                404, "verdict_not_found", "No verdict", f"{interview_id!r}: no revision {n} held"
            )
        return inclusion("decision.events", *found)

    @app.get("/transparency/consistency", operation_id="getConsistencyProof", responses=PROBLEM_RESPONSES)
    async def consistency(
        origin: Annotated[str, Query()], old: Annotated[int, Query(ge=1)], new: Annotated[int, Query(ge=1)]
    ) -> ConsistencyProof:
        """That the tree of size ``old`` is a prefix of the tree of size ``new``, the latest checkpoint's
        (whose note the proof carries; two kept checkpoints are each proved against it)."""
        try:
            _, topic, partition = parse_origin(origin)
        except ValueError as exc:
            raise ProblemError(400, "bad_origin", "Bad origin", str(exc)) from None
        checkpoint = latest(topic, partition)
        if checkpoint.origin != origin:
            raise ProblemError(404, "no_checkpoint", "No checkpoint", f"{origin!r} is not this log's origin")
        if not old <= new == checkpoint.size:
            detail = f"need 1 <= old <= new = {checkpoint.size} (the latest checkpoint's size)"
            raise ProblemError(400, "bad_sizes", "Bad sizes", detail)
        path = proofs.consistency(topic, partition, old, new)
        return ConsistencyProof(origin=origin, old_size=old, new_size=new, hashes=[h.hex() for h in path],
                                checkpoint=checkpoint.note)  # fmt: skip
