"""A published event schema never changes incompatibly: every version's schema is frozen but for its words.

``published/<type>.json`` is each type's JSON Schema as first published, committed once and never
rewritten. Consumers validate against the schema named by ``dataschema`` (unknown fields are refused),
so within a version only documentation may change; anything else needs a new ``.vN`` type and an
upcaster (``schemas/README.md``, "Compatibility rules").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas import REGISTRY
from schemas import generate as gen

PUBLISHED = Path(__file__).parent / "published"
WORDS = frozenset({"description", "title", "examples", "$comment"})
"""Keywords that document a schema without changing which records it accepts."""


def validating_part(schema: Any) -> Any:
    """The schema without its documentation keywords (at any depth)."""
    if isinstance(schema, dict):
        return {k: validating_part(v) for k, v in schema.items() if k not in WORDS or not isinstance(v, str)}
    if isinstance(schema, list):
        return [validating_part(item) for item in schema]
    return schema


def changes(old: Any, new: Any, where: str = "$") -> list[str]:
    """Where two validating parts differ, as JSON paths (for a readable failure)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(old.keys() | new.keys()):
            if key not in new:
                out.append(f"{where}.{key} removed")
            elif key not in old:
                out.append(f"{where}.{key} added")
            else:
                out.extend(changes(old[key], new[key], f"{where}.{key}"))
        return out
    return [] if old == new else [f"{where}: {json.dumps(old)} -> {json.dumps(new)}"]


@pytest.mark.parametrize("path", sorted(PUBLISHED.glob("*.json")), ids=lambda p: p.stem)
def test_published_version_accepts_exactly_what_it_accepted(path: Path) -> None:
    assert path.stem in REGISTRY, f"{path.stem} was published: its type must stay registered (read forever)"
    published = validating_part(json.loads(path.read_text(encoding="utf-8")))
    current = validating_part(gen.data_schema(REGISTRY[path.stem]))
    assert changes(published, current) == [], (
        f"{path.stem} changed incompatibly: publish a new version with an upcaster instead"
    )


def test_every_registered_version_is_published() -> None:
    missing = sorted(set(REGISTRY) - {p.stem for p in PUBLISHED.glob("*.json")})
    assert missing == [], f"copy schemas/json/<type>.json to {PUBLISHED} once, when it is first published"


def test_a_new_required_field_is_caught() -> None:
    schema = gen.data_schema(REGISTRY["hiring.interview.goal_assessed.v1"])
    widened = {**schema, "required": [*schema["required"], "confidence"], "description": "reworded"}
    found = changes(validating_part(schema), validating_part(widened))
    assert found == [f"$.required: {json.dumps(schema['required'])} -> {json.dumps(widened['required'])}"]


def test_rewording_is_compatible() -> None:
    schema = gen.data_schema(REGISTRY["hiring.interview.story_told.v1"])
    reworded = {**schema, "description": "Another wording.", "title": "Story"}
    assert changes(validating_part(schema), validating_part(reworded)) == []
