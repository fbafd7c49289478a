"""Field-level differences between two JSON documents, as dotted paths."""

from __future__ import annotations

from typing import Any

from services.audit.domain.report import FieldDiff

_ABSENT = object()


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaves of a JSON value by path: ``a.b[0].c``; empty containers are leaves."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{path}[{index}]"))
        return out
    return {path: value}


def diff(expected: Any, actual: Any) -> list[FieldDiff]:
    """Every leaf that differs, in the expected document's order, then leaves only in ``actual``."""
    left, right = flatten(expected), flatten(actual)
    paths = list(left) + [p for p in right if p not in left]
    out = []
    for path in paths:
        a, b = left.get(path, _ABSENT), right.get(path, _ABSENT)
        if a is _ABSENT:
            out.append(FieldDiff(path=path, change="added", actual=b))
        elif b is _ABSENT:
            out.append(FieldDiff(path=path, change="removed", expected=a))
        elif a != b or type(a) is not type(b):
            out.append(FieldDiff(path=path, change="changed", expected=a, actual=b))
    return out
