"""as-of gives each historical verdict; what-if changes exactly the verdicts a threshold should."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from services.audit.domain.asof import as_of
from services.audit.domain.history import InterviewLog, group
from services.audit.domain.records import records_of
from services.audit.domain.whatif import ThresholdError, parse_overrides, thresholds_for, what_if
from services.decision.domain.replay import project
from testkit.interviews import EPOCH, story_first
from tests.unit.audit.history import clean, drop, enthusiastic


def logs() -> dict[str, InterviewLog]:
    events, decisions = clean()
    return {log.interview_id: log for log in group(events, decisions)}


def published(log: InterviewLog) -> list[dict[str, object]]:
    return [json.loads(e.record.value or b"") for e in log.published]


def test_as_of_each_revisions_input_sequence_gives_that_revision() -> None:
    log = logs()["iv-a"]
    revisions = published(log)
    assert len(revisions) >= 3
    for previous, data in zip([None, *revisions], revisions, strict=False):
        found = as_of(log, sequence=int(str(data["input_sequence"])), published=True)
        assert (found.revision, found.verdict, found.published) == (data["revision"], data, "match")
        before = as_of(log, sequence=int(str(data["input_sequence"])) - 1)
        assert before.revision == (previous["revision"] if previous else None)


def test_as_of_time_uses_event_time() -> None:
    log = logs()["iv-a"]
    last = published(log)[-1]
    seq = int(str(last["input_sequence"]))
    at = EPOCH + timedelta(seconds=seq)  # samples stamp sequence n at EPOCH + n seconds
    assert as_of(log, time=at).revision == last["revision"]
    assert as_of(log, time=at - timedelta(microseconds=1)).revision == int(str(last["revision"])) - 1
    assert as_of(log, time=EPOCH).revision is None


def test_as_of_reports_a_published_revision_that_is_missing() -> None:
    events, decisions = clean()
    first = next(i for i, r in enumerate(decisions) if r.subject() == "iv-b")
    log = next(lg for lg in group(events, drop(decisions, first)) if lg.interview_id == "iv-b")
    assert as_of(log, sequence=1, published=True).published == "missing"


def test_what_if_stricter_score_declines_exactly_the_lukewarm_candidates() -> None:
    # company score 7/6 everywhere; candidate score 1 (lukewarm) or 2 (keen): a bar of 1.1 splits them
    events = story_first("iv-lukewarm").events + enthusiastic("iv-keen")
    history = group(records_of(events), records_of(project(events)))
    report = what_if(history, None, parse_overrides(["decline_score_below=1.1"]))
    assert report.interviews == 2
    assert [(c.interview, c.fields) for c in report.changed] == [("iv-lukewarm", ("candidate", "mutual"))]
    change = report.changed[0]
    assert (change.baseline.candidate, change.alternative.candidate) == ("proceed", "decline")
    assert (change.baseline.mutual, change.alternative.mutual) == ("mutual_fit", "company_only")
    assert report.thresholds == {"decline_score_below": 1.1}


def test_what_if_with_the_published_thresholds_changes_nothing() -> None:
    assert what_if(list(logs().values()), "v1", {}).changed == ()


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["decline_goal_mean"], "is not NAME=VALUE"),
        (["nope=1"], "has no threshold 'nope'"),
        (["checklist_min_questions=2.5"], "is not a int"),
    ],
)
def test_bad_threshold_overrides_are_clear_errors(pairs: list[str], message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        thresholds_for("v1", parse_overrides(pairs))


def test_unknown_policy_version_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown policy version 'v7'"):
        what_if(list(logs().values()), "v7", {})
