"""The calibration sample fed over HTTP gives the interview events the test kit builds for it."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.codec import decode
from schemas.topics import Topics
from services.launcher.calibration_sample import calibration_sample, feed_calibration_sample
from services.platform.log_reader import read_all
from testkit.calibration import sample_events
from tests.integration.interview.conftest import Replica

pytestmark = pytest.mark.kafka


async def test_fed_sample_matches_the_test_kit(
    replica: Replica, kafka_client: dict[str, Any], topics: Topics
) -> None:
    _, http = replica
    fed = await feed_calibration_sample(http, "t1", interviews=3, parallel=3)
    assert [f.interview_id for f in fed] == ["cal-t1-1", "cal-t1-2", "cal-t1-3"]
    records = await read_all(kafka_client, topics.interview_events)
    logged: dict[str, list[Any]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        event = decode(r.value, list(r.headers), r.key)
        logged.setdefault(event.attributes.subject, []).append(event.data)
    for sample in calibration_sample(3, prefix="cal-t1"):
        # The writer seals text (ADR 0011): compare everything else; sealing has its own tests.
        assert [_unsealed(d) for d in logged[sample.interview_id]] == [
            _unsealed(e.data) for e in sample_events(sample)
        ]


def _unsealed(data: Any) -> dict[str, Any]:
    return {
        k: v for k, v in data.model_dump(mode="json").items() if k not in ("title", "summary", "text", "note")
    }
