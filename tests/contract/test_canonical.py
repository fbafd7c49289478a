"""The fast canonical JSON path equals the rfc8785 reference on arbitrary JSON values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import canonical

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=-2, max_value=2).map(lambda x: round(x, 4))
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


def assert_same_as_reference(encode: Callable[[Any], bytes], value: Any) -> None:
    """``encode`` writes what ``rfc8785`` writes, and refuses what it refuses."""
    try:
        reference = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            encode(value)
        return
    assert encode(value) == reference


@settings(max_examples=400)
@given(json_values)
def test_fast_path_equals_the_reference(value: Any) -> None:
    assert_same_as_reference(canonical.dumps, value)


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        -0.0,
        0.5,
        1e-4,
        9.999e-5,
        1e16,
        1e21,
        123456789012345.6,
        "\u2028",
        'é\x00\x1f"\\',
        {"é": 1, "z": 2},
        {"\ue000": 1, "\U00010000": 2},
        {"\ue000": "\U00010000"},
        [2**53 - 1, -(2**53) + 1, 2**53, 2.0, 1e15 + 0.5, 1e-4 * 3],
        {"text": "1.5e+16 [0.5] 12345678901234567", "n": 12},
        "\ud800",
    ],
)
def test_edges_of_the_fast_path(value: Any) -> None:
    assert_same_as_reference(canonical.dumps, value)


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=8), st.text() | st.integers(-5, 5) | st.none(), max_size=20))
def test_string_maps_equal_the_reference(value: dict[str, Any]) -> None:
    """``dumps_strings`` (the attributes of every hashed record) writes what the reference writes."""
    assert_same_as_reference(canonical.dumps_strings, value)


@pytest.mark.parametrize(
    "value",
    [{"\ue000": "a", "\U00010000": "b"}, {"a": "\ue000\U00010000"}, {"a": 'q"\\'}, {"a": "\ud800"},
     {"time": "2026-12-07T10:00:00.000000Z", "x": "1e+16 2.0"}],
)  # fmt: skip
def test_edges_of_string_maps(value: dict[str, Any]) -> None:
    assert_same_as_reference(canonical.dumps_strings, value)
