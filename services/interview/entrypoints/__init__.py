"""Entrypoints of the interview service: HTTP API, settings, process runner, CLI."""
