"""Which candidacy policy a candidacy runs under, kept in its stored state (ADR 0022)."""

from __future__ import annotations

import json
from pathlib import Path

from services.decision.adapters.candidacy import CandidacyHandler
from services.decision.adapters.candidacy_state import round_prefix, state_from_rounds, state_values
from services.decision.domain.candidacy.revisions import CandidacyState, step
from services.decision.domain.candidacy.versions import PolicyChoice
from services.platform.state import PartitionStore
from testkit.candidacies import declined_in_final, round_inputs, three_rounds
from tests.unit.decision.test_candidacy_rounds import TOPICS, Rec, _written

V2 = "candidacy-v2"


def _fold(policy: str) -> CandidacyState:
    state = CandidacyState(policy=policy)
    for item in round_inputs(declined_in_final().events()):
        state, _ = step(state, item)
    return state


def test_a_v2_state_comes_back_from_its_values_under_v2_and_v1_values_stay_as_they_were() -> None:
    for policy in ("candidacy-v1", V2):
        state = _fold(policy)
        values = state_values(state, {r.interview_id for r in state.rounds}, {})
        assert state_from_rounds(values.values()) == state
        published = {len(json.loads(v)[2]) for v in values.values()}
        assert published == ({3} if policy == "candidacy-v1" else {4})  # v1's stored bytes unchanged


async def test_new_candidacies_take_the_configured_policy_and_stored_ones_keep_theirs(tmp_path: Path) -> None:
    old = [Rec(n.value, n.headers, offset=i) for i, (n, _) in enumerate(_written(three_rounds().events()))]
    new = [
        Rec(n.value, n.headers, offset=i) for i, (n, _) in enumerate(_written(declined_in_final().events()))
    ]
    handler = CandidacyHandler({}, TOPICS, "unit", tmp_path)  # the default: candidacy-v1
    handler.stores[0] = store = PartitionStore(tmp_path, TOPICS.candidacy_state, 0, "unit")
    await handler.handle(0, old[:-1])  # all but the last round of an existing candidacy, under v1
    handler.committed(0, {})
    handler.revoked(0)
    switched = CandidacyHandler({}, TOPICS, "unit", tmp_path, PolicyChoice(V2))
    switched.stores[0] = store = PartitionStore(tmp_path, TOPICS.candidacy_state, 0, "unit")
    out = await switched.handle(0, [old[-1], *new])
    types = {
        (dict(o.headers)["ce_subject"].decode(), dict(o.headers)["ce_type"].decode().rsplit(".", 1)[1])
        for o in out if o.topic == TOPICS.candidacies
    }  # fmt: skip
    assert types == {("cy-demo", "v1"), ("cy-late-no", "v2")}
    switched.committed(0, {})
    stored = state_from_rounds(v for _, v in store.items(round_prefix("cy-late-no")))
    assert stored.policy == V2
