"""The hash chain's one hash: SHA-256 of a record's canonical form, taken over the record as stored.

The canonical form of a record is the RFC 8785 (JCS) serialisation of
``{"attributes": <every attribute as its header string>, "data": <the value's JSON>}``
(``schemas/README.md``). JCS of that object is the concatenation below, because ``attributes``
sorts before ``data`` and JCS of the data is the canonical form of the value; so the data, the
costly part, is serialised at most once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from schemas import canonical

_HEX = re.compile("[0-9a-f]{64}")

GENESIS_HASH = "0" * 64
"""The ``prevhash`` of the first event of every interview (and of every first revision)."""

HASH_HEADER = "chainhash"
"""Kafka header carrying the record's ``record_hash``, written by the codec with the record (in the same
transaction). Not a CloudEvents attribute (no ``ce_`` prefix), so it is never part of the hashed form.
A hint for the next processor, which would otherwise re-canonicalise the record; nothing that checks
the chain (the audit) trusts it."""


def hash_header(headers: Iterable[tuple[str, bytes | None]]) -> str | None:
    """The ``HASH_HEADER`` of a record when it is present and well formed (64 lower-case hex digits)."""
    for name, raw in headers:
        if name == HASH_HEADER and raw is not None and len(raw) == 64:
            text = raw.decode("ascii", errors="replace")
            return text if _HEX.fullmatch(text) else None
    return None


def record_hash(attributes: Mapping[str, str], value: bytes, *, canonical_value: bool = False) -> str:
    """SHA-256 (hex) of a stored record: its ``ce_*`` attribute strings and its value bytes.

    ``canonical_value`` says the caller knows ``value`` is already in canonical form (as our codec
    writes it), which skips parsing it; a value that is not gives another hash. Raises
    ``ValueError`` when the value is not JSON.
    """
    if not canonical_value:
        value = canonical.dumps(canonical.loads(value))
    document = b'{"attributes":' + canonical.dumps_strings(attributes) + b',"data":' + value + b"}"
    return hashlib.sha256(document).hexdigest()
