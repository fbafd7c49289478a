"""The shared SQLite helper: the pragmas every local cache file uses, and all-or-nothing transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.platform.sqlite import connect, transaction


def test_connect_uses_wal_and_normal_sync(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db.isolation_level is None  # autocommit: only `transaction` brackets a transaction


def test_transaction_commits_the_block(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.sqlite")
    db.execute("CREATE TABLE t (v INTEGER)")
    with transaction(db):
        db.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert not db.in_transaction
    assert connect(tmp_path / "a.sqlite").execute("SELECT count(*) FROM t").fetchone()[0] == 2


def test_transaction_rolls_back_everything_when_the_block_raises(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.sqlite")
    db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)")

    def insert_then_fail() -> None:
        with transaction(db):
            db.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    assert not db.in_transaction
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
