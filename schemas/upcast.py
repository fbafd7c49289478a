"""Upcasters: read stored events of past versions as the current version.

A breaking change to an event's data is a new type (``<name>.v2``), never an edit of ``<name>.v1``
(``schemas/README.md``). Records of the old version stay in Kafka forever, so the decoder
upcasts them on read: each upcaster lifts the data of one ``(type, from_version)`` one step,
and the chain runs until no upcaster matches. The hash chain is verified on the record as
stored, before upcasting (see ``schemas/README.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from schemas import canonical
from schemas.registry import SCHEMA_BASE

Upcaster = Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]
"""Takes the attribute strings and the data of version N, returns the data of version N+1."""

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""``(type without version, from_version) -> upcaster``."""

_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<version>[0-9]+)$")


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function lifting ``<event_type>.v<from_version>`` data to the next version."""

    def register(func: Upcaster) -> Upcaster:
        UPCASTERS[(event_type, from_version)] = func
        return func

    return register


def split_type(event_type: str) -> tuple[str, int] | None:
    """``hiring.interview.opened.v1`` -> ``("hiring.interview.opened", 1)``; None if unversioned."""
    match = _VERSIONED.match(event_type)
    return (match["base"], int(match["version"])) if match else None


def upcast(attrs: dict[str, str], value: bytes | None) -> tuple[dict[str, str], bytes | None]:
    """Lift a record to the newest version; unchanged when no upcaster applies."""
    parts = split_type(attrs.get("type", ""))
    if parts is None or parts not in UPCASTERS:
        return attrs, value
    base, version = parts
    try:
        data = json.loads(value, parse_constant=canonical.reject_constant) if value is not None else None
    except ValueError:
        data = None  # the decoder reports the unreadable value against the newest type
    while (base, version) in UPCASTERS:
        if data is not None:
            data = UPCASTERS[(base, version)](attrs, data)
        version += 1
        new_type = f"{base}.v{version}"
        attrs = {**attrs, "type": new_type, "dataschema": f"{SCHEMA_BASE}{new_type}.json"}
    return attrs, value if data is None else canonical.dumps(data)


@upcaster("hiring.interview.goal_assessed", 1)
def goal_assessed_v1_to_v2(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """v1 recorded no confidence: a v1 assessment reads as one whose confidence was not stated."""
    return {**data, "confidence": None}


def _clear(data: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {**data, **{f: {"plain": data[f]} for f in fields if isinstance(data.get(f), str)}}


@upcaster("hiring.interview.goal_assessed", 2)
def goal_assessed_v2_to_v3(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """v2 stored the note in the clear: it reads as a ClearText (an absent note as an empty one)."""
    return _clear({"note": "", **data}, "note")


@upcaster("hiring.interview.story_told", 1)
def story_told_v1_to_v2(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """v1 stored title and summary in the clear: they read as ClearText objects."""
    return _clear(data, "title", "summary")


@upcaster("hiring.interview.question_asked", 1)
def question_asked_v1_to_v2(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """v1 stored the question in the clear: it reads as a ClearText."""
    return _clear(data, "text")


@upcaster("hiring.interview.question_answered", 1)
def question_answered_v1_to_v2(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """v1 stored the answer in the clear: it reads as a ClearText."""
    return _clear(data, "text")
