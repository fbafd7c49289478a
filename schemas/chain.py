"""The hash chain's one hash: SHA-256 of a record's canonical form, taken over the record as stored.

The canonical form of a record is the RFC 8785 (JCS) serialisation of
``{"attributes": <every attribute as its header string>, "data": <the value's JSON>}``
(``schemas/README.md``). JCS of that object is the concatenation below, because ``attributes``
sorts before ``data`` and JCS of the data is the canonical form of the value; so the data, the
costly part, is serialised at most once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from schemas import canonical

GENESIS_HASH = "0" * 64
"""The ``prevhash`` of the first event of every interview (and of every first revision)."""


def record_hash(attributes: Mapping[str, str], value: bytes, *, canonical_value: bool = False) -> str:
    """SHA-256 (hex) of a stored record: its ``ce_*`` attribute strings and its value bytes.

    ``canonical_value`` says the caller knows ``value`` is already in canonical form (as our codec
    writes it), which skips parsing it; a value that is not gives another hash. Raises
    ``ValueError`` when the value is not JSON.
    """
    if not canonical_value:
        value = canonical.dumps(json.loads(value, parse_constant=canonical.reject_constant))
    document = b'{"attributes":' + canonical.dumps(dict(attributes)) + b',"data":' + value + b"}"
    return hashlib.sha256(document).hexdigest()

