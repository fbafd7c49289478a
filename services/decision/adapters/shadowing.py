"""The shadow's bookkeeping in a partition store (ADR 0024): ``s:<interview>`` keys and whose they are."""

from __future__ import annotations

from services.decision.adapters.snapshot import SHADOW
from services.decision.domain.policy import Policy
from services.platform.state import PartitionStore

SHADOW_OF = "m:shadow"
"""The shadow policy the partition's ``s:`` entries belong to; none or another: they are dropped at
assignment, so a chain interrupted while the shadow was off (or another ran) never resumes with a gap."""


def settle_shadows(store: PartitionStore, shadow: Policy | None) -> None:
    """Drop shadow bookkeeping kept for another shadow (or none): those chains stopped for good."""
    current = shadow.version if shadow is not None else ""
    if (store.get(SHADOW_OF) or b"").decode() == current:
        return
    for key in store.keys(SHADOW):
        store.put(key, None)
    store.put(SHADOW_OF, current.encode() or None)


def still_shadowed(store: PartitionStore) -> set[str]:
    """Interviews whose shadow bookkeeping the store holds (not dropped in this transaction)."""
    return {key.removeprefix(SHADOW) for key in store.keys(SHADOW) if store.get(key) is not None}


def mark_shadow(store: PartitionStore, shadow: Policy | None) -> None:
    """After a wipe: the store's shadow entries, rebuilt, are ``shadow``'s."""
    if shadow is not None:
        store.put(SHADOW_OF, shadow.version.encode())
