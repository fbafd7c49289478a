"""Where checkpoints come from and where an auditor keeps them.

A kept checkpoint is a file ``<origin with / as _>@<size>-<root, 16 hex digits>.note`` holding the
signed note exactly as received (cosignatures are added to it), and, when the history was at hand,
``….leaves`` beside it: one line ``<offset> <leaf hash hex> <interview>`` per leaf, which lets
``verify --checkpoints`` name the first divergent record. The service serves its latest checkpoints
at ``GET /transparency/checkpoints`` and publishes them to the compacted ``decision.checkpoints``
topic (key = origin).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from schemas.checkpoint import Checkpoint, NoteError, parse_body, split
from schemas.topics import Topics
from services.audit.domain.transparency import Kept, Leaf, check_leaves
from services.platform.log_reader import partitions_of, read_partition

CHECKPOINT_TOPIC = "decision.checkpoints"
"""Base name of the service's checkpoint topic (declared by the service side in ``schemas.topics``)."""


class StoreError(ValueError):
    """A kept checkpoint or its leaves cannot be read; names the file."""


def stem(point: Checkpoint) -> str:
    """The file name (without suffix) of a kept checkpoint; two roots for one size (a fork) never collide."""
    return f"{point.origin.replace('/', '_')}@{point.size}-{point.root.hex()[:16]}"


def kept_of(note: str, name: str, leaves: Iterable[Leaf] | None = None) -> Kept:
    """A kept checkpoint from a note (its signatures are checked by the caller, with the keys it trusts)."""
    try:
        point = parse_body(split(note)[0])
    except NoteError as exc:
        raise StoreError(f"{name}: {exc}") from None
    return Kept(name, note, point, tuple(leaves) if leaves is not None else None)


def write_kept(directory: Path, kept: Kept) -> Path:
    """Write the note (and its leaves when known); return the note's path.

    A note already kept for the same checkpoint keeps its signatures (a witness's cosignature is not
    lost when the log's note is saved again); new signature lines are added after them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / stem(kept.checkpoint)
    note = base.with_name(base.name + ".note")
    text = merged(note.read_text(encoding="utf-8"), kept.note) if note.exists() else kept.note
    note.write_text(text, encoding="utf-8")
    if kept.leaves is not None:
        lines = (f"{leaf.offset} {leaf.hash.hex()} {leaf.interview}\n" for leaf in kept.leaves)
        base.with_name(base.name + ".leaves").write_text("".join(lines), encoding="utf-8")
    return note


def merged(old: str, new: str) -> str:
    """``old`` with the signature lines of ``new`` it lacks (the same text); ``new`` if the texts differ."""
    try:
        (old_text, _), (new_text, _) = split(old), split(new)
    except NoteError:
        return new
    if old_text != new_text:
        return new
    have = old.splitlines(keepends=True)
    extra = [line for line in new[len(new_text) + 1 :].splitlines(keepends=True) if line not in have]
    return old + "".join(extra)


def read_kept(directory: Path) -> list[Kept]:
    """Every checkpoint kept in ``directory``, ordered by origin then size."""
    if not directory.is_dir():
        raise StoreError(f"{directory} is not a directory of kept checkpoints")
    out = []
    for path in sorted(directory.glob("*.note")):
        leaves_path = path.with_suffix(".leaves")
        leaves = _leaves(leaves_path) if leaves_path.exists() else None
        kept = kept_of(path.read_text(encoding="utf-8"), path.name, leaves)
        problem = check_leaves(kept)
        if problem is not None:
            raise StoreError(problem)
        out.append(kept)
    return sorted(out, key=lambda k: (k.checkpoint.origin, k.checkpoint.size))


def _leaves(path: Path) -> list[Leaf]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            offset, digest, interview = line.split(" ", 2)
            out.append(Leaf(int(offset), bytes.fromhex(digest), interview))
        except ValueError:
            raise StoreError(f"{path}:{number}: not '<offset> <leaf hash> <interview>'") from None
    return out


def fetch_notes(url: str, token: str | None = None, client: httpx.Client | None = None) -> list[str]:
    """The latest checkpoint notes the service serves at ``GET /transparency/checkpoints``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with client or httpx.Client(timeout=10.0) as http:
            response = http.get(f"{url.rstrip('/')}/transparency/checkpoints", headers=headers)
            response.raise_for_status()
            return [str(item["note"]) for item in response.json()["checkpoints"]]
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"cannot read checkpoints from {url}: {exc}") from None


async def topic_notes(client: dict[str, Any], topics: Topics) -> list[str]:
    """The latest note per origin on the ``decision.checkpoints`` topic (a compacted topic: last wins)."""
    name = topics.name(CHECKPOINT_TOPIC)
    latest: dict[bytes, str] = {}
    for partition in await partitions_of(client, name):
        async for record in read_partition(client, name, partition):
            if record.value is None:
                latest.pop(record.key or b"", None)
                continue
            latest[record.key or b""] = note_of_value(record.value)
    return list(latest.values())


def note_of_value(value: bytes) -> str:
    """A checkpoint record's note: the value itself, or its ``note`` field when it is a JSON object."""
    text = value.decode("utf-8", errors="replace")
    if text.startswith("{"):
        try:
            return str(json.loads(text)["note"])
        except (ValueError, KeyError, TypeError):
            pass
    return text
