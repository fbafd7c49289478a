"""candidacy-v1: rounds combined into a candidacy verdict (docs/design.md section 3b, ADR 0012)."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.chain import GENESIS_HASH
from schemas.common import RATING_POINTS, GoalId, Outcome, Rating
from schemas.decision import CandidacyStatus, CandidacyVerdictChanged, Decision, Mutual
from services.decision.domain.candidacy.revisions import CandidacyState, step
from testkit.candidacies import (
    Scenario,
    candidacy_revisions,
    checklist_only,
    disagreeing,
    missing_round,
    round_inputs,
    round_script,
    still_open,
    three_rounds,
    withdrawn,
)
from testkit.interviews import CANDIDATE, COMPANY, interleaved


def final(scenario: Scenario) -> CandidacyVerdictChanged:
    data = candidacy_revisions(round_inputs(scenario.events()))[-1].data
    assert isinstance(data, CandidacyVerdictChanged)
    return data


def test_three_agreeing_rounds_are_a_mutual_fit_citing_every_round() -> None:
    scenario = three_rounds()
    v = final(scenario)
    assert (v.status, v.company.decision, v.candidate.decision, v.mutual) == (
        CandidacyStatus.CONCLUDED, Decision.PROCEED, Decision.PROCEED, Mutual.MUTUAL_FIT,
    )  # fmt: skip
    ids = [s.interview_id for s in scenario.rounds]
    assert [r.interview_id for r in v.rounds] == ids
    assert [r.round for r in v.rounds] == ["screen", "technical", "final"]
    events = {e.attributes.id for s in scenario.rounds for e in s.events}
    for reason in (*v.company.reasons, *v.candidate.reasons):
        assert [g.interview_id for g in reason.rounds] == ids
        for g in reason.rounds:
            assert g.interview_id in reason.text
            assert f"r{g.revision}" in reason.text
            assert set(g.assessment_events) <= events
            assert set(g.evidence_events) <= events
            assert g.evidence_events
    assert v.signals == ()


def test_rounds_that_disagree_surface_the_dissenting_round_and_weigh_by_assessments() -> None:
    scenario = disagreeing()
    v = final(scenario)
    level = next(r for r in v.company.reasons if r.goal is GoalId.COMPANY_LEVEL)
    technical = scenario.rounds[1].interview_id
    assert level.declined_in == (technical,)
    assert [g.declined for g in level.rounds] == [False, True, False]
    assert level.mean == round((2 * 2 + -2 * 2 + 2 * 2) / 6, 4)
    assert "declined in technical" in level.text
    assert v.company.decision is Decision.PROCEED  # the combination is mechanical: +0.67 overall


def test_a_round_declining_hard_enough_declines_the_candidacy() -> None:
    cy = "cy-down"
    low = dict.fromkeys(COMPANY, Rating.STRONG_NO)
    rounds = (round_script("d1", cy, "screen"), round_script("d2", cy, "technical", company=low))
    v = final(Scenario(cy, rounds))
    assert v.company.decision is Decision.DECLINE  # (1*2 + -2*2) / 4 = -0.5 < 0: the score declines
    assert v.mutual is Mutual.CANDIDATE_ONLY
    assert all(r.declined_in == ("d2",) for r in v.company.reasons)


def test_a_missing_round_leaves_the_side_undecided_with_a_pipeline_signal() -> None:
    v = final(missing_round())
    assert v.company.decision is Decision.PROCEED
    assert v.candidate.decision is Decision.UNDECIDED
    assert v.candidate.missing == CANDIDATE
    assert v.mutual is Mutual.UNDECIDED
    (signal,) = v.signals
    assert signal.code == "goal_never_assessed"
    assert "candidate" in signal.message
    assert len(signal.evidence) == 2  # the two concluded rounds' revisions


def test_a_withdrawn_candidate_ends_the_candidacy() -> None:
    v = final(withdrawn())
    assert v.status is CandidacyStatus.WITHDRAWN
    assert v.candidate.decision is Decision.DECLINE
    assert "withdrew" in v.candidate.text
    assert v.mutual is Mutual.COMPANY_ONLY
    assert v.rounds[-1].outcome is Outcome.WITHDRAWN_BY_CANDIDATE


def test_withdrawn_with_the_company_undecided_is_no_fit_not_undecided() -> None:
    cy = "cy-early"
    rounds = (round_script("w1", cy, "screen", company=None, candidate=None,
                           outcome=Outcome.WITHDRAWN_BY_CANDIDATE),)  # fmt: skip
    v = final(Scenario(cy, rounds))
    assert (v.company.decision, v.candidate.decision) == (Decision.UNDECIDED, Decision.DECLINE)
    assert v.mutual is Mutual.NO_FIT
    assert v.status is CandidacyStatus.WITHDRAWN


def test_a_round_still_open_leaves_the_candidacy_undecided_until_it_concludes() -> None:
    scenario = still_open()
    v = final(scenario)
    assert v.status is CandidacyStatus.OPEN
    assert (v.company.decision, v.candidate.decision, v.mutual) == (
        Decision.UNDECIDED, Decision.UNDECIDED, Mutual.UNDECIDED,
    )  # fmt: skip
    assert "final" in v.company.text
    assert v.company.reasons  # concluded rounds still give reasons
    scenario.rounds[-1].conclude()
    v = final(scenario)
    assert (v.status, v.mutual) == (CandidacyStatus.CONCLUDED, Mutual.MUTUAL_FIT)


def test_checklist_rounds_without_candidate_questions_signal_the_pipeline() -> None:
    codes = [s.code for s in final(checklist_only()).signals]
    assert codes == ["all_rounds_checklist", "candidate_never_asked"]


def test_revisions_chain_and_a_replayed_input_changes_nothing() -> None:
    inputs = round_inputs(three_rounds().events())
    revisions = candidacy_revisions(inputs)
    assert [r.attributes.sequence for r in revisions] == list(range(1, len(revisions) + 1))
    assert revisions[0].attributes.prevhash == GENESIS_HASH
    for before, after in itertools.pairwise(revisions):
        assert after.attributes.prevhash == before.chain_hash
    assert len({r.attributes.id for r in revisions}) == len(revisions)
    state = CandidacyState()
    for item in inputs:
        state, _ = step(state, item)
    for item in random.Random(7).sample(inputs, 10):  # duplicates and older revisions
        again, revision = step(state, item)
        assert revision is None
        assert again == state


ratings = st.sampled_from(list(Rating))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(ratings, ratings), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_goal_mean_is_the_pooled_mean_whatever_the_interleaving(
    per_round: list[tuple[Rating, Rating]], rnd: random.Random
) -> None:
    cy = "cy-prop"
    rounds = [round_script(f"p{i}", cy, f"r{i}", company={GoalId.COMPANY_LEVEL: a}) for i, (a, _) in
              enumerate(per_round)]  # fmt: skip
    # both company interviewers rate the same; pooled over all assessments of company.level
    pooled = sum(RATING_POINTS[a] * 2 for a, _ in per_round) / (2 * len(per_round))
    order = [s.events for s in rounds]
    rnd.shuffle(order)
    v = final(Scenario(cy, tuple(rounds)))
    shuffled = candidacy_revisions(round_inputs(interleaved(*order)))[-1].data
    assert isinstance(shuffled, CandidacyVerdictChanged)
    level = next(r for r in v.company.reasons if r.goal is GoalId.COMPANY_LEVEL)
    assert abs(level.mean - pooled) < 1e-4
    assert sorted(r.interview_id for r in shuffled.rounds) == sorted(r.interview_id for r in v.rounds)
    assert shuffled.company.decision is v.company.decision
    assert shuffled.mutual is v.mutual
    assert {r.goal: r.mean for r in shuffled.company.reasons} == {r.goal: r.mean for r in v.company.reasons}
