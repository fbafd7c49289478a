"""The projection publishes byte for byte what the reference implementation published.

The digests below were taken with the projection as of commit 3f30ca8 (before the per-event costs
were cut: cached side verdicts, spliced canonical bytes, one-step evolve): SHA-256 over every
revision record (value, headers, key) that ``project`` publishes for seeded varied histories.
"""

from __future__ import annotations

import hashlib

import pytest

from schemas.codec import encode
from schemas.envelope import Event
from services.decision.domain.replay import project
from testkit.interviews import stream
from testkit.varied import varied_stream


def digest(revisions: list[Event]) -> tuple[int, str]:
    h = hashlib.sha256()
    for revision in revisions:
        record = encode(revision)
        h.update(record.key + b"\0" + record.value + b"\0")
        for name, value in record.headers:
            h.update(name.encode() + b"=" + value + b"\0")
    return len(revisions), h.hexdigest()


EXPECTED = {
    "varied-300": (3581, "1932bf17a938a91c71bc36f80190ac82b2f14f5c77532011220f049c1c1f207d"),
    "stream-40": (380, "890458dcf3f7eb3844585c6dcc49fd578c7a025ba552bf450647064277a247b1"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_revisions_are_byte_identical_to_the_reference(name: str) -> None:
    events = varied_stream(300) if name == "varied-300" else stream(40, prefix="bytes")
    assert digest(project(events)) == EXPECTED[name]
