"""Crypto-shredding: sealed text, data keys per candidate, the key store (docs/decisions/0011)."""
