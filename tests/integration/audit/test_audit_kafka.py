"""hiring-audit against the real broker: verify, tampered exports, as-of, round trip, what-if."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from schemas.decision import VerdictChanged
from tests.integration.audit.conftest import History, Invoke, export_dir, fresh_prefix

pytestmark = pytest.mark.kafka


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rewrite(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def find(rows: list[dict[str, Any]], interview: str, sequence: int) -> int:
    return next(
        i
        for i, r in enumerate(rows)
        if r["key"] == interview and int(r["attributes"]["sequence"]) == sequence
    )


async def exported(audit: Invoke, tmp_path: Path) -> Path:
    out = export_dir(tmp_path)
    result = await audit("export", str(out), "--json")
    assert result.exit_code == 0, result.output
    return out


async def test_clean_history_from_kafka_has_no_discrepancy(audit: Invoke, history: History) -> None:
    result = await audit("verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["ok"] is True
    assert report["counts"]["interview_events"] == len(history.events)
    assert report["counts"]["revisions_matched"] == len(history.decisions)


async def test_edited_payload_in_export_is_located_exactly(audit: Invoke, tmp_path: Path) -> None:
    out = await exported(audit, tmp_path)
    path = out / "interview.events.jsonl"
    rows = lines(path)
    i = next(
        i for i, r in enumerate(rows) if r["key"] == "iv-keen" and r["data"].get("assessment_id") == "c2"
    )
    rows[i]["data"]["rating"] = "strong_no"
    rewrite(path, rows)
    result = await audit("verify", "--from", str(out), "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["discrepancies"]
    chain = [d for d in found if d["kind"] == "chain_broken"]
    where = {k: chain[0][k] for k in ("interview", "sequence", "partition", "offset")}
    assert where == {"interview": "iv-keen", "sequence": int(rows[i]["attributes"]["sequence"]),
                     "partition": rows[i]["partition"], "offset": rows[i]["offset"]}  # fmt: skip
    assert len(chain) == 1
    assert any(d["kind"] == "revision_differs" and d["interview"] == "iv-keen" for d in found)


async def test_dropped_event_in_export_is_a_gap_at_its_sequence(audit: Invoke, tmp_path: Path) -> None:
    out = await exported(audit, tmp_path)
    path = out / "interview.events.jsonl"
    rows = lines(path)
    i, following = find(rows, "iv-checklist", 6), rows[find(rows, "iv-checklist", 7)]
    rewrite(path, rows[:i] + rows[i + 1 :])
    result = await audit("verify", "--from", str(out), "--json")
    assert result.exit_code == 1
    gaps = [d for d in json.loads(result.stdout)["discrepancies"] if d["kind"] == "sequence_gap"]
    assert [(d["interview"], d["sequence"], d["offset"]) for d in gaps] == [
        ("iv-checklist", 6, following["offset"])
    ]


async def test_reordered_events_in_export_are_out_of_order(audit: Invoke, tmp_path: Path) -> None:
    out = await exported(audit, tmp_path)
    path = out / "interview.events.jsonl"
    rows = lines(path)
    i, j = find(rows, "iv-lukewarm-2", 3), find(rows, "iv-lukewarm-2", 4)
    rows[i], rows[j] = rows[j], rows[i]
    rewrite(path, rows)
    result = await audit("verify", "--from", str(out), "--json")
    assert result.exit_code == 1
    found = [
        d for d in json.loads(result.stdout)["discrepancies"] if d["kind"] in ("out_of_order", "sequence_gap")
    ]
    assert [(d["kind"], d["interview"], d["sequence"]) for d in found] == [
        ("out_of_order", "iv-lukewarm-2", 3)
    ]


async def test_missing_and_differing_revisions_are_reported(audit: Invoke, tmp_path: Path) -> None:
    out = await exported(audit, tmp_path)
    path = out / "decision.events.jsonl"
    rows = lines(path)
    keen = [i for i, r in enumerate(rows) if r["key"] == "iv-keen"]
    rows[keen[-1]]["data"]["candidate"]["decision"] = "decline"
    dropped = rows.pop(keen[0])
    rewrite(path, rows)
    result = await audit("verify", "--from", str(out), "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["discrepancies"]
    missing = [(d["interview"], d["revision"]) for d in found if d["kind"] == "missing_revision"]
    assert missing == [("iv-keen", dropped["data"]["revision"])]
    [differs] = [d for d in found if d["kind"] == "revision_differs"]
    assert [(c["path"], c["expected"], c["actual"]) for c in differs["diff"]] == [
        ("data.candidate.decision", "proceed", "decline")
    ]


async def test_as_of_gives_each_historical_verdict(audit: Invoke, history: History) -> None:
    revisions = [e for e in history.decisions if e.attributes.subject == "iv-keen"]
    assert len(revisions) >= 4
    for event in revisions:
        data = event.data
        assert isinstance(data, VerdictChanged)
        result = await audit("as-of", "iv-keen", "--sequence", str(data.input_sequence), "--json")
        [verdict] = json.loads(result.stdout)["verdicts"]
        assert (verdict["revision"], verdict["published"]) == (data.revision, "match")
        assert verdict["verdict"] == event.data_json()
    at = revisions[1].attributes.time.isoformat()
    [by_time] = json.loads((await audit("as-of", "iv-keen", "--time", at, "--json")).stdout)["verdicts"]
    assert by_time["revision"] == 2


async def test_export_import_into_fresh_topics_verifies(audit: Invoke, tmp_path: Path) -> None:
    out = await exported(audit, tmp_path)
    assert json.loads((out / "manifest.json").read_text())["partitions"]["interview.events"] == 3
    prefix = fresh_prefix()
    imported = await audit("import", str(out), "--json", prefix=prefix)
    assert imported.exit_code == 0, imported.output
    verified = await audit("verify", "--json", prefix=prefix)
    assert verified.exit_code == 0, verified.output
    again = export_dir(tmp_path, "again")
    assert (await audit("export", str(again), prefix=prefix)).exit_code == 0
    for name in ("interview.events.jsonl", "decision.events.jsonl"):  # same partitions, offsets, bytes
        assert (again / name).read_text() == (out / name).read_text()
    refused = await audit("import", str(out), prefix=prefix)
    assert refused.exit_code == 2
    assert "already holds" in refused.stderr


async def test_what_if_stricter_threshold_changes_exactly_the_lukewarm_verdicts(audit: Invoke) -> None:
    result = await audit("what-if", "--threshold", "decline_score_below=1.1", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    changed = {
        c["interview"]: (c["baseline"]["mutual"], c["alternative"]["mutual"]) for c in report["changed"]
    }
    assert changed == dict.fromkeys(("iv-lukewarm-1", "iv-lukewarm-2"), ("mutual_fit", "company_only"))
    assert report["interviews"] == 4


async def test_unknown_prefix_is_a_clear_error(audit: Invoke) -> None:
    result = await audit("verify", prefix="no-such-prefix.")
    assert result.exit_code == 2
    assert "no-such-prefix.interview.events" in result.stderr


async def test_console_script_verifies_and_writes_html(history: History, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "hiring-audit"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": history.servers, "KAFKA_TOPIC_PREFIX": history.prefix}
    page = tmp_path / "report.html"
    command = [str(script), "verify", "--html", str(page)]
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout
    html = page.read_text()
    assert "iv-keen" in html
    assert "revision 1 (v1)" in html
