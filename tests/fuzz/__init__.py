"""Fuzzing: generated requests at both HTTP APIs, generated garbage at both Kafka intakes."""
