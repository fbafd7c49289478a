"""RFC 8785 (JCS) canonical JSON: ``rfc8785`` is the reference; this adds a fast path.

``rfc8785`` serialises in pure Python, which dominated the cost of every event we write, hash or
verify. For the values our contract carries, the C-accelerated ``json`` encoder produces the same
bytes once integral floats are written as integers: Python's float ``repr`` and ECMAScript's
Number-to-String agree on the shortest round-trip digits, and they pick the same notation for
magnitudes in [1e-4, 1e16). Anything outside that envelope (other floats, non-ASCII keys whose
UTF-16 order could differ, lone surrogates) goes to ``rfc8785``. A property test checks the two
agree on arbitrary JSON values.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"))
_SURROGATE = re.compile("[\ud800-\udfff]")


class _NeedsReferenceError(Exception):
    """The value is outside the fast path's envelope."""


def reject_constant(name: str) -> Any:
    """``NaN``/``Infinity`` are not JSON (RFC 8259) and have no canonical form: refuse them."""
    raise ValueError(f"{name} is not a JSON value")


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of ``value`` (RFC 8785)."""
    try:
        prepared = _prepare(value)
    except _NeedsReferenceError:
        return rfc8785.dumps(value)
    return _ENCODER.encode(prepared).encode("utf-8")


def _prepare(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return _object(value)
    if kind is list or kind is tuple:
        return [_prepare(item) for item in value]
    return _scalar(value, kind)


def _object(mapping: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in mapping.items():
        if type(key) is not str or not key.isascii():
            raise _NeedsReferenceError  # JCS orders keys by UTF-16 code units
        kind = type(item)
        if kind is str:  # the common case, inlined
            if not item.isascii() and _SURROGATE.search(item):
                raise _NeedsReferenceError
            out[key] = item
        elif kind is dict:
            out[key] = _object(item)
        elif kind is list or kind is tuple:
            out[key] = [_prepare(x) for x in item]
        else:
            out[key] = _scalar(item, kind)
    return out


def _scalar(value: Any, kind: type) -> Any:
    if kind is str:
        if not value.isascii() and _SURROGATE.search(value):
            raise _NeedsReferenceError
        return value
    if value is None or kind is bool:
        return value
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
    raise _NeedsReferenceError  # subclasses and other types: the reference decides
