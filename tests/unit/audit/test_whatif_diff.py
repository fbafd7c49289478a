"""what-if's diff: how many verdicts change, which way, and why, interview by interview."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console

from schemas.common import Rating
from services.audit.domain.history import group
from services.audit.domain.records import records_of
from services.audit.domain.report import Change, Outcome, SideChange
from services.audit.domain.whatif import parse_overrides, what_if
from services.audit.domain.whatif_diff import side_why, transitions
from services.audit.entrypoints.render import print_what_if
from services.audit.entrypoints.whatif_html import render as render_html
from services.decision.domain.replay import project
from testkit.interviews import CANDIDATE, Script, checklist, interleaved, story_first
from tests.unit.audit.history import enthusiastic


def lukewarm(interview: str) -> Script:
    """story_first with the candidate's offer goal rated strong_no afterwards: the candidate declines."""
    s = story_first(interview)
    s.events.pop()  # reopen: assess again, then conclude
    s.assess("k9", CANDIDATE[0], Rating.STRONG_NO, by="cand", evidence=("a4",))
    return s.conclude()


def history(*events_lists: list[Any]) -> list[Any]:
    events = interleaved(*events_lists)
    return group(records_of(events), records_of(project(events)))


def test_a_stricter_score_bar_moves_candidate_and_mutual_and_says_which_threshold() -> None:
    logs = history(story_first("iv-luke").events, enthusiastic("iv-keen"))
    report = what_if(logs, None, parse_overrides(["decline_score_below=1.1"]))
    (change,) = report.changed
    parts = {p.part: p for p in change.parts}
    assert set(parts) == {"candidate", "mutual"}
    assert (parts["candidate"].before, parts["candidate"].after) == ("proceed", "decline")
    assert parts["candidate"].why == ("decline_score_below = 1.1 (published 0.0)",)
    assert (parts["mutual"].before, parts["mutual"].after) == ("mutual_fit", "company_only")
    assert parts["mutual"].why == ("candidate: proceed → decline",)
    assert report.transitions == {
        "candidate": {"proceed → decline": 1},
        "mutual": {"mutual_fit → company_only": 1},
    }


def test_signals_that_come_or_go_are_listed_with_their_message() -> None:
    logs = history(checklist("iv-list").events, story_first("iv-story").events)
    report = what_if(logs, None, parse_overrides(["checklist_min_questions=6"]))
    (change,) = report.changed
    assert change.interview == "iv-list"
    (signals,) = [p for p in change.parts if p.part == "signals"]
    assert len(signals.why) == 1
    assert signals.why[0].startswith("- checklist_interview: ")
    assert "checklist_interview" in signals.before
    assert "checklist_interview" not in signals.after
    assert report.transitions == {}  # only signals moved: no decision changes way


def side(decision: str, score: float | None, reasons: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "side": "company", "decision": decision, "score": score, "missing": [], "perspective": [],
        "reasons": [{"goal": g, "text": t} for g, t in reasons.items()], **extra,
    }  # fmt: skip


def test_why_names_a_field_a_version_adds_the_reasons_that_changed_and_the_score() -> None:
    before = side("proceed", 1.33, {"company.level": "2 yes", "company.application": "1 yes"})
    graded = {"level": "low", "reasons": [
        {"code": "no_story", "effect": "forces_low", "text": "no story told", "evidence": ["e1"]},
        {"code": "panel_agrees", "effect": "supports", "text": "the panel agrees", "evidence": []},
    ]}  # fmt: skip
    after = side(
        "undecided", 1.33, {"company.level": "2 yes", "company.application": "1 yes, 1 no"},
        confidence=graded, leaning="proceed",
    )  # fmt: skip
    assert side_why(before, after) == (
        "confidence low",
        "  no story told (forces_low)",
        "leaning: proceed",
        "company.application: 1 yes, 1 no",
    )
    assert side_why(before, side("decline", -0.5, {"company.level": "2 yes"}))[-1] == "score +1.33 → -0.50"


def test_under_policy_v2_a_checklist_interview_s_decline_becomes_undecided_for_want_of_a_story() -> None:
    logs = history(checklist("iv-list").events, story_first("iv-story").events)
    report = what_if(logs, "v2", {})
    changed = {c.interview: c for c in report.changed}
    assert "iv-story" not in changed  # a story explored with clarifying questions: v2 agrees with v1
    (company,) = [p for p in changed["iv-list"].parts if p.part == "company"]
    assert (company.before, company.after) == ("decline", "undecided")
    assert company.why[0] == "confidence low"
    assert any(w.startswith("  no story was told") and w.endswith("(forces_low)") for w in company.why)
    assert "leaning: decline" in company.why
    assert report.transitions["company"] == {"decline → undecided": 1}


def test_why_never_comes_back_empty() -> None:
    same = side("proceed", 1.0, {"company.level": "yes"})
    assert side_why(same, {**same, "decision": "undecided"}) == (
        "same reasons and score; the alternative's rules weigh them differently",
    )


def outcome(decision: str) -> Outcome:
    return Outcome(revision=1, company=decision, company_score=None, candidate="proceed",
                   candidate_score=None, mutual="undecided", signals=(), final=True)  # fmt: skip


def test_transitions_count_each_way_per_part_most_common_first() -> None:
    def change(interview: str, before: str, after: str) -> Change:
        part = SideChange(part="company", before=before, after=after, why=())
        return Change(interview=interview, fields=("company",), baseline=outcome(before),
                      alternative=outcome(after), parts=(part,))  # fmt: skip

    found = transitions([change("a", "proceed", "undecided"), change("b", "decline", "undecided"),
                         change("c", "proceed", "undecided")])  # fmt: skip
    assert found == {"company": {"proceed → undecided": 2, "decline → undecided": 1}}
    assert list(found["company"]) == ["proceed → undecided", "decline → undecided"]


def test_the_printed_report_says_how_many_which_way_and_why() -> None:
    logs = history(story_first("iv-luke").events, enthusiastic("iv-keen"))
    report = what_if(logs, None, parse_overrides(["decline_score_below=1.1"]))
    console = Console(record=True, width=200)
    print_what_if(console, report)
    text = console.export_text()
    assert "1 of 2 interviews would change" in text
    assert "candidate: 1 proceed → decline" in text
    assert "decline_score_below = 1.1 (published 0.0)" in text
    assert "iv-luke" in text
    assert "iv-keen" not in text


def test_a_looser_goal_bar_lets_a_declining_candidate_proceed() -> None:
    logs = history(lukewarm("iv-l").events)
    report = what_if(logs, None, parse_overrides(["decline_goal_mean=-2.5"]))
    (change,) = report.changed
    (cand,) = [p for p in change.parts if p.part == "candidate"]
    assert (cand.before, cand.after) == ("decline", "proceed")
    assert cand.why[0] == "decline_goal_mean = -2.5 (published -1.0)"


def test_the_page_draws_a_bar_per_transition_and_a_row_per_changed_part() -> None:
    logs = history(story_first("iv-luke").events, enthusiastic("iv-keen"))
    report = what_if(logs, None, parse_overrides(["decline_score_below=1.1"]))
    page = render_html(report, "test")
    bars = re.findall(r"<g class='transition' data-part='(\w+)' data-way='([^']+)' data-count='(\d+)'>", page)
    assert bars == [("candidate", "proceed → decline", "1"), ("mutual", "mutual_fit → company_only", "1")]
    rows = re.findall(r"<tr class='change' data-interview='([^']+)' data-part='(\w+)'>", page)
    assert rows == [("iv-luke", "candidate"), ("iv-luke", "mutual")]
    assert "decline_score_below = 1.1 (published 0.0)" in page
    assert "no-transitions" in render_html(what_if(logs, None, {}), "test")
