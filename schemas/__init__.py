"""The wire contract of hiring-pipeline: event models, registry, Kafka codec, hash chain.

Pure: pydantic models and functions, no I/O. Generated JSON Schema files and the AsyncAPI
document live beside this package (``schemas/json/``, ``schemas/asyncapi.yaml``).
"""

from schemas.chain import GENESIS_HASH, record_hash
from schemas.codec import ContractError, FieldProblem, KafkaRecord, decode, encode
from schemas.envelope import Attributes, Event
from schemas.registry import REGISTRY, EventType, build_event, type_for_model

__all__ = [
    "GENESIS_HASH",
    "REGISTRY",
    "Attributes",
    "ContractError",
    "Event",
    "EventType",
    "FieldProblem",
    "KafkaRecord",
    "build_event",
    "decode",
    "encode",
    "record_hash",
    "type_for_model",
]
