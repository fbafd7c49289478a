"""The committed contract files are exactly what the models generate now (no drift)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas import REGISTRY
from schemas import generate as gen
from schemas.topics import TOPIC_SPECS

COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0: keys of components and maps


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return gen.render()


@pytest.fixture(scope="module")
def asyncapi(rendered: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(rendered["asyncapi.yaml"])
    return doc


def test_committed_files_equal_what_the_models_generate() -> None:
    assert gen.drift() == [], "run `python -m schemas.generate` and commit the result"


def test_generation_is_deterministic(rendered: dict[str, str]) -> None:
    assert gen.render() == rendered


def test_check_lists_drifted_and_stale_files_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(gen.ROOT / "json", tmp_path / "json")
    shutil.copy(gen.ROOT / "asyncapi.yaml", tmp_path / "asyncapi.yaml")
    assert gen.main(["--check", "--root", str(tmp_path)]) == 0
    story = tmp_path / "json" / "hiring.interview.story_told.v1.json"
    story.write_text(story.read_text().replace('"summary"', '"synopsis"'))
    (tmp_path / "json" / "hiring.interview.retired.v1.json").write_text("{}\n")

    assert gen.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "drifted: schemas/json/hiring.interview.story_told.v1.json" in err
    assert "hiring.interview.retired.v1.json (stale" in err


def test_write_repairs_drift(tmp_path: Path) -> None:
    gen.write(tmp_path)
    (tmp_path / "asyncapi.yaml").write_text("asyncapi: 3.0.0\n")
    assert gen.write(tmp_path) == ["asyncapi.yaml"]
    assert gen.drift(tmp_path) == []


def test_one_schema_per_type_with_dataschema_as_id(rendered: dict[str, str]) -> None:
    for event_type in REGISTRY.values():
        schema = yaml.safe_load(rendered[f"json/{event_type.name}.json"])
        assert schema["$id"] == event_type.dataschema
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["additionalProperties"] is False
        assert schema["x-cloudevents-type"] == event_type.name


def test_asyncapi_has_every_topic_as_a_channel(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    addresses = sorted(channel["address"] for channel in asyncapi["channels"].values())
    assert addresses == sorted(spec.name for spec in TOPIC_SPECS if not spec.internal)


def test_every_event_type_is_a_message_with_ce_headers_and_key(asyncapi: dict[str, Any]) -> None:
    messages = asyncapi["components"]["messages"]
    headers = asyncapi["components"]["schemas"]["CloudEventsKafkaHeaders"]
    assert {"ce_id", "ce_type", "ce_sequence", "ce_prevhash", "content-type"} <= set(headers["required"])
    for event_type in REGISTRY.values():
        message = messages[event_type.name]
        own = message["headers"]["allOf"][1]["properties"]
        assert own["ce_type"]["const"] == event_type.name
        assert own["ce_dataschema"]["const"] == event_type.dataschema
        assert message["payload"] == {"$ref": f"#/components/schemas/{event_type.model.__name__}"}
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        channel = asyncapi["channels"][event_type.topic]
        assert event_type.name in channel["messages"]


def test_commands_and_results_are_documented(asyncapi: dict[str, Any]) -> None:
    schemas = asyncapi["components"]["schemas"]
    assert {"CommandEnvelope", "CommandResult", "CommandAccepted", "CommandRejected"} <= set(schemas)
    actions = {
        op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"] for op in asyncapi["operations"].values()
    }
    assert actions["interview.commands"] == "receive"


def test_topic_configuration_matches_the_declared_topics(asyncapi: dict[str, Any]) -> None:
    config = asyncapi["channels"]["decision.verdicts"]["bindings"]["kafka"]["topicConfiguration"]
    assert config["cleanup.policy"] == ["compact"]
    history = asyncapi["channels"]["interview.events"]["bindings"]["kafka"]["topicConfiguration"]
    assert history == {"cleanup.policy": ["delete"], "retention.ms": -1, "retention.bytes": -1}


def test_every_reference_resolves_and_keys_are_valid(asyncapi: dict[str, Any]) -> None:
    for ref in _refs(asyncapi):
        node: Any = asyncapi
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    for section in ("messages", "schemas"):
        assert all(COMPONENT_KEY.match(key) for key in asyncapi["components"][section])
    assert all(COMPONENT_KEY.match(key) for key in [*asyncapi["channels"], *asyncapi["operations"]])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_dead_letter_headers_match_what_the_decision_service_writes(asyncapi: dict[str, Any]) -> None:
    from types import SimpleNamespace

    from jsonschema import Draft202012Validator

    from schemas.topics import Topics
    from services.decision.adapters.records import dlq_record
    from services.decision.domain.revisions import Poison

    record = SimpleNamespace(
        topic="interview.events",
        partition=2,
        offset=41,
        key=b"iv-1",
        value=b"{oops",
        headers=[("ce_id", b"x")],
    )
    out = dlq_record(record, Poison("iv-1", 41, "malformed_json", "value: ..."), Topics())
    headers = {name: value.decode() for name, value in out.headers}

    schema = asyncapi["components"]["messages"]["DeadLetter"]["headers"]
    Draft202012Validator(schema).validate(headers)
    assert {name for name in headers if name.startswith("dlq_")} == set(schema["properties"])
