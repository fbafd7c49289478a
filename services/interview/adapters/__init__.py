"""Adapters of the interview service: Kafka writer handler, log rebuild, wire format, metrics."""
