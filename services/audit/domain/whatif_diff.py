"""What changes between two verdicts of one interview, which way and why (``what-if``'s presentation).

Pure: compares the latest revision under the interview's recorded policy with the latest under the
alternative, field by field, over what any policy version's verdict carries. A field a version adds
to a side verdict (e.g. a confidence and its reasons) is reported generically, as ``name: value``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel

from services.audit.domain.report import Change, SideChange

SIDES: tuple[Literal["company"], Literal["candidate"]] = ("company", "candidate")
STANDARD = {"side", "decision", "score", "reasons", "missing", "perspective"}
"""Fields every side verdict has; any other is a version's addition, shown as it is."""


def _reasons(side: Mapping[str, Any]) -> dict[str, str]:
    return {r["goal"]: r["text"] for r in side.get("reasons", ())}


LOWERING = ("forces_low", "lowers")
"""Effects of graded reasons (e.g. v2's confidence reasons) that pull a grade down: the why of a drop."""


def _added(name: str, value: Any) -> list[str]:
    """A field a version adds: graded (``level`` + ``reasons``) as its level and the reasons pulling it
    down (all of them when none does), one line each; anything else as ``name: value``."""
    if isinstance(value, Mapping) and "level" in value and "reasons" in value:
        reasons = value["reasons"]
        down = [r for r in reasons if r.get("effect") in LOWERING] or reasons
        return [f"{name} {value['level']}", *(f"  {r['text']} ({r.get('effect', '')})" for r in down)]
    return [f"{name}: {_plain(value)}"]


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(
            f"{k} {_plain(v)}" for k, v in value.items() if v not in (None, (), [], "") and k != "evidence"
        )
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def side_why(before: Mapping[str, Any], after: Mapping[str, Any], ruled: bool = False) -> tuple[str, ...]:
    """Why one side's verdict differs: added fields, missing goals, changed goal reasons, the score."""
    out = [line for name in sorted(set(after) - STANDARD) if after[name] != before.get(name)
           for line in _added(name, after[name])]  # fmt: skip
    if tuple(after.get("missing", ())) != tuple(before.get("missing", ())):
        out.append(f"missing goals: {', '.join(after['missing']) or 'none'}")
    old = _reasons(before)
    out += [f"{goal}: {text}" for goal, text in _reasons(after).items() if old.get(goal) != text]
    if after.get("score") != before.get("score"):
        out.append(f"score {_score(before.get('score'))} → {_score(after.get('score'))}")
    if out or ruled:
        return tuple(out)
    return ("same reasons and score; the alternative's rules weigh them differently",)


def _score(value: float | None) -> str:
    return "none" if value is None else f"{value:+.2f}"


def signal_codes(data: Mapping[str, Any]) -> dict[str, str]:
    """Signal code -> message of a verdict."""
    return {s["code"]: s["message"] for s in data.get("signals", ())}


def diff(
    before: BaseModel | None, after: BaseModel | None, rules: tuple[str, ...] = ()
) -> tuple[SideChange, ...]:
    """The decisions that differ (company, candidate, mutual), each with why; then the signals.

    ``rules``: the thresholds the alternative changed, named in every side's why.
    """
    b = before.model_dump(mode="json") if before is not None else {}
    a = after.model_dump(mode="json") if after is not None else {}
    out = []
    for side in SIDES:
        was, now = b.get(side, {}), a.get(side, {})
        if was.get("decision") != now.get("decision"):
            why = (*rules, *side_why(was, now, bool(rules)))
            out.append(SideChange(part=side, before=str(was.get("decision", "undecided")),
                                  after=str(now.get("decision", "undecided")), why=why))  # fmt: skip
    if b.get("mutual") != a.get("mutual"):
        why = tuple(f"{c.part}: {c.before} → {c.after}" for c in out)
        why += ("another round is needed",) if a.get("another_round") else ()
        out.append(SideChange(part="mutual", before=str(b.get("mutual", "undecided")),
                              after=str(a.get("mutual", "undecided")), why=why))  # fmt: skip
    old, new = signal_codes(b), signal_codes(a)
    if set(old) != set(new):
        why = tuple([f"+ {c}: {new[c]}" for c in sorted(set(new) - set(old))]
                    + [f"- {c}: {old[c]}" for c in sorted(set(old) - set(new))])  # fmt: skip
        out.append(
            SideChange(part="signals", before=",".join(old) or "-", after=",".join(new) or "-", why=why)
        )
    return tuple(out)


def transitions(changes: Iterable[Change]) -> dict[str, dict[str, int]]:
    """How many verdicts change which way, per part: ``{"company": {"proceed → undecided": 2}}``."""
    counts: dict[str, Counter[str]] = {}
    for change in changes:
        for part in change.parts:
            if part.before != part.after and part.part != "signals":
                counts.setdefault(part.part, Counter())[f"{part.before} → {part.after}"] += 1
    return {part: dict(c.most_common()) for part, c in counts.items()}
