"""``hiring-audit checkpoint save|verify|cosign|keygen`` and ``hiring-audit prove`` (ADR 0025).

Exit codes as the other commands: 0 proven / consistent, 1 a finding (divergence, split view, a proof
that fails), 2 bad input.
"""

from __future__ import annotations

import asyncio
import math
import os
from pathlib import Path
from typing import TypeVar

import typer
from aiokafka.errors import KafkaError

from schemas import checkpoint as notes
from schemas.checkpoint import Checkpoint, NoteError
from schemas.tlog import ConsistencyProof, InclusionProof, origin
from schemas.topics import Topics
from services.audit.adapters.checkpoints import StoreError, fetch_notes, kept_of, topic_notes, write_kept
from services.audit.domain.proofs import against, check_inclusion, inclusion
from services.audit.domain.transparency import Kept, inconsistent
from services.audit.entrypoints.options import FROM, PREFIX, QUIET, SERVERS, fail
from services.audit.entrypoints.picks import pick
from services.audit.entrypoints.source import SourceError, settings
from services.audit.entrypoints.trees import Trees, Watch, kept_checkpoints, read_trees, signer, verifiers
from services.platform.cli_habits import app as cli_app
from services.platform.cli_habits import stdout_console

M = TypeVar("M", InclusionProof, ConsistencyProof)

checkpoint_app = cli_app(help="Keep the log's signed checkpoints, check them, cosign them (witness).",
                             no_args_is_help=True)  # fmt: skip
DIR = typer.Option(..., "--dir", help="Directory of kept checkpoints (<origin>@<size>.note, .leaves).")
KEY = typer.Option([], "--key", help="The log's verifier key (name+hexid+base64, or a file); repeatable.")
out = stdout_console()


@checkpoint_app.command("save")
def save(
    directory: Path = DIR, key: list[str] = KEY,
    url: str = typer.Option(None, "--url", help="Decision service: GET <url>/transparency/checkpoints."),
    token: str = typer.Option(None, "--token", envvar="HIRING_AUDIT_TOKEN", help="Bearer token for --url."),
    sign_key: Path = typer.Option(None, "--sign-key", help="Compute the checkpoints from the history "
                                  "and sign them with this key file (PRIVATE+KEY+...): the auditor's own."),
    base: str = typer.Option(None, "--origin-base", help="Origin base (default hiring-pipeline.local/"
                             "<topic prefix or 'default'>); with --sign-key."),
    leaves: bool = typer.Option(True, "--leaves/--no-leaves", help="Keep the leaves read from the history "
                                "(names the divergent record later; needs the history)."),
    from_dir: Path = FROM, prefix: str = PREFIX, servers: str = SERVERS, quiet: bool = QUIET,
) -> None:  # fmt: skip
    """Fetch the latest signed checkpoints (service, topic, or signed here), verify them, keep them."""
    if sign_key is not None:
        own = signer(sign_key)
        trees: Trees | None = read_trees(from_dir, servers, prefix, quiet)
        assert trees is not None
        received = _signed_here(trees, own, base or trees.base)
        keys = verifiers(key) if key else [notes.parse_verifier(_verifier_text(own))]
    else:
        keys = verifiers(key)
        received = _fetched(url, token, servers, prefix)  # before the history: the history then covers them
        trees = _history(from_dir, servers, prefix, quiet, want=leaves)
    problems = sum(_keep(directory, note, keys, trees if leaves else None) for note in received)
    if not received:
        raise fail("no checkpoint received (has the service published one yet?)")
    raise typer.Exit(1 if problems else 0)


def _history(
    from_dir: Path | None, servers: str | None, prefix: str | None, quiet: bool, want: bool
) -> Trees | None:
    if not want:
        return None
    if from_dir is None:
        try:
            settings(servers, prefix)
        except SourceError:
            return None  # --url without a cluster: keep the notes only
    return read_trees(from_dir, servers, prefix, quiet)


def _signed_here(trees: Trees, own: notes.Signer, base: str) -> list[str]:
    points = [
        Checkpoint(origin(base, topic, partition), len(log.leaves), log.root(len(log.leaves)))
        for (topic, partition), log in sorted(trees.logs.items())
        if log.leaves
    ]
    return [notes.sign(point, own) for point in points]


def _verifier_text(own: notes.Signer) -> str:
    public = own.private.public_key()
    return notes.Verifier(own.name, own.key_id, public).text()


def _fetched(url: str | None, token: str | None, servers: str | None, prefix: str | None) -> list[str]:
    try:
        if url is not None:
            return fetch_notes(url, token)
        found = settings(servers, prefix)
        return asyncio.run(topic_notes(found.client_kwargs(), Topics(found.topic_prefix)))
    except (StoreError, SourceError) as exc:
        raise fail(str(exc)) from None
    except (KafkaError, OSError) as exc:
        raise fail(f"cannot read the checkpoint topic: {exc}") from None


def _keep(directory: Path, note: str, keys: list[notes.Verifier], trees: Trees | None) -> int:
    """Keep one note; 1 when it is unsigned or the history read does not make its root."""
    try:
        point = notes.open_note(note, keys)
        kept = kept_of(note, point.origin)
        log = trees.logs.get(kept.where) if trees is not None else None
    except (NoteError, ValueError) as exc:  # unsigned, or an origin that names no logged partition
        out.print(f"[red]refused[/red] a checkpoint: {exc}", soft_wrap=True)
        return 1
    problem = 0
    if trees is not None and (log is None or len(log.leaves) < point.size) and point.size:
        out.print(f"[red]diverged[/red]: {trees.description} holds fewer than the {point.size} records "
                  f"{point.origin} signs (kept without leaves; --no-leaves for an older export)")  # fmt: skip
        problem = 1
    elif trees is not None and log is not None:
        if log.root(point.size) == point.root:
            kept = kept_of(note, point.origin, log.leaves[: point.size])
        else:
            out.print(f"[red]diverged[/red]: the history read does not make the root {point.origin} signs "
                      f"at size {point.size} (kept as evidence, without leaves)")  # fmt: skip
            problem = 1
    path = write_kept(directory, kept)
    out.print(
        f"kept {point.origin} size {point.size}{' with leaves' if kept.leaves else ''}: {path}",
        soft_wrap=True,
    )
    return problem


@checkpoint_app.command("verify")
def verify_kept(
    directory: Path = DIR, key: list[str] = KEY,
    witness: list[str] = typer.Option([], "--witness", help="A witness's verifier key that must have "
                                      "cosigned every kept checkpoint; repeatable."),
) -> None:  # fmt: skip
    """Offline: every kept checkpoint is signed (and cosigned), its leaves make its root, none forks."""
    kept = kept_checkpoints(directory, verifiers(key))
    witnesses = verifiers(witness, "--witness") if witness else []
    problems: list[str] = []
    for k in kept:
        try:
            signed = notes.signed_by(k.note, witnesses)
        except NoteError as exc:
            signed, problems = [], [*problems, f"{k.name}: {exc}"]
        missing = [f"{w.name}+{w.key_id.hex()}" for w in witnesses if w not in signed]
        problems += [f"{k.name}: not cosigned by {w}" for w in missing]
    problems += _forks(kept)
    for k in kept:
        with_leaves = " with leaves" if k.leaves else ""
        out.print(f"{k.checkpoint.origin} size {k.checkpoint.size}: signed{with_leaves}")
    for problem in problems:
        out.print(f"[red]FAILED[/red]: {problem}", soft_wrap=True)
    if not problems:
        out.print(f"[green]OK[/green]: {len(kept)} kept checkpoints signed and consistent")
    raise typer.Exit(1 if problems else 0)


def _forks(kept: list[Kept]) -> list[str]:
    found = []
    for i, a in enumerate(kept):
        for b in kept[i + 1 :]:
            if a.checkpoint.origin == b.checkpoint.origin:
                problem = inconsistent(a, b)
                found += [problem] if problem else []
    return found


@checkpoint_app.command("cosign")
def cosign(
    directory: Path = DIR, key: list[str] = KEY,
    witness_key: Path = typer.Option(..., "--witness-key", help="The witness's signer key file."),
) -> None:  # fmt: skip
    """Witness: cosign each kept checkpoint consistent with all this witness cosigned (else refuse)."""
    logs, own = verifiers(key), signer(witness_key)
    mine = notes.parse_verifier(_verifier_text(own))
    kept = kept_checkpoints(directory, logs)
    done: dict[str, list[Kept]] = {}
    for k in kept:
        if mine in notes.signed_by(k.note, [mine]):
            done.setdefault(k.checkpoint.origin, []).append(k)
    refused = 0
    for k in [k for k in kept if k not in done.get(k.checkpoint.origin, [])]:
        before = done.setdefault(k.checkpoint.origin, [])
        problem = next((p for p in (_witness_problem(c, k) for c in before) if p), None)
        if problem:
            out.print(f"[red]refused[/red] {k.name}: {problem}", soft_wrap=True)
            refused += 1
            continue
        cosigned = kept_of(notes.cosign(k.note, own), k.name, k.leaves)
        write_kept(directory, cosigned)
        before.append(cosigned)
        out.print(f"cosigned {k.checkpoint.origin} size {k.checkpoint.size} as {own.name}")
    raise typer.Exit(1 if refused else 0)


def _witness_problem(before: Kept, k: Kept) -> str | None:
    """Why ``k`` cannot be cosigned beside ``before`` (the first of an origin is trusted on first use)."""
    problem = inconsistent(before, k)
    if problem is None and k.leaves is None and k.checkpoint.size > before.checkpoint.size:
        return f"no evidence that it extends {before.name} (keep it with its leaves: checkpoint save)"
    return problem


@checkpoint_app.command("keygen")
def keygen(
    name: str = typer.Argument(..., help="Key name, e.g. witness.example.org"),
    key_file: Path = typer.Option(..., "--out", help="Write the signer key here (mode 0600)."),
) -> None:  # fmt: skip
    """A new Ed25519 note key: the signer key goes to the file, the verifier key is printed."""
    try:
        skey, vkey = notes.generate_key(name)
    except NoteError as exc:
        raise fail(str(exc)) from None
    key_file.write_text(skey + "\n", encoding="utf-8")
    os.chmod(key_file, 0o600)
    typer.echo(vkey)


def prove_command(
    checkpoints: Path = typer.Option(..., "--checkpoints", help="Directory of kept checkpoints."),
    key: list[str] = KEY,
    proof_file: Path = typer.Option(None, "--proof", help="Check this InclusionProof JSON offline."),
    interview: str = typer.Option(None, "--interview", help="Prove this interview's verdict revision..."),
    revision: int = typer.Option(None, "--revision", min=1, help="...number N (with --interview)."),
    policy: str = typer.Option(None, "--policy", help="Policy version of the revision (when several)."),
    topic: str = typer.Option(None, "--topic", help="Or prove the record at --topic/--partition/--offset."),
    partition: int = typer.Option(None, "--partition", min=0), offset: int = typer.Option(None, "--offset"),
    save_to: Path = typer.Option(None, "--out", help="Write the proof made from history here."),
    consistency: Path = typer.Option(None, "--consistency", help="ConsistencyProof JSON from a kept size."),
    record_hash: str = typer.Option(None, "--record-hash", help="Also check the leaf is this chain hash."),
    from_dir: Path = FROM, prefix: str = PREFIX, servers: str = SERVERS, quiet: bool = QUIET,
) -> None:  # fmt: skip
    """Prove a record is in the log a kept checkpoint signs (a proof file offline, or made from history)."""
    keys = verifiers(key)
    kept = kept_checkpoints(checkpoints, keys)
    if proof_file is not None:
        proof = _load(proof_file, InclusionProof)
    else:
        proof = _made(kept, pick(interview, revision, policy, topic, partition, offset), from_dir, servers,
                      prefix, quiet)  # fmt: skip
        if save_to is not None:
            save_to.write_text(proof.model_dump_json(indent=2) + "\n", encoding="utf-8")
    more = _load(consistency, ConsistencyProof) if consistency is not None else None
    problems = check_inclusion(proof, keys, kept, more, record_hash)
    where = f"{proof.topic}[{proof.partition}]@{proof.offset}"
    out.print(f"{where}: leaf {proof.leaf_index} of {proof.tree_size} ({proof.origin}), "
              f"{len(proof.hashes)} hashes in the proof (log2 {proof.tree_size} = "
              f"{math.log2(proof.tree_size):.1f})", soft_wrap=True)  # fmt: skip
    for problem in problems:
        out.print(f"[red]FAILED[/red]: {problem}", soft_wrap=True)
    if not problems:
        out.print("[green]PROVEN[/green]: the record is in the log the kept checkpoint signs")
    raise typer.Exit(1 if problems else 0)


def _load(path: Path, model: type[M]) -> M:
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(f"{path}: not a {model.__name__} ({exc})") from None


def _made(kept: list[Kept], watch: Watch, from_dir: Path | None, servers: str | None,
          prefix: str | None, quiet: bool) -> InclusionProof:  # fmt: skip
    trees = read_trees(from_dir, servers, prefix, quiet, watch)
    if not trees.picked:
        raise fail(f"no such record in {trees.description}")
    if len(trees.picked) > 1:
        raise fail(f"{len(trees.picked)} records match; name the policy version (--policy)")
    record, index = trees.picked[0]
    log = trees.logs[(record.topic, record.partition)]
    chosen = against(kept, log, index)
    if chosen is None:
        raise fail(f"no kept checkpoint of {record.where()} covers leaf {index} and matches the history "
                   "(save a later checkpoint, or run verify --checkpoints)")  # fmt: skip
    return inclusion(log, index, chosen)
