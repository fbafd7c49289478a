"""candidacy-v2: a declined round is never averaged away, rounds after a withdrawal do not count, no
score beside undecided (docs/design.md section 3b, ADR 0022); candidacy-v1 unchanged beside it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rich.console import Console

from schemas.common import GoalId
from schemas.decision import (
    CandidacyStatus,
    CandidacyVerdictChanged,
    CandidacyVerdictChangedV2,
    Decision,
    Mutual,
)
from services.decision.domain.candidacy.versions import PolicyChoice
from services.launcher.candidacy_sample import print_candidacy
from testkit.candidacies import (
    SCENARIOS,
    Scenario,
    candidacy_revisions,
    declined_in_final,
    disagreeing,
    round_after_withdrawal,
    round_inputs,
    still_open,
)

V1, V2 = "candidacy-v1", "candidacy-v2"


def final(scenario: Scenario, policy: str) -> CandidacyVerdictChanged:
    data = candidacy_revisions(round_inputs(scenario.events()), policy)[-1].data
    assert isinstance(data, CandidacyVerdictChanged)
    return data


def final_v2(scenario: Scenario) -> CandidacyVerdictChangedV2:
    data = final(scenario, V2)
    assert isinstance(data, CandidacyVerdictChangedV2)
    return data


def test_issue_example_a_no_in_the_final_round_is_not_averaged_into_proceed() -> None:
    scenario = declined_in_final()
    v1 = final(scenario, V1)
    assert (v1.company.decision, v1.mutual) == (Decision.PROCEED, Mutual.MUTUAL_FIT)  # v1 as it always was
    v2 = final_v2(scenario)
    assert (v2.company.decision, v2.company.score, v2.mutual) == (Decision.UNDECIDED, None, Mutual.UNDECIDED)
    final_round = scenario.rounds[2].interview_id
    [hold] = v2.company.holds
    assert (hold.code, hold.goal, hold.interview_id, hold.round, hold.mean) == (
        "declined_in_round", GoalId.COMPANY_LEVEL, final_round, "final", -1.5,
    )  # fmt: skip
    assert final_round in v2.company.text
    # The reasons are v1's: the goal's combined mean stays visible, only the decision is held.
    assert v2.company.reasons == v1.company.reasons
    assert v2.candidate.decision is Decision.PROCEED
    assert v2.candidate.holds == ()


def test_a_later_round_that_clears_the_goal_releases_the_hold() -> None:
    v2 = final_v2(disagreeing())  # technical declined on company.level; the final rated it strong_yes
    assert v2.company.decision is Decision.PROCEED
    assert v2.company.holds == ()
    assert v2.company.score == final(disagreeing(), V1).company.score


def test_rounds_held_after_a_withdrawal_do_not_count() -> None:
    scenario = round_after_withdrawal()
    after = scenario.rounds[2].interview_id
    v1 = final(scenario, V1)
    assert after in {g.interview_id for r in v1.company.reasons for g in r.rounds}  # v1 combines it
    v2 = final_v2(scenario)
    assert v2.status is CandidacyStatus.WITHDRAWN
    assert [(r.interview_id, r.counted) for r in v2.rounds][-1] == (after, False)
    assert all(r.counted for r in v2.rounds[:2])
    assert after not in {g.interview_id for r in v2.company.reasons for g in r.rounds}
    assert (v2.company.decision, v2.company.score) == (Decision.PROCEED, 1.0)  # screen and technical only
    assert v2.company.holds == ()  # the late round's strong_no is not counted, so it holds nothing
    assert v2.candidate.decision is Decision.DECLINE
    assert "technical" in v2.candidate.text


def test_an_open_candidacy_shows_no_score() -> None:
    v1 = final(still_open(), V1)
    assert v1.company.score is not None  # v1 showed +1.00 beside undecided
    v2 = final_v2(still_open())
    assert v2.status is CandidacyStatus.OPEN
    assert (v2.company.decision, v2.company.score) == (Decision.UNDECIDED, None)
    assert (v2.candidate.decision, v2.candidate.score) == (Decision.UNDECIDED, None)
    assert all(r.mean is not None for r in v2.company.reasons)  # the goals' means stay in the reasons


@pytest.mark.parametrize("make", SCENARIOS, ids=lambda f: f.__name__)
def test_v2_scores_only_beside_a_decision_and_never_proceeds_with_a_hold(make: object) -> None:
    for data in candidacy_revisions(round_inputs(make().events()), V2):  # type: ignore[operator]
        assert isinstance(data.data, CandidacyVerdictChangedV2)
        assert data.attributes.type == "hiring.decision.candidacy_verdict_changed.v2"
        for side in (data.data.company, data.data.candidate):
            assert (side.score is None) == (side.decision is Decision.UNDECIDED or bool(side.missing))
            assert not (side.holds and side.decision is Decision.PROCEED)


@pytest.mark.parametrize("make", SCENARIOS, ids=lambda f: f.__name__)
def test_v1_revisions_keep_the_v1_type_and_their_ids_differ_from_v2(make: object) -> None:
    inputs = round_inputs(make().events())  # type: ignore[operator]
    v1, v2 = candidacy_revisions(inputs, V1), candidacy_revisions(inputs, V2)
    assert {e.attributes.type for e in v1} == {"hiring.decision.candidacy_verdict_changed.v1"}
    assert all(type(e.data) is CandidacyVerdictChanged for e in v1)
    assert not {e.attributes.id for e in v1} & {e.attributes.id for e in v2}


def test_the_policy_of_a_new_candidacy_follows_the_settings() -> None:
    first = round_inputs(declined_in_final().events())[0]
    assert PolicyChoice().for_first(first) == V1
    assert PolicyChoice(V2).for_first(first) == V2
    assert PolicyChoice(V2, since=first.time + timedelta(seconds=1)).for_first(first) == V1
    assert PolicyChoice(V2, since=first.time).for_first(first) == V2
    with pytest.raises(ValueError, match="unknown candidacy policy"):
        PolicyChoice("candidacy-v9")


def test_the_main_run_prints_the_holds_and_the_rounds_not_counted() -> None:
    console = Console(record=True, width=400)
    for scenario in (declined_in_final(), round_after_withdrawal()):
        print_candidacy(console, {"verdict": final_v2(scenario).model_dump(mode="json")})
    text = console.export_text()
    assert "company: undecided — held undecided" in text
    assert "hold declined_in_round: company.level -1.50 in final (iv-late-no-final)" in text
    assert "iv-after-final revision" in text
    assert "completed), not counted" in text


@pytest.mark.parametrize(("make", "held"), [(declined_in_final, True), (disagreeing, False)])
def test_later_means_concluded_later_whatever_order_the_rounds_arrive_in(make: object, held: bool) -> None:
    """Round records of different interviews reach the candidacy projector in any order."""
    scenario: Scenario = make()  # type: ignore[operator]
    inputs = round_inputs(scenario.events())
    last = scenario.rounds[-1].interview_id
    reordered = [i for i in inputs if i.interview_id == last] + [i for i in inputs if i.interview_id != last]
    for order in (inputs, reordered):
        data = candidacy_revisions(order, V2)[-1].data
        assert isinstance(data, CandidacyVerdictChangedV2)
        assert bool(data.company.holds) is held
        assert data.company.decision is (Decision.UNDECIDED if held else Decision.PROCEED)
