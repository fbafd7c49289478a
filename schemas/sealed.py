"""Text fields that can be erased: sealed (AEAD-encrypted) with a per-candidate data key.

A text field of a current interview event (story title and summary, question and answer text,
assessment note) is a JSON object, either

- ``{"alg": "A256GCM", "kid": ..., "nonce": ..., "ct": ...}``: AES-256-GCM ciphertext under the data
  key ``kid`` of the interview's candidate, bound by its associated data to the interview, the event
  and the field (``associated_data``). Destroying the key (crypto-shredding) erases the text while
  the record, its hash and every verdict stay as they are. This is what producers write.
- ``{"plain": ...}``: text stored in the clear. Only records written before sealing existed (the v1
  types) read this way, through their upcasters; producers never write it.

Decoding needs no key: the decision policy never reads text. Only the edges that show text (the
audit's timeline) open it, and show ``ERASED`` when the key is gone (docs/decisions/0011).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from schemas import canonical
from schemas.common import Frozen

ALG = "A256GCM"
ERASED = "[erased]"
"""How a text whose key was destroyed reads."""
SEALED = "[sealed]"
"""How a text reads to a reader without access to the key-encryption key."""
UNREADABLE = "[unreadable]"
"""How a sealed text reads whose ciphertext does not open under its key (tampered or moved)."""

KeyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:@-]{1,128}$")]


class ClearText(Frozen):
    """Text in the clear, as records written before sealing hold it (never written now)."""

    plain: str = Field(description="The text.")


class SealedText(Frozen):
    """Text encrypted with the candidate's data key (AES-256-GCM); erased when that key is destroyed."""

    alg: Literal["A256GCM"] = Field(description="AEAD algorithm: AES-256-GCM (RFC 5116 AEAD_AES_256_GCM).")
    kid: KeyId = Field(description="Id of the data key (one per candidate; random, not the candidate id).")
    nonce: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16}$")] = Field(
        description="The 96-bit nonce, base64url without padding."
    )
    ct: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{22,}$")] = Field(
        description="Ciphertext with its 128-bit tag appended, base64url without padding; the associated "
        "data is the JCS form of {interview, event, type, field} (see schemas/sealed.py)."
    )


Text = SealedText | ClearText
"""A text field of a current interview event."""


def plain(text: str) -> ClearText:
    """Text before the writer seals it (the pure domain builds events with these)."""
    return ClearText(plain=text)


def associated_data(interview_id: str, event_id: str, event_type: str, field: str) -> bytes:
    """What a sealed text is bound to: moved to another interview, event, type or field it is refused.

    ``event_type`` is the type without its version (``hiring.interview.story_told``), so a later
    version's upcaster can carry the sealed object unchanged.
    """
    doc = {"interview": interview_id, "event": event_id, "type": event_type, "field": field}
    return canonical.dumps(doc)


TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "hiring.interview.story_told": ("title", "summary"),
    "hiring.interview.question_asked": ("text",),
    "hiring.interview.question_answered": ("text",),
    "hiring.interview.goal_assessed": ("note",),
}
"""The text fields of each interview event type (without version) that are sealed."""


class WrappedDataKey(Frozen):
    """A value of ``privacy.keys``: one candidate's data key, wrapped; a tombstone (null) destroys it."""

    candidate: KeyId = Field(description="The candidate id (pseudonymous) the key belongs to.")
    kid: KeyId = Field(description="Id of the data key, as sealed texts name it.")
    alg: Literal["A256GCM"] = Field(description="The algorithm of the data key and of its wrapping.")
    kek: str = Field(description="Id of the key-encryption key that wrapped it (a hash prefix, not the key).")
    wrapped: str = Field(
        description="nonce || AES-256-GCM(KEK, data key), base64url; associated data: JCS of "
        "{candidate, kid, alg}."
    )
    created: str = Field(description="When the key was created (RFC 3339).")
