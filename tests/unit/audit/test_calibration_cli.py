"""``hiring-audit calibration`` over a JSONL export: JSON, the table and the HTML page."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from schemas.topics import DECISION_EVENTS, INTERVIEW_EVENTS
from services.audit.adapters.jsonl import file_for, write_records
from services.audit.domain.records import records_of
from services.audit.entrypoints.cli import app
from services.decision.domain.replay import project
from services.launcher.calibration_sample import OFFSET_INTERVIEWER
from testkit.calibration import calibration_stream


def _export(directory: Path, interviews: int) -> Path:
    events = calibration_stream(interviews)
    directory.mkdir()
    write_records(file_for(directory, INTERVIEW_EVENTS), records_of(events))
    write_records(file_for(directory, DECISION_EVENTS), records_of(project(events)))
    return directory


def test_calibration_json_and_html_flag_the_offset_interviewer(tmp_path: Path) -> None:
    export, page = _export(tmp_path / "export", 36), tmp_path / "calibration.html"
    result = CliRunner().invoke(app, ["calibration", "--from", str(export), "--json", "--html", str(page),
                                      "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["interviews"] == 36
    assert report["flagged"] == [OFFSET_INTERVIEWER]
    text = page.read_text()
    assert "<svg class='calibration'" in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_calibration_table_on_thin_data_flags_no_one(tmp_path: Path) -> None:
    export = _export(tmp_path / "export", 4)
    result = CliRunner().invoke(app, ["calibration", "--from", str(export), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "flagged: no one" in result.stdout
    assert "FLAG" not in result.stdout


def test_calibration_schema_is_printed() -> None:
    result = CliRunner().invoke(app, ["schema", "calibration"])
    assert result.exit_code == 0
    assert "GoalCalibration" in result.stdout
