"""RFC 8785 (JCS) canonical JSON: ``rfc8785`` is the reference; this adds a compiled fast path.

``rfc8785`` serialises in pure Python, which dominated the cost of every event we write, hash or
verify. ``orjson`` with sorted keys writes the same bytes for the values our contract carries:
strings with the same minimal escaping, integers as digits, keys sorted by code point (the same order
as JCS's UTF-16 code units unless one key holds a character above U+DFFF and another one a
supplementary character). What it writes differently is found in its own output, outside strings,
not by walking the value: integral floats (``2.0`` where JCS writes ``2``), other notations outside
[1e-4, 1e16), and non-ASCII output holding both kinds of character above. Integers beyond 2**53,
which ``rfc8785`` refuses, make orjson raise too (``OPT_STRICT_INTEGER``).

Such values take the walk below: integral floats written as integers (Python's float ``repr``,
orjson's and ECMAScript's Number-to-String agree on the shortest round-trip digits and pick the same
notation for magnitudes in [1e-4, 1e16)); anything else outside that envelope (lone surrogates, other
types) goes to ``rfc8785``. A property test checks the result equals the reference on arbitrary JSON
values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import msgspec
import orjson
import rfc8785

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_STRICT_INTEGER  # beyond 2**53 it raises, and the reference refuses them too
    | orjson.OPT_PASSTHROUGH_SUBCLASS  # str/int subclasses (enums) and other types: the reference decides
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
_SUSPECT = re.compile(rb"\.0(?![0-9])|e[+-]|(?<![0-9])0\.0000")
"""A float orjson writes differently from JCS, searched for outside strings: integral (``2.0``,
``-0.0``), in exponent notation (``1e+16``, ``1e-7``) or below 1e-4 (``0.00009``)."""
_BMP_HIGH = re.compile(b"[\xee\xef]")
"""UTF-8 lead bytes of U+E000..U+FFFF (sorted after supplementary characters in UTF-16)."""
_SUPPLEMENTARY = re.compile(b"[\xf0-\xf4]")


class _NeedsReferenceError(Exception):
    """The value is outside the fast path's envelope."""


def reject_constant(name: str) -> Any:
    """``NaN``/``Infinity`` are not JSON (RFC 8259) and have no canonical form: refuse them."""
    raise ValueError(f"{name} is not a JSON value")


_DECODER = msgspec.json.Decoder()


def loads(value: bytes) -> Any:
    """``json.loads(value, parse_constant=reject_constant)``, parsed by msgspec when it can.

    msgspec parses what it accepts to the same values (arbitrary-size integers, correctly rounded
    floats, the last of duplicate keys); whatever it refuses (NaN, lone surrogate escapes, a BOM,
    UTF-16, malformed input) is parsed again by ``json``, so the result or the error is ``json``'s.
    """
    try:
        return _DECODER.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return json.loads(value, parse_constant=reject_constant)


def _suspect(outside: bytes) -> bool:
    """``_SUSPECT`` occurs in ``outside``: each of its branches holds ``.0`` or ``e+``/``e-``, which
    ``in`` finds far faster than the regular expression (whose look-behind is slow to scan)."""
    if b".0" not in outside and b"e+" not in outside and b"e-" not in outside:
        return False
    return _SUSPECT.search(outside) is not None


def dumps_strings(values: Mapping[str, str]) -> bytes:
    """``dumps(dict(values))`` for a mapping of strings to strings (a record's attributes).

    Without numbers there is nothing for orjson to write differently but the key order of non-ASCII
    keys (see ``dumps``), so the output needs no scan for floats.
    """
    plain = dict(values)
    kinds = set(map(type, plain))
    kinds.update(map(type, plain.values()))
    if kinds != {str}:  # str subclasses (enums) and other values: the general path decides
        return dumps(plain)
    try:
        out = orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a key that is not a string, a lone surrogate
        return dumps(plain)
    if not out.isascii() and _BMP_HIGH.search(out) and _SUPPLEMENTARY.search(out):
        return rfc8785.dumps(plain)
    return out


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of ``value`` (RFC 8785)."""
    try:
        out = orjson.dumps(value, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: lone surrogates, non-str keys, other types
        return rfc8785.dumps(value)
    if not out.isascii() and _BMP_HIGH.search(out) and _SUPPLEMENTARY.search(out):
        return rfc8785.dumps(value)  # keys might sort differently in UTF-16: let the reference decide
    if b'\\"' not in out:  # no escaped quote: every other ``"`` opens or closes a string
        outside = b"".join(out.split(b'"')[::2])  # the structure and the numbers
        if not _suspect(outside):
            return out
    try:
        prepared = _prepare(value)
    except _NeedsReferenceError:
        return rfc8785.dumps(value)
    # Without the 53-bit limit: an integral float below 1e16 may be written as a larger integer.
    return orjson.dumps(prepared, option=_OPTIONS & ~orjson.OPT_STRICT_INTEGER)


def _prepare(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _prepare(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_prepare(item) for item in value]
    if kind is int:
        if abs(value) > 2**53 - 1:
            raise _NeedsReferenceError  # rfc8785 refuses these; let it say so
        return value
    if kind is float:
        if value.is_integer() and abs(value) < 1e16:
            return int(value)  # exact: ECMAScript writes integral doubles below 1e21 as integers
        if not 1e-4 <= abs(value) < 1e16:
            raise _NeedsReferenceError  # notation differs (or NaN/inf, which rfc8785 rejects)
        return value
    if kind is str or kind is bool or value is None:
        return value  # orjson already accepted every string and key of this value
    raise _NeedsReferenceError  # subclasses and other types: the reference decides
