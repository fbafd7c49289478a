"""Hypothesis strategies for the wire contract, reusable by every test tier.

``models(M)`` derives a strategy from a pydantic model's own field constraints (patterns, lengths,
bounds, enums, nested models, unions), so a field added to a model is generated without touching
this file. ``events()`` wraps generated data in a valid CloudEvents envelope; ``chain()`` links a
list of data into one interview's contiguous, hash-chained stream.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel, StringConstraints

from schemas import GENESIS_HASH, Event, EventType, build_event
from schemas.common import MAX_SAFE_INT, ActorSide, Frozen, PlainText, UniqueItems
from schemas.registry import CURRENT, DECISION_SOURCE, INTERVIEW_SOURCE

M = TypeVar("M", bound=BaseModel)

MAX_ITEMS = 4
"""Longest generated tuple: enough to show order and repetition, small enough to stay fast."""
MAX_TEXT = 60
"""Longest generated free text (models allow more; length is not what these tests probe)."""
MAX_INT = 2**53 - 1
"""Largest integer that survives every JSON reader (RFC 8785 / I-JSON interoperable range)."""

TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
PLAIN_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=["Cs", "Cc"],
    exclude_characters="".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])),
)
"""Characters a command's text accepts (no control, bidi override or isolate characters)."""
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"

ids = st.from_regex(ID_PATTERN, fullmatch=True)
"""Identifiers as the contract's ``Id``."""
tokens = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
)
"""Opaque header-safe tokens (correlation and causation ids): printable UTF-8."""
times = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=7))]),
)
"""Aware datetimes in several offsets (the wire form normalises them to UTC)."""
sequences = st.integers(min_value=1, max_value=MAX_SAFE_INT)
"""Sequence numbers up to the 20-digit wire width."""
hashes = st.one_of(st.just(GENESIS_HASH), st.binary(min_size=32, max_size=32).map(bytes.hex))


@functools.cache
def models(model: type[M]) -> st.SearchStrategy[M]:
    """Valid instances of a pydantic model, from its fields' types and constraints."""
    fields = {name: _for(info.annotation, list(info.metadata)) for name, info in model.model_fields.items()}
    return st.builds(model, **fields)


def _for(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _for(inner, [*extra, *metadata])
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_for(arg, metadata) for arg in typing.get_args(annotation)))
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if origin is tuple:
        return _tuples(typing.get_args(annotation)[0], metadata)
    return _scalar(annotation, metadata)


def _scalar(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from(list(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return models(annotation)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(
            min_value=_bound(metadata, "ge", -MAX_INT), max_value=_bound(metadata, "le", MAX_INT)
        )
    if annotation is float:
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
    if annotation is str:
        return _strings(metadata)
    raise NotImplementedError(f"no strategy for {annotation!r}; extend tests/strategies.py")


def _tuples(item: Any, metadata: list[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    low = _bound(metadata, "min_length", 0)
    unique = any(isinstance(m, UniqueItems) for m in metadata)
    return st.lists(_for(item, []), min_size=low, max_size=max(low, MAX_ITEMS), unique=unique).map(tuple)


def _strings(metadata: list[Any]) -> st.SearchStrategy[str]:
    constraints = next((m for m in metadata if isinstance(m, StringConstraints)), StringConstraints())
    if constraints.pattern is not None:
        return st.from_regex(str(constraints.pattern), fullmatch=True)
    low = constraints.min_length or 0
    high = min(constraints.max_length or MAX_TEXT, MAX_TEXT)
    plain = any(isinstance(m, PlainText) for m in metadata)
    text = st.text(alphabet=PLAIN_CHARS if plain else TEXT_CHARS, min_size=low, max_size=max(low, high))
    if constraints.strip_whitespace:
        # Python strips a superset of what pydantic strips, so this never admits a too-short value.
        return text.filter(lambda s: len(s.strip()) >= low)
    return text


def _bound(metadata: list[Any], name: str, default: int) -> int:
    kinds = {"ge": annotated_types.Ge, "le": annotated_types.Le, "min_length": annotated_types.MinLen}
    for item in metadata:
        if isinstance(item, kinds[name]) or (name == "min_length" and isinstance(item, annotated_types.Len)):
            return int(getattr(item, name))
    return default


def data_for(event_type: EventType) -> st.SearchStrategy[Frozen]:
    """Valid data of one event type."""
    return models(event_type.model)


@st.composite
def events(draw: st.DrawFn, event_types: Sequence[EventType] | None = None) -> Event:
    """A valid event of any registered type (or of one of ``event_types``), envelope included."""
    event_type = draw(st.sampled_from(list(event_types or CURRENT.values())))
    source = DECISION_SOURCE if event_type.topic.startswith("decision.") else INTERVIEW_SOURCE
    return build_event(
        draw(data_for(event_type)),
        event_id=str(draw(st.uuids())),
        subject=draw(ids),
        sequence=draw(sequences),
        prevhash=draw(hashes),
        time=draw(times),
        actorid=draw(ids),
        actorside=draw(st.sampled_from(list(ActorSide))),
        correlationid=draw(tokens),
        causationid=draw(tokens),
        source=source,
    )


def chain(
    data: Iterable[Frozen],
    *,
    subject: str,
    start: datetime,
    actors: Sequence[tuple[str, ActorSide]] = (("system", ActorSide.SYSTEM),),
    correlationid: str = "corr-1",
    uuid_namespace: int = 0,
) -> list[Event]:
    """One interview's events from data: sequence 1, 2, ..., each ``prevhash`` the previous hash.

    ``actors`` gives each item's (actor id, side); the last one repeats for the remaining items.
    """
    out: list[Event] = []
    prevhash = GENESIS_HASH
    for sequence, item in enumerate(data, start=1):
        actorid, actorside = actors[min(sequence, len(actors)) - 1]
        event = build_event(
            item,
            event_id=f"{uuid_namespace:08x}-0000-4000-8000-{sequence:012x}",
            subject=subject,
            sequence=sequence,
            prevhash=prevhash,
            time=start + timedelta(seconds=sequence),
            actorid=actorid,
            actorside=actorside,
            correlationid=correlationid,
            causationid=out[-1].attributes.id if out else correlationid,
            source=INTERVIEW_SOURCE,
        )
        out.append(event)
        prevhash = event.chain_hash
    return out
