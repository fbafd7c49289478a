"""Candidacy scenarios: several rounds (interviews) of one candidacy, and their expected projections.

Each scenario is a list of ``Script`` rounds sharing a candidacy id. ``verdict_revisions`` runs the
decision domain over a round's events exactly as the decision service does; ``round_inputs`` and
``candidacy_revisions`` then give what the candidacy projection receives and publishes, in a given
interleaving of the rounds' verdict revisions (tests, benchmarks, calibration work).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.common import GoalId, Outcome, QuestionKind, Rating
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from services.decision.domain.candidacy.revisions import CandidacyState, step
from services.decision.domain.candidacy.rounds import RoundInput, round_verdict
from services.decision.domain.policy import Policies
from services.decision.domain.revisions import InterviewState
from services.decision.domain.revisions import step as interview_step
from testkit.interviews import CANDIDATE, COMPANY, EPOCH, Script, interleaved

ROUNDS = ("screen", "technical", "final")


def round_script(
    interview_id: str,
    candidacy_id: str,
    round_name: str,
    *,
    company: Rating | dict[GoalId, Rating] | None = Rating.YES,
    candidate: Rating | dict[GoalId, Rating] | None = Rating.YES,
    candidate_asks: bool = True,
    checklist: bool = False,
    outcome: Outcome | None = Outcome.COMPLETED,
    start: datetime = EPOCH,
    second: dict[GoalId, Rating] | None = None,
) -> Script:
    """One round: a story (or a checklist), assessments of the goals given, concluded with ``outcome``.

    ``company``/``candidate``: one rating for each of the side's goals, a rating per goal (goals left out
    are not assessed), or None (that side assesses nothing). ``outcome`` None leaves the round open.
    ``second``: the second interviewer's ratings where they differ from the first's.
    """
    s = Script(interview_id, start=start).opened(candidacy_id=candidacy_id, round_name=round_name)
    if checklist:
        for i in range(1, 6):
            s.ask(f"q{i}", QuestionKind.SCRIPTED).answer(f"a{i}", f"q{i}")
        cited: tuple[str, ...] = ("a1",)
    else:
        s.ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
        s.ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
        s.ask("q3", QuestionKind.CLARIFYING, about="a2", asker="int2").answer("a3", "q3")
        cited = ("s1", "a2")
    if candidate_asks:
        s.ask("q9", QuestionKind.ABOUT_ROLE, asker="cand").answer("a9", "q9", answerer="int1")
    for i, (goal, rating) in enumerate(_ratings(company, COMPANY), 1):
        s.assess(f"c{i}", goal, rating, evidence=cited)
        s.assess(f"d{i}", goal, (second or {}).get(goal, rating), by="int2", evidence=cited)
    for i, (goal, rating) in enumerate(_ratings(candidate, CANDIDATE), 1):
        s.assess(f"k{i}", goal, rating, by="cand", evidence=("a9",) if candidate_asks else cited)
    if outcome is not None:
        s.conclude(outcome, by="cand" if outcome is Outcome.WITHDRAWN_BY_CANDIDATE else "int1")
    return s


def _ratings(
    given: Rating | dict[GoalId, Rating] | None, goals: tuple[GoalId, ...]
) -> list[tuple[GoalId, Rating]]:
    if given is None:
        return []
    if isinstance(given, Rating):
        return [(g, given) for g in goals]
    return [(g, given[g]) for g in goals if g in given]


@dataclass(frozen=True)
class Scenario:
    """A candidacy's rounds and what the combination should say about it."""

    candidacy_id: str
    rounds: tuple[Script, ...]

    def events(self) -> list[Event]:
        """Every round's interview events, interleaved as rounds logged side by side."""
        return interleaved(*(s.events for s in self.rounds))


def _hours(i: int) -> datetime:
    return EPOCH + timedelta(hours=i)


def three_rounds(candidacy_id: str = "cy-demo", prefix: str = "iv-demo") -> Scenario:
    """Screen, technical, final that agree: the company and the candidate proceed (mutual fit)."""
    return Scenario(candidacy_id, tuple(
        round_script(f"{prefix}-{r}", candidacy_id, r, start=_hours(i)) for i, r in enumerate(ROUNDS)
    ))  # fmt: skip


def disagreeing(candidacy_id: str = "cy-split", prefix: str = "iv-split") -> Scenario:
    """The technical round declines on company_level; the others rate it strongly: proceed, with a dissent."""
    strong = dict.fromkeys(COMPANY, Rating.STRONG_YES)
    low = {**strong, GoalId.COMPANY_LEVEL: Rating.STRONG_NO}
    return Scenario(candidacy_id, (
        round_script(f"{prefix}-screen", candidacy_id, "screen", company=strong, start=_hours(0)),
        round_script(f"{prefix}-technical", candidacy_id, "technical", company=low, start=_hours(1)),
        round_script(f"{prefix}-final", candidacy_id, "final", company=strong, start=_hours(2)),
    ))  # fmt: skip


def missing_round(candidacy_id: str = "cy-gap", prefix: str = "iv-gap") -> Scenario:
    """The candidate's goals were meant for a final round that never took place: undecided, a signal."""
    return Scenario(candidacy_id, (
        round_script(f"{prefix}-screen", candidacy_id, "screen", candidate=None, start=_hours(0)),
        round_script(f"{prefix}-technical", candidacy_id, "technical", candidate=None, start=_hours(1)),
    ))  # fmt: skip


def withdrawn(candidacy_id: str = "cy-gone", prefix: str = "iv-gone") -> Scenario:
    """The candidate withdraws in the second round: the candidacy ends."""
    return Scenario(candidacy_id, (
        round_script(f"{prefix}-screen", candidacy_id, "screen", start=_hours(0)),
        round_script(f"{prefix}-technical", candidacy_id, "technical", candidate=None,
                     outcome=Outcome.WITHDRAWN_BY_CANDIDATE, start=_hours(1)),
    ))  # fmt: skip


def still_open(candidacy_id: str = "cy-open", prefix: str = "iv-open") -> Scenario:
    """Two concluded rounds and a final still running: undecided."""
    return Scenario(candidacy_id, (
        round_script(f"{prefix}-screen", candidacy_id, "screen", start=_hours(0)),
        round_script(f"{prefix}-technical", candidacy_id, "technical", start=_hours(1)),
        round_script(f"{prefix}-final", candidacy_id, "final", outcome=None, start=_hours(2)),
    ))  # fmt: skip


def checklist_only(candidacy_id: str = "cy-script", prefix: str = "iv-script") -> Scenario:
    """Two checklist rounds where the candidate asks nothing: both pipeline signals."""
    return Scenario(candidacy_id, tuple(
        round_script(f"{prefix}-{r}", candidacy_id, r, checklist=True, candidate_asks=False, start=_hours(i))
        for i, r in enumerate(ROUNDS[:2])
    ))  # fmt: skip


def declined_in_final(candidacy_id: str = "cy-late-no", prefix: str = "iv-late-no") -> Scenario:
    """The final round's panel rates company.level strong_no and no; the earlier rounds were positive."""
    strong = dict.fromkeys(COMPANY, Rating.STRONG_YES)
    final = {**strong, GoalId.COMPANY_LEVEL: Rating.STRONG_NO}
    return Scenario(candidacy_id, (
        round_script(f"{prefix}-screen", candidacy_id, "screen", company=strong, start=_hours(0)),
        round_script(f"{prefix}-technical", candidacy_id, "technical", company=strong, start=_hours(1)),
        round_script(f"{prefix}-final", candidacy_id, "final", company=final, start=_hours(2),
                     second={GoalId.COMPANY_LEVEL: Rating.NO}),
    ))  # fmt: skip


def round_after_withdrawal(candidacy_id: str = "cy-after", prefix: str = "iv-after") -> Scenario:
    """The candidate withdraws in the technical round; a final is held anyway, the company rating it low."""
    return Scenario(candidacy_id, (
        round_script(f"{prefix}-screen", candidacy_id, "screen", start=_hours(0)),
        round_script(f"{prefix}-technical", candidacy_id, "technical", candidate=None,
                     outcome=Outcome.WITHDRAWN_BY_CANDIDATE, start=_hours(1)),
        round_script(f"{prefix}-final", candidacy_id, "final", company=Rating.STRONG_NO, start=_hours(5)),
    ))  # fmt: skip


SCENARIOS = (three_rounds, disagreeing, missing_round, withdrawn, still_open, checklist_only)


def verdict_revisions(
    events: Iterable[Event], policies: Policies | None = None
) -> list[tuple[Event, RoundInput]]:
    """The decision service's verdict revisions of these interviews, each with its round input."""
    policies = policies or Policies()
    states: dict[str, InterviewState] = {}
    out = []
    for event in events:
        key = event.attributes.subject
        state, revision, _ = interview_step(states.get(key, InterviewState()), event, policies)
        states[key] = state
        if revision is not None and state.projection is not None:
            assert isinstance(revision.data, VerdictChanged)
            p = state.projection
            a = revision.attributes
            item = RoundInput(key, p.round, p.outcome, a.id, revision.chain_hash, a.time, a.correlationid,
                              round_verdict(revision.data))  # fmt: skip
            out.append((revision, item))
    return out


def round_inputs(events: Iterable[Event]) -> list[RoundInput]:
    """What the candidacy projection receives for these interviews, in their revisions' order."""
    return [item for _, item in verdict_revisions(events)]


def candidacy_revisions(inputs: Iterable[RoundInput], policy: str = "candidacy-v1") -> list[Event]:
    """What the candidacy projection publishes for these inputs (any number of candidacies)."""
    states: dict[str, CandidacyState] = {}
    out = []
    for item in inputs:
        state = states.get(item.candidacy_id) or CandidacyState(policy=policy)
        states[item.candidacy_id], revision = step(state, item)
        if revision is not None:
            out.append(revision)
    return out
