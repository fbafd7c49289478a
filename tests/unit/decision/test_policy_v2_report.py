"""The main run's rendering of a v2 verdict: decision, leaning, confidence and its reasons."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from services.decision.domain.replay import project
from services.decision.entrypoints.api import _revision
from services.launcher.report import print_verdict
from testkit.interviews import Script, checklist, story_first


def rendered(script: Script, version: str) -> str:
    revision: dict[str, Any] = _revision(project(script.events, version)[-1]).model_dump(mode="json")
    console = Console(record=True, width=200)
    print_verdict(console, revision)
    return console.export_text()


def test_a_checklist_verdict_prints_low_confidence_with_its_reasons_and_leaning() -> None:
    out = rendered(checklist("iv"), "v2")
    assert "(policy v2, final=True)" in out
    assert "undecided, leaning decline (score -1.00), confidence low" in out
    assert "x no_story: no story was told" in out
    assert "- checklist_interview: 5 of the company's 5 questions were scripted" in out
    assert "another round needed" in out


def test_a_story_first_verdict_prints_high_confidence_and_v1_prints_as_before() -> None:
    out = rendered(story_first("iv"), "v2")
    assert out.count("confidence high") == 2
    assert "+ story_explored" in out
    assert "another round" not in out
    old = rendered(story_first("iv"), "v1")
    assert "confidence" not in old
    assert "leaning" not in old
    assert "proceed (score +1.17)" in old
