"""The docs name what the code has: topics, event types and versions, HTTP routes, Kafka ACLs.

Each check reads a specific table or list of ``docs/design.md``, ``README.md`` or ``deploy/README.md``
and compares it both ways with the code (``schemas/topics.py``, ``schemas/registry.py``, the two FastAPI
apps, ``services/launcher/principals.py``): a documented name the code lacks fails, and so does a name
the code has and the doc leaves out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from schemas.registry import CURRENT, REGISTRY
from schemas.topics import DAY_MS, FOREVER, TOPIC_SPECS, Topics
from services.decision.entrypoints.settings import DecisionSettings
from services.interview.entrypoints.settings import InterviewSettings
from services.launcher.principals import service_acls
from services.platform.settings import KafkaSettings
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "docs" / "design.md"
README = ROOT / "README.md"
DEPLOY = ROOT / "deploy" / "README.md"

TYPE = re.compile(r"\bhiring\.[a-z_]+\.[a-z_]+\.v\d+\b")
TICKED = re.compile(r"`([^`]+)`")


def section(text: str, start: str, end: str | None = None) -> str:
    """The text from the first line containing ``start`` up to the next ``end`` (or the end)."""
    at = text.index(start)
    stop = text.find(end, at + len(start)) if end else -1
    return text[at : stop if stop >= 0 else len(text)]


def table_after(text: str, marker: str) -> list[list[str]]:
    """The cells of each body row of the first Markdown table after ``marker``."""
    rows: list[list[str]] = []
    for line in text[text.index(marker) :].splitlines()[1:]:
        line = line.strip()
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows[1:]  # the header row


def topic_rows(text: str, marker: str) -> dict[str, list[str]]:
    """A topic table's rows by the topic its first cell names."""
    out: dict[str, list[str]] = {}
    for cells in table_after(text, marker):
        names = TICKED.findall(cells[0])
        assert len(names) == 1, f"a topic row names one topic: {cells[0]}"
        assert names[0] not in out, f"{names[0]} listed twice"
        out[names[0]] = cells
    return out


RETENTION = {FOREVER: "forever", str(7 * DAY_MS): "7 days", None: "—"}
"""How the topic tables write a topic's ``retention.ms`` (none: compacted, kept while it is the latest)."""

TOPIC_TABLES = {
    "design.md": (DESIGN, "- Topics (declared once in `schemas/topics.py`", 3),
    "README.md": (README, "## Topics", 3),
}


@pytest.mark.parametrize("doc", sorted(TOPIC_TABLES))
def test_topic_tables_list_every_declared_topic_with_its_cleanup(doc: str) -> None:
    path, marker, cleanup_column = TOPIC_TABLES[doc]
    rows = topic_rows(path.read_text(), marker)
    assert set(rows) == {s.name for s in TOPIC_SPECS}, (
        f"{doc}: undocumented {sorted({s.name for s in TOPIC_SPECS} - set(rows))}, "
        f"not declared {sorted(set(rows) - {s.name for s in TOPIC_SPECS})}"
    )
    for spec in TOPIC_SPECS:
        cells = rows[spec.name]
        assert ("(internal" in cells[0]) == spec.internal, f"{doc}: {spec.name} internal is {spec.internal}"
        assert cells[cleanup_column].split()[0].rstrip(",") == spec.cleanup, f"{doc}: {spec.name} cleanup"
        assert cells[cleanup_column - 1] == RETENTION[spec.config.get("retention.ms")], f"{doc}: {spec.name}"


def test_design_lists_every_registered_type_with_its_status() -> None:
    rows = table_after(DESIGN.read_text(), "Every event type and version the registry")
    listed = {TICKED.findall(cells[0])[0]: cells[1].split()[0] for cells in rows}
    assert set(listed) == set(REGISTRY), (
        f"undocumented {sorted(set(REGISTRY) - set(listed))}, unknown {sorted(set(listed) - set(REGISTRY))}"
    )
    assert {name for name, status in listed.items() if status == "current"} == set(CURRENT)
    assert {name for name, status in listed.items() if status == "past"} == set(REGISTRY) - set(CURRENT)


def test_readme_contract_names_the_current_and_the_past_versions() -> None:
    text = section(README.read_text(), "## The event contract", "\n## ")
    current = set(TYPE.findall(section(text, "Current versions", "Past versions")))
    past = set(TYPE.findall(section(text, "Past versions")))
    assert current == set(CURRENT), f"written today: {sorted(CURRENT)}"
    assert past == set(REGISTRY) - set(CURRENT), f"read only: {sorted(set(REGISTRY) - set(CURRENT))}"


SHORT_VERSION = re.compile(r"\b([a-z_]+)\.v(\d+)\b")


@pytest.mark.parametrize("path", [DESIGN, README, DEPLOY], ids=lambda p: p.name)
def test_every_event_version_a_doc_names_exists(path: Path) -> None:
    text = path.read_text()
    unknown = {t for t in TYPE.findall(text) if t not in REGISTRY}
    assert not unknown, f"{path.name} names event types the registry lacks: {sorted(unknown)}"
    kinds = {name.rsplit(".", 2)[1] for name in REGISTRY}  # story_told, verdict_changed, ...
    versions = {(n.rsplit(".", 2)[1], int(n.rsplit(".v", 1)[1])) for n in REGISTRY}
    short = {(k, int(v)) for k, v in SHORT_VERSION.findall(text) if k in kinds}
    assert short <= versions, f"{path.name} names versions the registry lacks: {sorted(short - versions)}"


def _routes(app: FastAPI) -> set[str]:
    """``METHOD /path`` of every route, path parameters as ``{}`` (HEAD beside GET left out)."""
    out: set[str] = set()
    for route in app.routes:
        path = re.sub(r"\{[^}]*\}", "{}", route.path)  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            out.add(f"GET {path}/{{}}")
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                out.add(f"{method} {path}")
    return out


def _documented_routes(service: str) -> set[str]:
    out: set[str] = set()
    for cells in table_after(README.read_text(), "### HTTP API"):
        if service in [s.strip() for s in cells[0].split(",")]:
            route = TICKED.findall(cells[1])[0]
            out.add(re.sub(r"\{[^}]*\}", "{}", route))
    return out


@pytest.fixture(scope="module")
def apps() -> dict[str, FastAPI]:
    """Both services' real apps, built without a broker (``tests/fuzz/inprocess.py``)."""
    return {"interview": fuzz_interview_app(InProcessGateway()), "decision": fuzz_decision_app([])}


@pytest.mark.parametrize("service", ["interview", "decision"])
def test_readme_lists_every_route_of_each_app(apps: dict[str, FastAPI], service: str) -> None:
    served, documented = _routes(apps[service]), _documented_routes(service)
    assert served == documented, (
        f"{service}: undocumented {sorted(served - documented)}, not served {sorted(documented - served)}"
    )


def _acl_table() -> dict[str, dict[str, frozenset[str]]]:
    """deploy/README.md's ACL table: per user, each topic's operations as written."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for cells in table_after(DEPLOY.read_text(), "`KafkaUser`s (SCRAM-SHA-512 by default"):
        grants: dict[str, frozenset[str]] = {}
        for part in re.sub(r"\([^)]*\)", "", cells[1]).split(";"):
            names, _, operations = part.rpartition(":")
            for topic in TICKED.findall(names):
                assert topic not in grants, f"{cells[0]}: {topic} listed twice"
                grants[topic] = frozenset(o.strip() for o in operations.split(",") if o.strip())
        out[cells[0]] = grants
    return out


def _named_grants(cell: str, names: dict[str, str]) -> set[tuple[str, bool, frozenset[str]]]:
    """A group or transactional-id cell as (name with placeholders filled, prefix?, operations)."""
    out: set[tuple[str, bool, frozenset[str]]] = set()
    for part in re.sub(r"\([^)]*\)", "", cell).split(";"):
        written, _, operations = part.rpartition(":")
        for name in TICKED.findall(written):
            for placeholder, value in names.items():
                name = name.replace(placeholder, value)
            ops = frozenset(o.strip() for o in operations.split(",") if o.strip())
            out.add((name, written.strip().startswith("prefix"), ops))
    return out


def test_deploy_acl_table_names_the_groups_and_transactional_ids_the_code_uses() -> None:
    prefix, interview = "prod.", InterviewSettings()
    decision = DecisionSettings(kafka=KafkaSettings(topic_prefix=prefix))
    code = service_acls(Topics(prefix), interview, decision)
    group_ids = {"interview": interview.group_id, "decision": decision.group_id, "audit": ""}
    for cells in table_after(DEPLOY.read_text(), "`KafkaUser`s (SCRAM-SHA-512 by default"):
        user = cells[0]
        names = {
            "<prefix>": prefix,
            "<groupId>": group_ids[user],
            "<transactionalPrefix>": interview.transactional_prefix,
        }
        for column, kind in ((2, "group"), (3, "transactionalId")):
            expected = {(r.name, r.prefix, frozenset(r.operations)) for r in code[user] if r.kind == kind}
            assert _named_grants(cells[column], names) == expected, f"{user}: {kind}s"


def _written(operations: frozenset[str]) -> frozenset[str]:
    """Operations as the table writes them: Describe(Configs) go without saying beside any other."""
    rest = operations - {"Describe", "DescribeConfigs"}
    return rest or frozenset({"Describe"})


def test_deploy_acl_table_grants_what_the_code_grants() -> None:
    code = {
        user: {rule.name: _written(rule.operations) for rule in rules if rule.kind == "topic"}
        for user, rules in service_acls(Topics()).items()
    }
    table = _acl_table()
    assert set(table) == set(code)
    for user, grants in code.items():
        assert table[user] == grants, f"{user}: the code grants {grants}, the table says {table[user]}"


@pytest.mark.parametrize(
    "adr", sorted((ROOT / "docs" / "decisions").glob("[0-9]*.md")), ids=lambda p: p.name[:4]
)
def test_every_decision_record_weighs_its_alternatives(adr: Path) -> None:
    text = adr.read_text()
    heading = re.search(r"^## Alternatives[^\n]*\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert heading, f"{adr.name} has no '## Alternatives' section"
    assert len(heading.group(1).strip()) >= 150, f"{adr.name}: its alternatives section says next to nothing"
