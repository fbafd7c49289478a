"""The audit's HTML pages as a real browser shows them: a screenshot, and the structure read back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from schemas.common import QuestionKind, Rating
from schemas.envelope import Event
from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, INTERVIEW_EVENTS
from services.audit.domain.calibration import calibration
from services.audit.domain.history import group
from services.audit.domain.records import records_of
from services.audit.domain.verify import verify
from services.audit.entrypoints import calibration_html, html
from services.decision.domain.replay import project
from services.launcher.calibration_sample import OFFSET_INTERVIEWER
from testkit.calibration import calibration_stream
from testkit.candidacies import (
    candidacy_revisions,
    checklist_only,
    still_open,
    three_rounds,
    verdict_revisions,
)
from testkit.interviews import CANDIDATE, COMPANY, Script, interleaved, story_first
from tests.browser.chromium import dump_dom, screenshot

WIDTH, HEIGHT = 1200, 1400
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-")


def turnaround(interview_id: str) -> list[Event]:
    """A checklist start (two signals) that turns into a story-first interview (one signal ends)."""
    s = Script(interview_id).opened()
    for i in range(1, 6):
        s.ask(f"q{i}", QuestionKind.SCRIPTED).answer(f"a{i}", f"q{i}")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Rating.NO, evidence=(f"a{i}",))
    s.ask("q6", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q6")
    s.ask("q7", QuestionKind.CLARIFYING, about="s1").answer("a7", "q7")
    s.ask("q8", QuestionKind.CLARIFYING, about="s1", asker="int2").answer("a8", "q8")
    s.ask("q10", QuestionKind.CLARIFYING, about="a7").answer("a10", "q10")
    s.ask("q9", QuestionKind.ABOUT_ROLE, asker="cand").answer("a9", "q9", answerer="int1")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i + 3}", goal, Rating.YES, evidence=("s1", "a7"))
    for i, goal in enumerate(CANDIDATE, 1):
        s.assess(f"k{i}", goal, Rating.YES, by="cand", evidence=("a9",))
    return s.conclude().events


def _colours(png: Path) -> tuple[tuple[int, int], set[tuple[int, int, int]]]:
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        return rgb.size, {c for _, c in rgb.getcolors(WIDTH * HEIGHT) or []}


def _near(colours: set[tuple[int, int, int]], hex_colour: str, tolerance: int = 12) -> bool:
    want = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(a - b) <= tolerance for a, b in zip(c, want, strict=True)) for c in colours)


def _offline(soup: BeautifulSoup) -> None:
    assert not soup.find_all(["script", "link", "img", "iframe"])
    for tag in soup.find_all(True):
        for name in ("src", "href"):
            assert not tag.get(name), f"{tag.name} loads {tag.get(name)}"


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = interleaved(turnaround("iv-turn"), story_first("iv-sf").events)
    page = tmp_path_factory.mktemp("timeline") / "verify.html"
    html.write_html(page, verify(records_of(events), records_of(project(events)), "test history"))
    return page


def test_timeline_screenshot_shows_the_chart(timeline: Path, tmp_path: Path) -> None:
    png = tmp_path / "timeline.png"
    screenshot(timeline, png, WIDTH, HEIGHT)
    size, colours = _colours(png)
    assert size == (WIDTH, HEIGHT)
    assert len(colours) > 50  # text, tables and a chart, not a blank page
    assert _near(colours, "#1f6fb2")  # the company's score line
    assert _near(colours, "#c33333")  # a signal's start marker


def test_timeline_structure_after_the_browser_ran_it(timeline: Path) -> None:
    soup = BeautifulSoup(dump_dom(timeline), "html.parser")
    _offline(soup)
    turn = soup.select_one("details.interview[data-interview='iv-turn']")
    assert turn is not None
    assert turn.has_attr("open")
    chart = turn.select_one("svg.trajectory")
    assert chart is not None
    revisions = turn.select("tr[data-revision]")
    assert len(revisions) == 20
    decided = len(chart.select("circle.score.company"))
    assert 0 < decided < len(revisions)  # undecided revisions have no score
    assert chart.select("polyline.line.company")
    assert chart.select("rect.decision-change")
    # Each signal stated once: in the list, and once where it starts / ends in the timeline.
    spans = {li["data-code"]: li for li in turn.select("ul.signals li.signal")}
    assert set(spans) == {"story_not_invited", "checklist_interview"}
    assert "ends at revision" in spans["checklist_interview"].get_text()
    assert "still in force" in spans["story_not_invited"].get_text()
    assert [p["data-code"] for p in chart.select("polygon.signal-start")] == [
        "story_not_invited",
        "checklist_interview",
    ]
    assert [p["data-code"] for p in chart.select("polygon.signal-end")] == ["checklist_interview"]
    rows = turn.select("tr.sig")
    starts = [r.select_one(".signal-start b").get_text() for r in rows if r.select_one(".signal-start")]
    ends = [r.select_one(".signal-end b").get_text() for r in rows if r.select_one(".signal-end")]
    assert sorted(starts) == ["checklist_interview", "story_not_invited"]
    assert ends == ["checklist_interview"]
    # Evidence by the interview's own ids, the event id at hand.
    evidence = spans["checklist_interview"].select("abbr.ev")
    assert [e.get_text() for e in evidence] == ["q1", "q2", "q3", "q4", "q5"]
    assert all(UUID.match(e["data-event"]) and e["data-event"] in e["title"] for e in evidence)
    assert not any(UUID.match(e.get_text()) for e in soup.select("abbr.ev"))
    reasons = turn.select("details.reasons abbr.ev")
    assert {"c4", "s1", "a7"} <= {e.get_text() for e in reasons}
    sf = soup.select_one("details.interview[data-interview='iv-sf']")
    assert sf is not None
    assert sf.select_one("p.signals.none") is not None


@pytest.fixture(scope="module")
def calibration_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = calibration_stream(36)
    report = calibration(group(records_of(events), records_of(project(events))))
    page = tmp_path_factory.mktemp("calibration") / "calibration.html"
    calibration_html.write_html(page, report, "sample")
    return page


def test_calibration_page_screenshot_and_structure(calibration_page: Path, tmp_path: Path) -> None:
    png = tmp_path / "calibration.png"
    screenshot(calibration_page, png, WIDTH, HEIGHT)
    size, colours = _colours(png)
    assert size == (WIDTH, HEIGHT)
    assert len(colours) > 50
    assert _near(colours, "#c33333")  # the flagged interviewer's bars
    assert _near(colours, "#1f6fb2")  # everyone else's
    soup = BeautifulSoup(dump_dom(calibration_page), "html.parser")
    _offline(soup)
    bars = soup.select("svg.calibration g.goal-offset")
    assert len(bars) == 7 * 3
    flagged = {g["data-interviewer"] for g in bars if g["data-flagged"] == "true"}
    assert flagged == {OFFSET_INTERVIEWER}
    assert all(float(g["data-offset"]) < -1 for g in bars if g["data-flagged"] == "true")
    assert all(g.select_one("line.interval") is not None for g in bars)
    assert soup.select_one("#flagged").get_text() == OFFSET_INTERVIEWER


@pytest.fixture(scope="module")
def candidacy_timeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Any]]]:
    """Three candidacies: all rounds concluded, a checklist-only one (signals), one still open."""
    scenarios = (three_rounds(), checklist_only(), still_open())
    events = [e for s in scenarios for e in s.events()]
    revisions = verdict_revisions(events)
    candidacies = candidacy_revisions(item for _, item in revisions)
    audit = verify(
        records_of(events, topic=INTERVIEW_EVENTS),
        records_of([r for r, _ in revisions], topic=DECISION_EVENTS),
        candidacy_records=records_of(candidacies, topic=CANDIDACY_EVENTS),
    )
    assert audit.report.ok
    page = tmp_path_factory.mktemp("candidacy") / "verify.html"
    html.write_html(page, audit)
    by: dict[str, list[Any]] = {}
    for event in candidacies:
        by.setdefault(event.attributes.subject, []).append(event.data)
    return page, by


def test_candidacy_trajectories_in_the_browser(
    candidacy_timeline: tuple[Path, dict[str, list[Any]]], tmp_path: Path
) -> None:
    page, published = candidacy_timeline
    png = tmp_path / "candidacy.png"
    screenshot(page, png, WIDTH, HEIGHT)
    size, colours = _colours(png)
    assert size == (WIDTH, HEIGHT)
    assert len(colours) > 50
    soup = BeautifulSoup(dump_dom(page), "html.parser")
    _offline(soup)
    assert {d["data-candidacy"] for d in soup.select("details.candidacy")} == set(published)
    for candidacy_id, revisions in published.items():
        section = soup.select_one(f"details.candidacy[data-candidacy='{candidacy_id}']")
        assert section is not None
        chart = section.select_one("svg.trajectory")
        assert chart is not None, candidacy_id
        assert len(section.select("tr[data-revision]")) == len(revisions)
        decided = [r for r in revisions if r.company.score is not None]
        assert len(chart.select("circle.score.company")) == len(decided)
        # each signal stated once in the list, as often as it starts in the published revisions
        codes = [li["data-code"] for li in section.select("ul.signals li.signal")]
        starts, before = [], set()
        for r in revisions:
            now = {s.code for s in r.signals}
            starts += sorted(now - before)
            before = now
        assert sorted(codes) == sorted(starts), candidacy_id
    assert soup.select_one("details.candidacy[data-candidacy='cy-script'] ul.signals li.signal") is not None


def confidence_history() -> tuple[list[Any], list[Any]]:
    """A checklist interview under v1 with v2 in shadow, and a story-first one opened under v2 itself."""
    checklist_v1 = Script("iv-list").opened()
    for i in range(1, 6):
        checklist_v1.ask(f"q{i}", QuestionKind.SCRIPTED).answer(f"a{i}", f"q{i}")
    for i, goal in enumerate(COMPANY, 1):
        checklist_v1.assess(f"c{i}", goal, Rating.NO, evidence=(f"a{i}",))
    checklist_v1.conclude()
    own = Script("iv-v2").opened("v2")
    for event in story_first("iv-v2").events[1:]:
        own._append(event.data, event.attributes.actorid)
    events = interleaved(checklist_v1.events, own.events)
    shadow = records_of(project(checklist_v1.events, "v2"), topic="decision.shadow")
    return records_of(events), [*records_of(project(events)), *shadow]


@pytest.fixture(scope="module")
def confidence_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events, decisions = confidence_history()
    page = tmp_path_factory.mktemp("confidence") / "verify.html"
    audit = verify(events, decisions, "v1, v2 and shadow revisions")
    assert audit.report.ok, audit.report.discrepancies
    html.write_html(page, audit)
    return page


def test_each_verdict_shows_its_confidence_and_reasons_in_the_browser(confidence_page: Path) -> None:
    soup = BeautifulSoup(dump_dom(confidence_page), "html.parser")
    _offline(soup)
    checklist_v1 = soup.select_one("details.interview[data-interview='iv-list']")
    assert checklist_v1 is not None
    # v1 revisions carry no confidence; the shadow's v2 ones do, down to the latest.
    latest = checklist_v1.select("section.latest-confidence")
    assert [s["data-policy"] for s in latest] == ["v2"]
    company = latest[0].select_one("div.confidence[data-side='company']")
    assert company is not None
    assert (company["data-level"], company["data-decision"], company["data-leaning"]) == (
        "low", "undecided", "decline",
    )  # fmt: skip
    codes = {li["data-code"]: li["data-effect"] for li in company.select("li.confidence-reason")}
    assert codes["no_story"] == "forces_low"
    assert "checklist_interview" in codes
    assert not checklist_v1.select("tr[data-policy='v1'] div.confidence")
    assert checklist_v1.select("tr[data-policy='v2'] div.confidence")
    own = soup.select_one("details.interview[data-interview='iv-v2']")
    assert own is not None
    levels = {d["data-side"]: d["data-level"] for d in own.select("section.latest-confidence div.confidence")}
    assert set(levels) == {"company", "candidate"}
    assert levels["company"] != "low"  # a story told and explored
