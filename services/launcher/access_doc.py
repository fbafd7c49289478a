"""The endpoint x role table of docs/security.md, rendered from the routes' declarations.

``python -m services.launcher.access_doc`` rewrites the table between its markers in docs/security.md;
``--check`` exits 1 when the file differs (``tests/unit/platform/test_access_table.py`` checks it too).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from services.decision.entrypoints.access import ACCESS as DECISION
from services.interview.entrypoints.access import ACCESS as INTERVIEW
from services.platform.auth import DOCS_ROUTES, Access, Role, Scope

BEGIN = "<!-- access-table:begin (generated: python -m services.launcher.access_doc) -->"
END = "<!-- access-table:end -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
CELL = {Scope.ALL: "allowed", Scope.PARTICIPANT: "scoped: participant", Scope.OPENED: "scoped: opened"}
TABLES: dict[str, Mapping[str, Access]] = {"interview": INTERVIEW, "decision": DECISION}


def cell(access: Access, role: Role | None) -> str:
    """One cell: public, 401 (anonymous), 403 (role not allowed), allowed or scoped."""
    if access.public:
        return "public"
    if role is None:
        return "401"
    scope = access.grants.get(role)
    return "403" if scope is None else CELL[scope]


def render() -> str:
    """The markdown table (one row per service and route, then the documentation routes)."""
    roles = list(Role)
    head = ["service", "route", "anonymous", *[r.value for r in roles], "scope means"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for service, table in TABLES.items():
        for key, access in table.items():
            if key in DOCS_ROUTES:
                continue
            cells = [cell(access, None), *[cell(access, r) for r in roles]]
            lines.append(f"| {service} | `{key}` | " + " | ".join(cells) + f" | {access.note} |")
    docs = ", ".join(f"`{k.split()[1]}`" for k in DOCS_ROUTES)
    public = " | ".join("public" for _ in roles)
    lines.append(f"| both | `GET` {docs} | public | {public} | the contract |")
    return "\n".join(lines)


def rewritten(text: str) -> str:
    """``text`` (docs/security.md) with its table replaced by the current rendering."""
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    return f"{before}{BEGIN}\n{render()}\n{END}{after}"


def main() -> int:
    """Rewrite the table (or, with --check, report a stale one)."""
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        print(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing", file=sys.stderr)
        return 1
    new = rewritten(text)
    if "--check" in sys.argv[1:]:
        if new != text:
            print(f"{DOC} is stale: run python -m services.launcher.access_doc", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
