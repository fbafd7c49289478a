"""The calibration store keeps final revisions only, survives a reopen, and forgets a recreated topic."""

from __future__ import annotations

from pathlib import Path

from schemas.codec import encode
from services.decision.adapters.calibration_store import CalibrationStore
from services.decision.domain.replay import project
from services.launcher.calibration_sample import OFFSET_INTERVIEWER
from testkit.calibration import calibration_stream


def test_final_revisions_make_the_report_and_survive_a_reopen(tmp_path: Path) -> None:
    revisions = project(calibration_stream(36))
    path = tmp_path / "calibration.sqlite"
    store = CalibrationStore(path)
    half = len(revisions) // 2
    store.add_records([encode(e) for e in revisions[:half]])
    partial = store.report().interviews
    store.add_records([encode(e) for e in revisions[half:]])
    store.add_records([encode(e) for e in revisions])  # read twice (a restart before read_to): no change
    store.read_to(0, 123)
    assert partial < 36
    assert store.report().interviews == 36
    assert store.report().flagged == (OFFSET_INTERVIEWER,)
    store.close()
    again = CalibrationStore(path)
    assert again.position(0) == 123
    assert again.report().flagged == (OFFSET_INTERVIEWER,)
    assert again.forget_if_ahead({0: 10}) is True
    assert again.report().interviews == 0
    assert again.position(0) == 0
    again.close()


def test_the_report_is_cached_until_a_change_and_rows_held_match_the_file(tmp_path: Path) -> None:
    revisions = project(calibration_stream(36))
    store = CalibrationStore(tmp_path / "calibration.sqlite")
    half = len(revisions) // 2
    store.add_records([encode(e) for e in revisions[:half]])
    first = store.report()
    assert store.report() is first  # no change: the same report, no refit
    store.add_records([encode(e) for e in revisions[half:]])  # rows held now: updated in memory
    second = store.report()
    assert second is not first
    assert second.interviews == 36
    assert second.method == "rater-effects/2"
    fresh = CalibrationStore(tmp_path / "calibration.sqlite")  # a new process reads the file instead
    assert fresh.report() == second
    fresh.close()
    store.close()
