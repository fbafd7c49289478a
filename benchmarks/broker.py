"""The benchmarks' broker: ``kafka_broker`` with its data directory removed afterwards.

The embedded broker keeps its data in a temporary directory that outlives it (gigabytes after a
restart run); a benchmark gives it one of its own and removes it once the broker has stopped.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from services.platform.broker import Broker, kafka_broker


@contextlib.contextmanager
def bench_broker() -> Iterator[Broker]:
    """A broker (``KAFKA_BOOTSTRAP_SERVERS`` or a local one in a directory removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as data, kafka_broker(Path(data)) as broker:
        yield broker
