"""The CloudEvents 1.0 envelope with our extensions, and the per-interview hash chain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_serializer

from schemas import canonical
from schemas.chain import record_hash
from schemas.common import MAX_SAFE_INT, ActorSide, Frozen, Hex64, Id

SEQUENCE_WIDTH = 20
_STORED = "_stored_record"

TraceParent = Annotated[str, StringConstraints(pattern=r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
AuthType = Literal["app_user", "user", "service_account", "api_key", "system", "unauthenticated", "unknown"]
"""``authtype`` of the CloudEvents Auth Context extension."""
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]+$"
AuthId = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=_PRINTABLE)]
AuthText = Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=_PRINTABLE)]
UuidStr = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z``: one spelling per instant."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Attributes(Frozen):
    """CloudEvents context attributes (spec 1.0) plus our extensions."""

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents spec version.")
    id: UuidStr = Field(description="Unique per source (lower-case UUID).")
    source: Annotated[str, StringConstraints(min_length=1)] = Field(
        description="URI-reference of the producing service."
    )
    type: Annotated[str, StringConstraints(pattern=r"^hiring\.[a-z_.]+\.v[1-9][0-9]*$")] = Field(
        description="Event type with its major version, e.g. hiring.interview.story_told.v1."
    )
    subject: Id = Field(description="The interview id.")
    time: AwareDatetime = Field(description="When the service accepted the fact (UTC).")
    datacontenttype: Literal["application/json"] = Field(default="application/json")
    dataschema: Annotated[str, StringConstraints(pattern=r"^https://")] = Field(
        description="Absolute $id of the type's JSON Schema."
    )
    sequence: int = Field(
        ge=1, le=MAX_SAFE_INT, description="Per-interview, contiguous from 1 (zero-padded on wire)."
    )
    partitionkey: Id = Field(description="Kafka key: the interview id.")
    actorid: Id = Field(description="Participant (or service) that caused the event.")
    actorside: ActorSide = Field(description="candidate, company or system.")
    correlationid: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Id shared by everything one request caused."
    )
    causationid: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Id of the command or event that caused this one."
    )
    prevhash: Hex64 = Field(description="SHA-256 of the previous event of the same subject.")
    traceparent: TraceParent | None = Field(
        default=None,
        description="W3C Trace Context of the operation that caused the event (CloudEvents "
        "distributed-tracing extension); absent when tracing is off.",
    )
    tracestate: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        default=None, description="W3C tracestate that goes with traceparent (distributed-tracing extension)."
    )
    authtype: AuthType | None = Field(
        default=None,
        description="Kind of principal that caused the event (CloudEvents Auth Context extension): user "
        "for a person's verified token, service_account for a service token or the Kafka intake principal, "
        "unauthenticated when the service ran without authentication (development); absent on events "
        "written before principals were recorded.",
    )
    authid: AuthId | None = Field(
        default=None,
        description="The authenticated principal (Auth Context extension): the verified token's sub, or "
        "the Kafka principal of the intake, e.g. User:interview-intake.",
    )
    authclaims: AuthText | None = Field(
        default=None,
        description="Claims of the principal as compact JSON with sorted keys (Auth Context extension): "
        '{"iss": <token issuer or kafka>, "role": <role acted as>}; never a credential.',
    )

    @field_serializer("time")
    def _time(self, value: datetime) -> str:
        return format_time(value)

    def wire(self) -> dict[str, str]:
        """Attributes as the strings carried in ``ce_*`` headers, in field order (absent ones left out).

        What ``model_dump(mode="json", exclude_none=True)`` gives as strings (a test holds them equal),
        written out because it runs for every record written and every hash of a built event.
        """
        out: dict[str, str] = {}
        values = self.__dict__
        for name in _FIELD_ORDER:
            value = values[name]
            if value is None:
                continue
            if name == "time":
                out[name] = format_time(value)
            elif name == "sequence":
                out[name] = str(value).zfill(SEQUENCE_WIDTH)
            else:
                out[name] = value.value if isinstance(value, Enum) else str(value)
        return out

    @classmethod
    def trusted(cls, **values: Any) -> Attributes:
        """Attributes this process built from values it already checked: not validated again.

        For the hot path (a revision's envelope from the interview event that caused it); whatever
        comes from outside (a command, a record) goes through the validating constructor.
        """
        return cls.built(**values)


_FIELD_ORDER: tuple[str, ...] = tuple(Attributes.model_fields)


class Event(Frozen):
    """One event: envelope attributes and its typed data.

    The data's model is the one its type names by construction: ``codec.decode`` validates the value
    with the registry's model for the type, and ``registry.build_event`` takes the type from the data's
    model. So the envelope needs no registry (which imports it): the contract has no import cycle.
    """

    attributes: Attributes
    data: Frozen

    def data_json(self) -> dict[str, Any]:
        """The data as plain JSON values."""
        return self.data.model_dump(mode="json")

    def data_bytes(self) -> bytes:
        """Byte-stable JSON of the data (RFC 8785 canonical form), computed once per event."""
        return self._data_bytes

    @cached_property
    def _data_bytes(self) -> bytes:
        # An event is immutable, and it is encoded and hashed at least once each.
        return canonical.dumps(self.data_json())

    @cached_property
    def chain_hash(self) -> str:
        """SHA-256 of this event's record as stored: the next event's ``prevhash``.

        A decoded event is hashed as the record it was read from (before any upcast); an event built
        here is hashed as the codec will store it.
        """
        stored = self.__dict__.get(_STORED)
        if stored is not None:
            return record_hash(*stored)
        return record_hash(self.wire(), self.data_bytes(), canonical_value=True)

    def wire(self) -> dict[str, str]:
        """``attributes.wire()``, computed once per event (the codec and the hash both need it)."""
        return self._wire

    @cached_property
    def _wire(self) -> dict[str, str]:
        return self.attributes.wire()

    @classmethod
    def trusted(cls, attributes: Attributes, data: Frozen) -> Event:
        """An event this process built from values it already checked: not validated again.

        ``build_event(..., trusted=True)`` gives one with a registered type, so the type check of
        the validating constructor has nothing to find.
        """
        return cls.built(attributes=attributes, data=data)

    def stored(self) -> bool:
        """True for an event decoded from a stored record (its hash is that record's)."""
        return _STORED in self.__dict__

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Event:
        """A copy; cached bytes, hash and stored record stay behind (with ``update`` it is another event)."""
        copied = super().model_copy(update=update, deep=deep)
        for key in [k for k in copied.__dict__ if k not in type(self).model_fields]:
            del copied.__dict__[key]
        return copied

    def read_from(self, attributes: Mapping[str, str], value: bytes) -> Event:
        """Remember the stored record this event was decoded from (for ``chain_hash``); returns self."""
        self.__dict__[_STORED] = (dict(attributes), value)  # not a field: equality ignores it
        return self
