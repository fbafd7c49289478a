"""The benchmarks' broker: ``kafka_broker`` in a directory of the benchmark's own, removed afterwards.

(``kafka_broker`` also removes the temporary directory it makes itself; an explicit one keeps a
benchmark's gigabytes of history out of the shared temporary folder while it runs.)
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
