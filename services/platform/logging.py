"""structlog JSON logs for every process (one line per event, ISO timestamps, bound context).

Libraries' lines (aiokafka, uvicorn) pass a ``RepeatFilter``: during a broker outage aiokafka logs each
failed connect, metadata update and fetch, thousands of lines a minute; one line per kind per interval,
carrying how many were held back, says the same.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

import structlog

from services.platform.tracing import add_trace_ids

REPEAT_INTERVAL_S = 10.0
"""At most one library line of a kind (logger, level, message template) per this many seconds."""


class RepeatFilter(logging.Filter):
    """Pass the first record of a kind, hold back its repeats for ``interval_s``, then pass the next one
    with ``repeated``: how many were held back since the last line of that kind."""

    def __init__(self, interval_s: float = REPEAT_INTERVAL_S, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.interval_s, self.clock = interval_s, clock
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}  # kind -> (last passed, held back)
        self._lock = threading.Lock()  # kafka-python's admin client logs from its own threads

    def filter(self, record: logging.LogRecord) -> bool:
        """True to emit ``record`` (with ``repeated`` set when earlier ones were held back)."""
        kind, now = (record.name, record.levelno, str(record.msg)), self.clock()
        with self._lock:
            last, held = self._kinds.get(kind, (None, 0))
            if last is not None and now - last < self.interval_s:
                self._kinds[kind] = (last, held + 1)
                return False
            self._kinds[kind] = (now, 0)
        if held:
            record.repeated = held
        return True


def configure_logging(
    level: str = "INFO", json: bool = True, repeat_interval_s: float = REPEAT_INTERVAL_S
) -> None:
    """Route structlog and stdlib logging to stderr, as JSON lines unless ``json`` is False."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    stamp: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *stamp,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries (aiokafka, uvicorn) log through the standard library: the same lines, same fields.
    foreign: list[structlog.types.Processor] = [*stamp, structlog.stdlib.add_logger_name]
    foreign.append(structlog.stdlib.ExtraAdder(allow=("repeated",)))
    foreign.append(structlog.processors.format_exc_info)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RepeatFilter(repeat_interval_s))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=foreign,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
