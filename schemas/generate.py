"""Generate the language-neutral contract from the pydantic models.

    python -m schemas.generate           # (re)write schemas/json/*.json and schemas/asyncapi.yaml
    python -m schemas.generate --check   # exit 1 and list the files that drifted from the models

Writes one JSON Schema (draft 2020-12) per event type, whose ``$id`` is the type's ``dataschema``,
one for the CloudEvents envelope, one each for commands and command results, and one AsyncAPI 3.0
document for every contract topic. The AsyncAPI document is produced by FastStream from publishers and
subscribers declared on a ``KafkaBroker`` (``contract_broker``); ``asyncapi_document`` then adds only
what FastStream 0.7 cannot express: several messages on one channel (one per CloudEvents type),
message headers, the Kafka key binding, topic configuration, a second operation on a channel, and
AsyncAPI-valid component names. Output is deterministic: sorted keys, fixed indentation, newline.
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import sys
from pathlib import Path
from typing import Any

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from schemas import dlq
from schemas.chain import HASH_HEADER
from schemas.commands import CommandEnvelope, CommandResult
from schemas.envelope import SEQUENCE_WIDTH, Attributes
from schemas.registry import REGISTRY, SCHEMA_BASE, EventType
from schemas.sealed import WrappedDataKey
from schemas.topics import BY_NAME, TOPIC_SPECS

ROOT = Path(__file__).parent
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "cloudevents-envelope.json"
COMMAND_FILES: dict[str, Any] = {
    "interview.command.json": CommandEnvelope,
    "interview.command-result.json": CommandResult,
}

HEADER_OF = {"datacontenttype": "content-type"}
"""Attributes carried in a header other than ``ce_<name>`` (CloudEvents Kafka binding)."""


def header_name(attribute: str) -> str:
    """The Kafka header carrying a CloudEvents attribute in binary mode."""
    return HEADER_OF.get(attribute, f"ce_{attribute}")


def data_schema(event_type: EventType) -> dict[str, Any]:
    """The JSON Schema of one event type's data; ``$id`` is its ``dataschema``."""
    schema = event_type.model.model_json_schema()
    return {
        "$schema": DRAFT_2020_12,
        "$id": event_type.dataschema,
        **schema,
        "x-cloudevents-type": event_type.name,
        "x-kafka-topic": event_type.topic,
    }


def envelope_schema() -> dict[str, Any]:
    """The CloudEvents attributes as carried on the wire: every value a string."""
    schema = _inline_defs(Attributes.model_json_schema())
    props: dict[str, dict[str, Any]] = schema["properties"]
    props["sequence"] = {
        "description": f"{props['sequence']['description']} Decimal, left-padded with zeros to "
        f"{SEQUENCE_WIDTH} digits so that it sorts as text.",
        "pattern": f"^[0-9]{{{SEQUENCE_WIDTH}}}$",
        "title": "Sequence",
        "type": "string",
    }
    optional = [n for n, f in Attributes.model_fields.items() if not f.is_required() and f.default is None]
    for name, prop in props.items():
        prop.pop("default", None)
        if name in optional:  # a header that is absent when unset, never null
            string = next(s for s in prop.pop("anyOf") if s.get("type") == "string")
            prop.update(string)
        prop["x-kafka-header"] = header_name(name)
    schema["required"] = [n for n in props if n not in optional]
    schema["description"] = (
        "CloudEvents 1.0 context attributes and hiring-pipeline extensions, in the string form "
        "carried by Kafka headers in binary mode: attribute X travels as header ce_X (UTF-8), "
        "datacontenttype as content-type; the record value is the data, the key the interview id."
    )
    return {"$schema": DRAFT_2020_12, "$id": f"{SCHEMA_BASE}{ENVELOPE_FILE}", **schema}


def command_schema(file_name: str, model: Any) -> dict[str, Any]:
    """The JSON Schema of a command record value or a command result record value."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(model).json_schema()
    if "title" not in schema:
        schema["title"] = "CommandResult"
    return {"$schema": DRAFT_2020_12, "$id": f"{SCHEMA_BASE}{file_name}", **schema}


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace ``#/$defs/X`` references of a flat schema by their definitions."""
    defs = schema.pop("$defs", {})
    for name, prop in schema["properties"].items():
        ref = prop.pop("$ref", None)
        if ref is not None:
            schema["properties"][name] = {**defs[ref.rsplit("/", 1)[1]], **prop}
    return schema


# --- AsyncAPI 3.0 ------------------------------------------------------------------------------

SERVER = "localhost:9092"
KAFKA_BINDING = "0.4.0"
CHANNELS: dict[str, str] = {spec.name: spec.description for spec in TOPIC_SPECS if not spec.internal}
SAME_MESSAGES_AS = {"decision.verdicts": "decision.events", "decision.shadow": "decision.events"}
OTHER_MESSAGES: dict[str, tuple[str, str, str]] = {
    # topic: (message name, payload schema name, summary)
    "interview.commands": ("InterviewCommand", "CommandEnvelope", "A command to the interview service."),
    "interview.command-results": ("CommandResult", "CommandResult", "Accepted or rejected, by status."),
    "interview.events.dlq": ("DeadLetter", "DeadLetterValue", "An interview event that could not be used."),
}
ID_KEY = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$",
    "description": "The interview id (UTF-8); equals ce_subject and ce_partitionkey on events.",
}
JSON_HEADERS = {
    "type": "object",
    "properties": {"content-type": {"const": "application/json", "type": "string"}},
}
_DLQ_NUMBER = {"type": "string", "pattern": "^[0-9]+$"}


def _dlq_header(name: str, description: str) -> dict[str, Any]:
    if name == "kind":
        return {"type": "string", "enum": list(dlq.KINDS), "description": description}
    return {**(_DLQ_NUMBER if name in dlq.NUMERIC else {"type": "string"}), "description": description}


DLQ_HEADERS = {
    "type": "object",
    "description": "The original record's headers (ce_* when it had them, any dlq_* removed), plus "
    "the dlq_* headers of the decision service (schemas/dlq.py).",
    "properties": {f"dlq_{n}": _dlq_header(n, d) for n, d in dlq.HEADER_DESCRIPTIONS.items()},
    "required": [f"dlq_{n}" for n in dlq.HEADER_DESCRIPTIONS],
    "additionalProperties": {"type": "string"},
}


def event_models(topic: str) -> tuple[type[Any], ...]:
    """The data models of the CloudEvents types carried by a topic."""
    source = SAME_MESSAGES_AS.get(topic, topic)
    return tuple(et.model for et in REGISTRY.values() if et.topic == source)


def contract_broker() -> KafkaBroker:
    """A broker on which every topic of the contract is declared, for FastStream's AsyncAPI."""
    broker = KafkaBroker(
        SERVER,
        description="Any Kafka 4.x cluster (KAFKA_BOOTSTRAP_SERVERS); the local default "
        "broker listens on a free port.",
    )
    for topic, description in CHANNELS.items():
        if topic != "interview.commands":  # the one topic our services read but do not write
            broker.publisher(topic, title=topic, description=description, schema=_payload(topic))

    @broker.subscriber(
        "interview.commands", title="interview.commands", description=CHANNELS["interview.commands"]
    )
    async def interview_service(command: CommandEnvelope) -> None:
        """The interview service decides each command and appends its events."""

    return broker


def _payload(topic: str) -> Any:
    """The value type of a topic: the union of its event data models, or a plain value type."""
    plain: dict[str, Any] = {
        "interview.command-results": CommandResult,
        "interview.events.dlq": bytes,
        "privacy.keys": WrappedDataKey,
    }
    return plain.get(topic) or functools.reduce(operator.or_, event_models(topic))


def asyncapi_document(envelope: dict[str, Any]) -> dict[str, Any]:
    """The AsyncAPI 3.0 document: FastStream's, plus what FastStream cannot express."""
    spec = AsyncAPI(
        contract_broker(),
        schema_version="3.0.0",
        title="hiring-pipeline event contract",
        version="1.0.0",
        description="Topics, messages, headers and keys of hiring-pipeline. Events are CloudEvents 1.0 "
        "in Kafka binary mode; see schemas/README.md for the canonical form and the hash chain.",
    ).to_specification()
    doc: dict[str, Any] = spec.to_jsonable()
    schemas = doc["components"]["schemas"]
    schemas["CloudEventsKafkaHeaders"] = kafka_headers(envelope)
    messages: dict[str, Any] = {}
    for channel in doc["channels"].values():
        channel["messages"] = _channel_messages(channel, doc["components"], messages)
        _topic_configuration(channel)
    doc["components"]["messages"] = messages
    _add_decision_service(doc)
    for operation in doc["operations"].values():
        channel_key = operation["channel"]["$ref"].rsplit("/", 1)[1]
        names = doc["channels"][channel_key]["messages"]
        operation["messages"] = [_ref("channels", channel_key, "messages", name) for name in names]
    return doc


def kafka_headers(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope schema keyed by Kafka header name (binary mode)."""
    props = {
        prop["x-kafka-header"]: {k: v for k, v in prop.items() if k != "x-kafka-header"}
        for prop in envelope["properties"].values()
    }
    required = list(props)
    props[HASH_HEADER] = {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$",
        "description": "SHA-256 of this record's canonical form (its chain hash), written with the record "
        "by its producer so the next processor need not recompute it; not a CloudEvents attribute and not "
        "part of the hash; absent on records written before it existed; verifiers recompute it.",
    }
    return {
        "type": "object",
        "title": "CloudEventsKafkaHeaders",
        "description": envelope["description"],
        "properties": props,
        "required": required,
    }


def _channel_messages(
    channel: dict[str, Any], components: dict[str, Any], messages: dict[str, Any]
) -> dict[str, Any]:
    """Replace FastStream's one message per channel by named messages with headers and key."""
    topic = channel["address"]
    (faststream_ref,) = channel["messages"].values()
    original = components["messages"].pop(faststream_ref["$ref"].rsplit("/", 1)[1])
    if topic in OTHER_MESSAGES:
        name, payload_name, summary = OTHER_MESSAGES[topic]
        payload = _rename_schema(components["schemas"], original["payload"]["$ref"], payload_name)
        messages[name] = _other_message(name, topic, summary, payload)
        return {name: _ref("components", "messages", name)}
    types = [et for et in REGISTRY.values() if et.model in event_models(topic)]
    payload_name = original["payload"]["$ref"].rsplit("/", 1)[1]
    if payload_name not in {et.model.__name__ for et in types}:
        del components["schemas"][payload_name]  # FastStream's union of the topic's types
    messages.update({et.name: _event_message(et) for et in types})
    return {et.name: _ref("components", "messages", et.name) for et in types}


def _event_message(et: EventType) -> dict[str, Any]:
    own_headers = {"ce_type": {"const": et.name}, "ce_dataschema": {"const": et.dataschema}}
    return {
        "name": et.name,
        "title": et.model.__name__,
        "summary": (et.model.__doc__ or "").strip().split("\n")[0],
        "contentType": "application/json",
        "headers": {
            "allOf": [
                _ref("components", "schemas", "CloudEventsKafkaHeaders"),
                {"type": "object", "properties": own_headers},
            ]
        },
        "payload": _ref("components", "schemas", et.model.__name__),
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {"kafka": {"key": ID_KEY, "bindingVersion": KAFKA_BINDING}},
        "description": f"Data: JSON Schema schemas/json/{et.name}.json ($id {et.dataschema}).",
    }


def _other_message(name: str, topic: str, summary: str, payload: dict[str, Any]) -> dict[str, Any]:
    dead = topic == "interview.events.dlq"
    message = {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": "application/octet-stream" if dead else "application/json",
        "headers": DLQ_HEADERS if dead else JSON_HEADERS,
        "payload": payload,
        "bindings": {"kafka": {"key": ID_KEY, "bindingVersion": KAFKA_BINDING}},
    }
    if not dead:
        message["correlationId"] = {"location": "$message.payload#/correlation_id"}
    return message


def _rename_schema(schemas: dict[str, Any], ref: str, new: str) -> dict[str, str]:
    old = ref.rsplit("/", 1)[1]
    if old != new:
        schemas[new] = {**schemas.pop(old), "title": new}
    if new == "DeadLetterValue":
        schemas[new]["description"] = (
            "The original record value, byte for byte (it may not be JSON); absent on a release record."
        )
    return _ref("components", "schemas", new)


def _topic_configuration(channel: dict[str, Any]) -> None:
    spec = BY_NAME[channel["address"]]
    config: dict[str, Any] = {"cleanup.policy": spec.config["cleanup.policy"].split(",")}
    for name in ("retention.ms", "retention.bytes"):
        if name in spec.config:
            config[name] = int(spec.config[name])
    channel["bindings"]["kafka"]["topicConfiguration"] = config


def _add_decision_service(doc: dict[str, Any]) -> None:
    """FastStream keys operations by channel, so a second reader of a channel is added here."""
    doc["operations"]["decision-service.interview.events"] = {
        "action": "receive",
        "channel": _ref("channels", "interview.events"),
        "summary": "The decision service folds each interview's events into verdicts (read_committed).",
    }


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


# --- files ---------------------------------------------------------------------------------------


def render() -> dict[str, str]:
    """Every generated file: path relative to ``schemas/`` -> exact text."""
    files = {f"json/{et.name}.json": _json(data_schema(et)) for et in REGISTRY.values()}
    files[f"json/{ENVELOPE_FILE}"] = _json(envelope_schema())
    for file_name, model in COMMAND_FILES.items():
        files[f"json/{file_name}"] = _json(command_schema(file_name, model))
    files["asyncapi.yaml"] = _yaml(asyncapi_document(envelope_schema()))
    return files


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _NoAliasDumper(yaml.SafeDumper):
    """Writes a shared sub-document in full each time: no ``&id001`` anchors in the contract."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _yaml(value: Any) -> str:
    return yaml.dump(
        value, Dumper=_NoAliasDumper, sort_keys=True, allow_unicode=True, width=100, default_flow_style=False
    )


def drift(root: Path = ROOT, files: dict[str, str] | None = None) -> list[str]:
    """Files under ``root`` that differ from what the models generate now (or should not exist)."""
    files = render() if files is None else files
    drifted = [name for name, text in files.items() if _read(root / name) != text]
    drifted += [f"{name} (stale: no model generates it)" for name in _stale(root, files)]
    return sorted(drifted)


def _stale(root: Path, files: dict[str, str]) -> list[str]:
    return [f"json/{p.name}" for p in sorted((root / "json").glob("*.json")) if f"json/{p.name}" not in files]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def write(root: Path = ROOT) -> list[str]:
    """Write every generated file and remove stale schema files; return the paths changed."""
    files = render()
    changed = drift(root, files)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    for name in _stale(root, files):
        (root / name).unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: write, or with ``--check`` report drift with a non-zero exit."""
    parser = argparse.ArgumentParser(prog="python -m schemas.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if any file drifted")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder to write into (default: schemas/)")
    args = parser.parse_args(argv)
    if args.check:
        drifted = drift(args.root)
        for name in drifted:
            print(f"drifted: schemas/{name}", file=sys.stderr)
        if drifted:
            print("run `python -m schemas.generate` and commit the result", file=sys.stderr)
        return 1 if drifted else 0
    for name in write(args.root):
        print(f"wrote schemas/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
