"""Benchmark: what the transparency log costs per input record (ADR 0026), without a broker.

``python -m benchmarks.notary [--records 100000] [--proofs 2000]`` encodes interview events as the writer
stores them (with their ``chainhash`` header) and measures, on this process's CPU clock:

- the notary's handler (``NotaryHandler.handle``) over batches of 500 records of one partition: leaf from
  the header plus the compact range append, without a checkpoint (between intervals) and with a signed
  checkpoint every batch (the worst case: an interval shorter than a batch);
- the leaf recomputed from the stored bytes (what ``hiring-audit`` pays, the baseline in the same run:
  ``schemas.chain.record_hash``), and the bare loop over the records (reading the header only);
- the proof store (query role): appending the records (subtree nodes, leaf offsets) in batches of 500,
  the file's bytes per record, then inclusion and consistency proofs at the full size (µs per proof, with
  their length in hashes), against ``schemas.merkle``'s reference proofs from every leaf in memory.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from schemas import encode, merkle
from schemas.chain import hash_header
from schemas.checkpoint import generate_key, parse_signer
from schemas.codec import headers_to_attributes
from schemas.tlog import record_leaf
from schemas.topics import Topics
from services.decision.adapters.notary import NotaryHandler, _Tree
from services.decision.adapters.proof_store import ProofStore
from services.decision.adapters.tlog_records import leaf_of
from testkit.interviews import stream

BATCH = 500


@dataclass
class Rec:
    """A consumed record as a handler sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]


def records(count: int) -> list[Rec]:
    """``count`` interview events as stored, on one partition (offsets skip a marker every batch)."""
    events = stream(count // 15 + 1, prefix="bench")[:count]
    out = []
    for i, event in enumerate(events):
        stored = encode(event)
        out.append(Rec("interview.events", 0, i + i // BATCH, stored.key, stored.value, list(stored.headers)))
    return out


def cpu_us(run: Callable[[], object], per: int) -> float:
    """CPU µs of ``run`` per item (``per`` items)."""
    start = time.process_time()
    run()
    return (time.process_time() - start) / per * 1e6


def handler_us(recs: list[Rec], interval_s: float) -> float:
    """CPU µs per record of the notary's handler (no Kafka), a checkpoint per batch when interval is 0."""
    signer = parse_signer(generate_key("bench-notary")[0])
    handler = NotaryHandler({}, Topics(), "interview.events", group="g", origin_base="bench",
                            signers=[signer], interval_s=interval_s)  # fmt: skip
    handler.trees[0] = _Tree(merkle.CompactRange(), 0, 0, float("-inf"))

    async def batches() -> None:
        for start in range(0, len(recs), BATCH):
            await handler.handle(0, recs[start : start + BATCH])  # type: ignore[arg-type]
            handler.committed(0, {})

    return cpu_us(lambda: asyncio.run(batches()), len(recs))


def proof_store(recs: list[Rec], proofs: int) -> dict[str, float]:
    """Appending to the proof store, its size, and proofs at the full size against the reference."""
    with tempfile.TemporaryDirectory(prefix="bench-proofs-") as folder:
        store = ProofStore(Path(folder) / "proofs.sqlite")

        def fill() -> None:
            for start in range(0, len(recs), BATCH):
                store.add_records(recs[start : start + BATCH])

        append = cpu_us(fill, len(recs))
        n, rng = len(recs), random.Random(26)
        picks = [rng.randrange(n) for _ in range(proofs)]
        olds = [rng.randrange(1, n) for _ in range(proofs)]
        inclusion = cpu_us(lambda: [store.inclusion("interview.events", 0, i, n) for i in picks], proofs)
        consistency = cpu_us(lambda: [store.consistency("interview.events", 0, m, n) for m in olds], proofs)
        leaves = [leaf_of(r) for r in recs]
        reference = cpu_us(lambda: [merkle.inclusion_proof(leaves, i, n) for i in picks[:3]], 3)
        length = len(store.inclusion("interview.events", 0, picks[0], n))
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
        store.close()
    return {"append_us": append, "bytes_per_record": size / n, "inclusion_us": inclusion,
            "consistency_us": consistency, "reference_inclusion_us": reference,
            "proof_hashes": length}  # fmt: skip


def measure(count: int, proofs: int) -> dict[str, Any]:
    """Every figure, for ``count`` records."""
    recs = records(count)
    loop = cpu_us(lambda: [hash_header(r.headers) for r in recs], count)
    recompute = cpu_us(
        lambda: [merkle.leaf_hash(record_leaf(headers_to_attributes(r.headers), r.value)) for r in recs],
        count,
    )
    return {
        "records": count,
        "loop_us": loop,
        "recompute_leaf_us": recompute,
        "notary_us": handler_us(recs, interval_s=3600),
        "notary_signing_every_batch_us": handler_us(recs, interval_s=0),
        **proof_store(recs, proofs),
    }


def main(
    records_: int = typer.Option(100_000, "--records", help="Records of one partition."),
    proofs: int = typer.Option(2000, help="Inclusion and consistency proofs computed at the full size."),
) -> None:
    """Print the notary's and the proof store's cost per record against recomputing the leaf."""
    found = measure(records_, proofs)
    audit, proof = "leaf recomputed from the stored bytes (audit's way; baseline)", "µs/proof"
    rows = [
        ("bare loop over the records (read the chainhash header)", found["loop_us"], "µs/record"),
        (audit, found["recompute_leaf_us"], "µs/record"),
        ("notary handler, no checkpoint (leaf from header + compact range)", found["notary_us"], "µs/record"),
        ("notary handler, a signed checkpoint every 500 records", found["notary_signing_every_batch_us"],
         "µs/record"),
        ("proof store append (query role)", found["append_us"], "µs/record"),
        ("proof store file size", found["bytes_per_record"], "bytes/record"),
        (f"inclusion proof at n={records_:,} ({found['proof_hashes']} hashes)", found["inclusion_us"], proof),
        ("consistency proof at n (random old size)", found["consistency_us"], proof),
        ("reference inclusion proof from every leaf in memory (schemas.merkle)",
         found["reference_inclusion_us"], proof),
    ]  # fmt: skip
    print(f"| {records_:,} records, one partition | value | unit |\n|---|---|---|")
    for name, value, unit in rows:
        print(f"| {name} | {value:,.1f} | {unit} |")
    ratio = found["notary_us"] / found["recompute_leaf_us"]
    print(f"\nnotary per record / recomputing the leaf: {ratio:.2f}")


if __name__ == "__main__":
    typer.run(main)
