"""The fast canonical JSON path equals the rfc8785 reference on arbitrary JSON values."""

from __future__ import annotations

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


@settings(max_examples=400)
@given(json_values)
def test_fast_path_equals_the_reference(value: Any) -> None:
    try:
        reference = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical.dumps(value)
        return
    assert canonical.dumps(value) == reference


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
    try:
        reference = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical.dumps(value)
        return
    assert canonical.dumps(value) == reference
