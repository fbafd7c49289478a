"""Encode events to Kafka records in CloudEvents binary mode, and decode them back.

Binary mode (CloudEvents Kafka protocol binding): each attribute is a ``ce_<name>`` header, the
data is the record value, ``content-type`` carries ``datacontenttype``, the key is the interview id.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from schemas import canonical
from schemas.chain import HASH_HEADER, hash_header, record_hash
from schemas.envelope import Attributes, Event
from schemas.registry import CURRENT, REGISTRY
from schemas.upcast import upcast

Headers = Sequence[tuple[str, bytes]]
_RECORD = "_kafka_record"


@dataclass(frozen=True)
class KafkaRecord:
    """What goes on the wire: key, value and headers."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    topic: str = ""


@dataclass(frozen=True)
class FieldProblem:
    """One precise complaint: where, what is wrong, what is allowed."""

    loc: str
    msg: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.msg}"


@dataclass
class ContractError(ValueError):
    """A record or payload that does not satisfy the contract; ``code`` is stable."""

    code: str
    problems: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: " + "; ".join(str(p) for p in self.problems)


def encode(event: Event) -> KafkaRecord:
    """An event as a Kafka record (binary mode), with its chain hash in the ``HASH_HEADER``.

    Encoded once per event (an event is immutable): a second call returns the same record.
    """
    cached: KafkaRecord | None = event.__dict__.get(_RECORD)
    if cached is not None:
        return cached
    wire, value = event.wire(), event.data_bytes()
    headers = [(f"ce_{name}", text.encode()) for name, text in wire.items() if name != "datacontenttype"]
    headers.append(("content-type", wire["datacontenttype"].encode()))
    # A decoded event is re-encoded as the current version: hash what is written, not what was read.
    digest = record_hash(wire, value, canonical_value=True) if event.stored() else event.chain_hash
    headers.append((HASH_HEADER, digest.encode()))
    topic = REGISTRY[event.attributes.type].topic if event.attributes.type in REGISTRY else ""
    record = KafkaRecord(wire["partitionkey"].encode(), value, headers, topic)
    event.__dict__[_RECORD] = record  # not a field: equality and model_copy ignore it
    return record


def headers_to_attributes(headers: Headers) -> dict[str, str]:
    """The ``ce_*`` headers (and ``content-type``) as CloudEvents attribute strings."""
    attrs: dict[str, str] = {}
    for name, raw in headers:
        text = raw.decode("utf-8", errors="replace") if raw is not None else ""
        if name.startswith("ce_"):
            attrs[name[3:]] = text
        elif name.lower() == "content-type":
            attrs["datacontenttype"] = text
    return attrs


def decode(
    value: bytes | None, headers: Headers, key: bytes | None = None, *, trust_hash: bool = False
) -> Event:
    """A Kafka record back to an event; raises ``ContractError`` with field-level problems.

    ``trust_hash`` takes the event's ``chain_hash`` from the record's ``HASH_HEADER`` when it has one
    (the writer computed it over these bytes, in the same transaction) instead of re-canonicalising
    the record: for a processor of our own topics. The audit never trusts it: it recomputes.
    """
    event = decode_parts(headers_to_attributes(headers), value, key)
    if trust_hash and (digest := hash_header(headers)) is not None:
        event.__dict__["chain_hash"] = digest  # the cached_property's slot
    return event


def decode_parts(
    attrs: dict[str, str], value: bytes | None, key: bytes | None = None, *, exact_hash: bool = False
) -> Event:
    """Decode from attribute strings and the data bytes (shared by Kafka and JSONL readers).

    ``exact_hash`` sets the event's ``chain_hash`` from this very parse: the canonical form of the
    value just parsed, hashed with the stored attributes (what ``record_hash`` of the stored record
    computes, without parsing the value a second time; the audit's one hash per record, ADR 0020).
    """
    stored = attrs, value
    attrs, value = upcast(attrs, value)  # past versions are read as the current one
    event_type = attrs.get("type")
    if event_type is None:
        raise ContractError("missing_type", [FieldProblem("header ce_type", "is required")])
    if event_type not in CURRENT:
        known = ", ".join(sorted(REGISTRY))
        code, why = (
            ("no_upcaster", "has no upcaster to the current version")
            if event_type in REGISTRY
            else ("unknown_type", f"is not one of: {known}")
        )
        raise ContractError(code, [FieldProblem("header ce_type", f"{event_type!r} {why}")])
    attributes = _attributes(attrs)
    payload = _payload(value)
    data = _validated(REGISTRY[event_type].model, payload)
    _check_key(attributes, key)
    # Both parts were just validated and the data's model is the one registered for its type, which
    # is all the validating constructor would check.
    event = Event.trusted(attributes, data).read_from(*stored)  # type: ignore[arg-type]
    if exact_hash and value is stored[1]:  # not upcast: the payload is the stored value's
        event.__dict__["chain_hash"] = record_hash(stored[0], canonical.dumps(payload), canonical_value=True)
    return event


def _attributes(attrs: dict[str, str]) -> Attributes:
    try:
        return Attributes.model_validate(attrs)
    except ValidationError as exc:
        raise ContractError("invalid_envelope", _problems(exc, "header ce_")) from None


def _payload(value: bytes | None) -> Any:
    if value is None:
        raise ContractError("missing_data", [FieldProblem("value", "is empty; JSON object expected")])
    try:
        return canonical.loads(value)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise ContractError("malformed_json", [FieldProblem("value", str(exc))]) from None


def _validated(model: type[Any], payload: Any) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ContractError("invalid_data", _problems(exc, "data.")) from None


def _check_key(attributes: Attributes, key: bytes | None) -> None:
    if key is not None and key.decode("utf-8", errors="replace") != attributes.partitionkey:
        raise ContractError(
            "key_mismatch",
            [FieldProblem("key", f"{key!r} differs from ce_partitionkey {attributes.partitionkey!r}")],
        )


def _problems(exc: ValidationError, prefix: str) -> list[FieldProblem]:
    return field_problems(exc.errors(include_url=False), prefix=prefix)


def field_problems(
    errors: Iterable[Mapping[str, Any]], *, prefix: str = "", skip: Container[str] = (), noun: str = "type"
) -> list[FieldProblem]:
    """pydantic/FastAPI validation errors as precise problems: the field path and what is allowed.

    ``skip`` drops location parts that are not fields (``body``, discriminator tags).
    """
    problems = []
    for err in errors:
        if err.get("type") == "json_invalid":  # its loc ends in a character position, not a field
            problems.append(FieldProblem("(body)", _malformed(err)))
            continue
        loc = ".".join(str(part) for part in err.get("loc", ()) if str(part) not in skip) or "(root)"
        msg = str(err.get("msg"))
        if err.get("type") == "extra_forbidden":
            msg = f"is not a field of this {noun} (unknown fields are rejected)"
        elif err.get("type") == "missing":
            msg = "is required"
        problems.append(FieldProblem(f"{prefix}{loc}", msg))
    return problems


def _malformed(err: Mapping[str, Any]) -> str:
    position = next((part for part in reversed(err.get("loc", ())) if isinstance(part, int)), None)
    why = (err.get("ctx") or {}).get("error") or err.get("msg")
    where = f" at character {position}" if position is not None else ""
    return f"is not valid JSON{where}: {why}"
