"""Seal an event's text fields (the writer) and open them again (the edges that show text)."""

from __future__ import annotations

from collections.abc import Callable

from schemas.envelope import Event
from schemas.sealed import (
    ERASED,
    SEALED,
    TEXT_FIELDS,
    UNREADABLE,
    ClearText,
    SealedText,
    associated_data,
)
from services.platform.privacy.crypto import DataKey, SealError, seal, unseal


def base_type(event_type: str) -> str:
    """``hiring.interview.story_told.v2`` -> ``hiring.interview.story_told``."""
    return event_type.rsplit(".", 1)[0]


def text_fields(event: Event) -> tuple[str, ...]:
    """The sealable text fields of this event's type (none for most types)."""
    return TEXT_FIELDS.get(base_type(event.attributes.type), ())


def needs_key(event: Event) -> bool:
    """Whether the event carries text still in the clear (the writer must seal it before writing)."""
    return any(isinstance(getattr(event.data, f), ClearText) for f in text_fields(event))


def ad_for(event: Event, field: str) -> bytes:
    """The associated data of one text field of ``event``."""
    attrs = event.attributes
    return associated_data(attrs.subject, attrs.id, base_type(attrs.type), field)


def seal_event(event: Event, key: DataKey) -> Event:
    """The event with every clear text field sealed under ``key`` (a new event: new bytes, new hash)."""
    update = {
        f: seal(key, value.plain, ad_for(event, f))
        for f in text_fields(event)
        if isinstance(value := getattr(event.data, f), ClearText)
    }
    if not update:
        return event
    data = event.data.model_copy(update=update)
    return Event(attributes=event.attributes, data=type(event.data).model_validate(data.model_dump()))


Lookup = Callable[[str], DataKey | None]


def reveal(event: Event, field: str, lookup: Lookup | None) -> str:
    """A text field as a person reads it.

    Clear text as it is; sealed text opened with its data key; ``[erased]`` when the key was destroyed;
    ``[sealed]`` for a reader without the
    key store (``lookup`` None); ``[unreadable]`` when the ciphertext does not open under its key.
    """
    value = getattr(event.data, field)
    if isinstance(value, ClearText):
        return value.plain
    if not isinstance(value, SealedText):
        return str(value)
    if lookup is None:
        return SEALED
    key = lookup(value.kid)
    if key is None:
        return ERASED
    try:
        return unseal(key.secret, value, ad_for(event, field))
    except SealError:
        return UNREADABLE
