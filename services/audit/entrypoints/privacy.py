"""Data keys for the audit's text views (``--reveal-text``): read once from the key topic."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaError

from schemas.topics import Topics
from services.audit.entrypoints.options import fail
from services.audit.entrypoints.source import settings
from services.platform.logging import configure_logging
from services.platform.privacy.crypto import KekError
from services.platform.privacy.erase import key_snapshot
from services.platform.privacy.keystore import KeyStoreUnavailableError
from services.platform.privacy.sealing import Lookup
from services.platform.privacy.settings import PrivacySettings


def text_keys(servers: str | None, prefix: str | None) -> Lookup:
    """Every live data key (an erased one is absent, so its text reads ``[erased]``); exit 2 if none."""
    configure_logging("WARNING", json=False)  # stderr: stdout carries the report
    found = settings(servers, prefix)
    try:
        kek = PrivacySettings().load_kek()
        keys = asyncio.run(key_snapshot(found.client_kwargs(), Topics(found.topic_prefix), kek))
    except (KekError, KeyStoreUnavailableError, KafkaError, OSError, ValueError) as exc:
        raise fail(f"cannot open sealed text: {exc}") from None
    return keys.get
