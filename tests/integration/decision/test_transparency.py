"""The transparency log on the real broker (ADR 0026): the notary's checkpoints sign the trees an auditor
recomputes from the records, and the query API's proofs verify against them offline."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas import merkle
from schemas.checkpoint import Verifier, generate_key, open_note, parse_verifier
from schemas.codec import headers_to_attributes
from schemas.tlog import LOGGED_TOPICS, record_leaf
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_partition
from testkit.auth import service_headers
from testkit.interviews import checklist, story_first
from tests.decision_support import eventually, free_port, produce, settings_for, wait_for_records

pytestmark = pytest.mark.kafka


async def recomputed(client: dict[str, Any], topic: str, partition: int) -> list[bytes]:
    """Leaf hashes of a partition as an auditor computes them: from the stored bytes, no header trusted."""
    return [merkle.leaf_hash(record_leaf(headers_to_attributes(list(r.headers)), r.value))
            async for r in read_partition(client, topic, partition)]  # fmt: skip


@pytest.fixture
async def served(kafka: Broker, topics: Topics, tmp_path: Path) -> AsyncIterator[tuple[str, Verifier]]:
    skey, vkey = generate_key("test-notary")
    key_file = tmp_path / "notary.key"
    key_file.write_text(skey + "\n")
    settings = settings_for(kafka, topics, free_port(), tlog_key_file=key_file, tlog_interval_s=0.5,
                            state_dir=tmp_path / "state")  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, build_runtime(settings)))
    yield f"http://127.0.0.1:{settings.port}", parse_verifier(vkey)
    stop.set()
    await asyncio.wait_for(task, timeout=15)


async def covering(http: httpx.AsyncClient, client: dict[str, Any], topics: Topics) -> dict[str, Any]:
    """Until each logged partition's latest checkpoint covers every record it holds; those checkpoints."""
    found: dict[str, Any] = {}

    async def covered() -> bool:
        answer = await http.get("/transparency/checkpoints")
        if answer.status_code != 200:
            return False
        found.clear()
        found.update({c["origin"]: c for c in answer.json()["checkpoints"]})
        for topic in LOGGED_TOPICS:
            for partition in range(3):
                held = len(await recomputed(client, topics.name(topic), partition))
                mine = [c for c in found.values() if (c["topic"], c["partition"]) == (topic, partition)]
                if held and (not mine or mine[0]["size"] != held):
                    return False
        return True

    assert await eventually(covered, timeout=60, every=0.5), "checkpoints did not cover the records"
    return found


async def test_checkpoints_sign_the_recomputed_trees_and_proofs_verify(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, served: tuple[str, Verifier], tmp_path: Path
) -> None:
    base, verifier = served
    first = story_first("tl-1")
    await produce(kafka_client, topics.interview_events, [*first.events, *checklist("tl-2").events],
                  transactional=True)  # fmt: skip
    expected = project([*first.events, *checklist("tl-2").events])
    await wait_for_records(kafka_client, topics.decision_events, len(expected))
    async with httpx.AsyncClient(base_url=base, timeout=10, headers=service_headers()) as http:
        assert (await http.get("/transparency/key")).json() == {"keys": [verifier.text()]}
        kept = await covering(http, kafka_client, topics)
        assert {c["topic"] for c in kept.values()} >= {"interview.events", "decision.events"}
        for origin, found in kept.items():  # the signed root is the auditor's own recomputation
            checkpoint = open_note(found["note"], [verifier])
            leaves = await recomputed(kafka_client, topics.name(found["topic"]), found["partition"])
            assert (checkpoint.origin, checkpoint.size) == (origin, len(leaves))
            assert checkpoint.root == merkle.root(leaves)
        # A verdict revision's inclusion, offline: the proof, its leaf and the kept checkpoint only.
        proof = (await http.get("/verdicts/tl-1/revisions/1/inclusion")).json()
        assert proof["topic"] == "decision.events"
        assert proof["origin"] in kept
        signed = open_note(kept[proof["origin"]]["note"], [verifier])
        path = [bytes.fromhex(h) for h in proof["hashes"]]
        assert proof["tree_size"] == signed.size
        assert len(path) <= max(signed.size - 1, 1).bit_length()
        leaf = bytes.fromhex(proof["leaf_hash"])
        assert merkle.verify_inclusion(leaf, proof["leaf_index"], signed.size, path, signed.root)
        tampered = bytes([leaf[0] ^ 1]) + leaf[1:]
        assert not merkle.verify_inclusion(tampered, proof["leaf_index"], signed.size, path, signed.root)
        # Any interview event, by its place in the log: the last record of a partition that has some.
        origin = next(o for o, c in kept.items() if c["topic"] == "interview.events")
        partition = kept[origin]["partition"]
        last = [r async for r in read_partition(kafka_client, topics.interview_events, partition)][-1]
        params = {"topic": "interview.events", "partition": partition, "offset": last.offset}
        event = (await http.get("/transparency/inclusion", params=params)).json()
        signed = open_note(kept[origin]["note"], [verifier])
        assert event["leaf_index"] == signed.size - 1
        event_path = [bytes.fromhex(h) for h in event["hashes"]]
        assert merkle.verify_inclusion(
            (await recomputed(kafka_client, topics.interview_events, partition))[-1],
            event["leaf_index"], signed.size, event_path, signed.root,
        )  # fmt: skip
        params["offset"] = last.offset + 1  # the transaction marker after it: not a record
        assert (await http.get("/transparency/inclusion", params=params)).status_code == 404
        assert (await http.get("/verdicts/tl-1/revisions/99/inclusion")).status_code == 404
        # More history; the new checkpoints extend the kept ones (consistency proofs verify).
        more = story_first("tl-3").events
        await produce(kafka_client, topics.interview_events, more, transactional=True)
        later = await covering(http, kafka_client, topics)
        grown = [o for o in kept if later[o]["size"] > kept[o]["size"]]
        assert grown, "the new interview's records grew no tree"
        for origin in grown:
            old, new = (open_note(x[origin]["note"], [verifier]) for x in (kept, later))
            answer = await http.get("/transparency/consistency",
                                    params={"origin": origin, "old": old.size, "new": new.size})  # fmt: skip
            hashes = [bytes.fromhex(h) for h in answer.json()["hashes"]]
            assert merkle.verify_consistency(old.size, new.size, old.root, new.root, hashes), origin
        bad = await http.get("/transparency/consistency", params={"origin": grown[0], "old": 1, "new": 10**6})
        assert bad.status_code == 400
        # The auditor's side (ADR 0025) against this service: keep its checkpoints, verify the history
        # extends them, prove the served inclusion proof offline.
        latest = (await http.get("/verdicts/tl-1/revisions/1/inclusion")).json()
    kept_dir, proof_file = tmp_path / "kept", tmp_path / "proof.json"
    proof_file.write_text(json.dumps(latest))
    audit = [sys.executable, "-m", "services.audit.entrypoints.cli"]
    env = os.environ | {"KAFKA_BOOTSTRAP_SERVERS": str(kafka.settings.bootstrap_servers),
                        "KAFKA_TOPIC_PREFIX": topics.prefix}  # fmt: skip
    key = ["--key", verifier.text()]
    for args in (["checkpoint", "save", "--url", base, "--dir", str(kept_dir), *key],
                 ["verify", "--no-progress", "--checkpoints", str(kept_dir), *key],
                 ["prove", "--proof", str(proof_file), "--checkpoints", str(kept_dir), *key]):  # fmt: skip
        run = functools.partial(subprocess.run, env=env, capture_output=True, text=True, timeout=120)
        done = await asyncio.to_thread(run, [*audit, *args])
        assert done.returncode == 0, f"{args[0]}: {done.stdout}\n{done.stderr}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as anonymous:  # checkpoints are public
        assert (await anonymous.get("/transparency/checkpoints")).status_code == 200
        assert (await anonymous.get("/verdicts/tl-1/revisions/1/inclusion")).status_code == 401
