"""Bad records give a precise ContractError: a stable code and the location of each problem."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas import ContractError, FieldProblem, decode, encode
from tests.contract.samples import SAMPLES

STORY = encode(SAMPLES["hiring.interview.story_told.v1"])


def _error(value: bytes | None, headers: Any = STORY.headers, key: bytes | None = STORY.key) -> ContractError:
    with pytest.raises(ContractError) as caught:
        decode(value, headers, key)
    return caught.value


def _with_data(**changes: Any) -> bytes:
    data = json.loads(STORY.value) | changes
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


def _with_header(name: str, value: bytes | None) -> list[tuple[str, bytes]]:
    headers = [(k, v) for k, v in STORY.headers if k != name]
    return headers if value is None else [*headers, (name, value)]


def test_malformed_json() -> None:
    error = _error(STORY.value[:-1])
    assert error.code == "malformed_json"
    assert [p.loc for p in error.problems] == ["value"]


def test_value_that_is_not_utf8() -> None:
    assert _error(b"\xff\xfe{}").code == "malformed_json"


def test_missing_value() -> None:
    assert _error(None).problems == [FieldProblem("value", "is empty; JSON object expected")]


def test_unknown_type_names_the_header_and_the_known_types() -> None:
    error = _error(STORY.value, _with_header("ce_type", b"hiring.interview.story_sung.v1"))
    assert error.code == "unknown_type"
    (problem,) = error.problems
    assert problem.loc == "header ce_type"
    assert "'hiring.interview.story_sung.v1'" in problem.msg
    assert "hiring.interview.story_told.v1" in problem.msg


def test_missing_type_header() -> None:
    error = _error(STORY.value, _with_header("ce_type", None))
    assert (error.code, error.problems) == ("missing_type", [FieldProblem("header ce_type", "is required")])


def test_missing_field() -> None:
    error = _error(_with_data(teller=...))
    assert (error.code, error.problems) == ("invalid_data", [FieldProblem("data.teller", "is required")])


def test_extra_field() -> None:
    error = _error(_with_data(mood="happy"))
    assert error.code == "invalid_data"
    assert error.problems == [
        FieldProblem("data.mood", "is not a field of this type (unknown fields are rejected)")
    ]


def test_wrong_type_fields_are_all_reported() -> None:
    error = _error(_with_data(kind=5, skills="kafka"))
    assert error.code == "invalid_data"
    assert [p.loc for p in error.problems] == ["data.kind", "data.skills"]
    assert "'bug_hunt'" in error.problems[0].msg


def test_nested_location() -> None:
    opened = encode(SAMPLES["hiring.interview.opened.v1"])
    data = json.loads(opened.value)
    data["participants"][1]["side"] = "referee"
    error = _error(json.dumps(data).encode(), opened.headers, opened.key)
    assert error.problems[0].loc == "data.participants.1.side"
    assert "'candidate' or 'company'" in error.problems[0].msg


def test_bad_envelope_header() -> None:
    error = _error(STORY.value, _with_header("ce_sequence", b"seven"))
    assert error.code == "invalid_envelope"
    assert [p.loc for p in error.problems] == ["header ce_sequence"]


def test_missing_envelope_header() -> None:
    error = _error(STORY.value, _with_header("ce_prevhash", None))
    assert (error.code, error.problems) == (
        "invalid_envelope",
        [FieldProblem("header ce_prevhash", "is required")],
    )


def test_key_must_equal_the_partition_key() -> None:
    error = _error(STORY.value, key=b"another-interview")
    assert error.code == "key_mismatch"
    assert [p.loc for p in error.problems] == ["key"]


def test_error_message_reads_as_one_line() -> None:
    assert str(_error(_with_data(teller=...))) == "invalid_data: data.teller: is required"


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_number_constants_are_malformed(constant: bytes) -> None:
    verdict = encode(SAMPLES["hiring.decision.verdict_changed.v1"])
    value = verdict.value.replace(b'"overall":null', b'"overall":' + constant)
    error = _error(value, verdict.headers, verdict.key)
    assert error.code == "malformed_json"
    assert constant.decode().lstrip("-") in error.problems[0].msg
