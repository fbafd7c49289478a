"""The Quix Streams peer: policy v1's decisions per interview, exactly once, state in RocksDB.

    python -m benchmarks.quix_peer --bootstrap HOST:PORT --input T --output T --group G --state-dir D

Reads ``interview.events`` (key: the interview id; value: the event's data; ``ce_type`` header) and
writes each interview's (company, candidate, mutual) decisions to ``--output`` whenever they change
(``benchmarks.peer_rule``: the project's thresholds and ``mutual`` rule, each side's mean restated).
State per interview (the assessments in force, the last decisions) lives in a RocksDB store with
its changelog topic; the output records carry no headers (Quix would forward the input's ``ce_*``).
The processing guarantee is exactly-once (Kafka transactions). It runs until
SIGTERM (the benchmark stops it once its consumer group has committed the whole input).

Needs the ``bench`` extra (``pip install -e '.[bench]'``): quixstreams pins pydantic below the
project's, so it is not part of ``dev``.
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.peer_rule import ASSESSED, OPENED, Interview

STATE_KEY = "interview"


def ce_type(headers: Any) -> str:
    """The ``ce_type`` header's value ('' when absent)."""
    for name, value in headers or ():
        if name == "ce_type":
            return bytes(value).decode()
    return ""


def decide(value: bytes, key: str, _timestamp: int, headers: Any, state: Any) -> dict[str, Any] | None:
    """One input record: the interview's new decisions, or None when they did not change."""
    kind = ce_type(headers)
    if not kind.startswith((OPENED, ASSESSED)):
        return None  # stories, questions, answers, conclusions never change a decision
    interview = Interview.load(state.get(STATE_KEY))
    changed = interview.step(kind, value)
    state.set(STATE_KEY, interview.dump())  # an assessment counts later even when nothing changed now
    if changed is None:
        return None
    return {"interview": key, "company": changed[0], "candidate": changed[1], "mutual": changed[2]}


def main(argv: list[str] | None = None) -> None:
    """Run the application until SIGTERM."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--commit-interval", type=float, default=0.5, help="Seconds between transactions.")
    args = parser.parse_args(argv)

    from quixstreams import Application
    from quixstreams.models.topics import TopicConfig

    app = Application(
        broker_address=args.bootstrap, consumer_group=args.group, auto_offset_reset="earliest",
        processing_guarantee="exactly-once", state_dir=args.state_dir, commit_interval=args.commit_interval,
        loglevel="WARNING",
    )  # fmt: skip
    source = app.topic(args.input, key_deserializer="str", value_deserializer="bytes")
    config = TopicConfig(num_partitions=args.partitions, replication_factor=1)
    sink = app.topic(args.output, key_serializer="str", value_serializer="json", config=config)
    frame = app.dataframe(source)
    frame = frame.apply(decide, stateful=True, metadata=True).filter(lambda v: v is not None)
    # Quix forwards the input's headers by default; a decision record needs none of the ce_* ones.
    frame = frame.set_headers(lambda _value, _key, _timestamp, _headers: [])
    frame.to_topic(sink)
    app.run()


if __name__ == "__main__":
    main()
