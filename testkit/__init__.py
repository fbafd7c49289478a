"""Test and benchmark kit (not shipped): sample interview histories and Kafka helpers."""
