"""uvicorn's HTTP/1.1 parser, answering a request it cannot parse with problem+json instead of text.

A request line or header block that is not HTTP/1.1 (RFC 9112) never reaches the ASGI app: uvicorn's
protocol answers it itself, by default ``400 text/plain "Invalid HTTP request received."``. These
subclasses override only that answer (``send_400_response``, the one method both of uvicorn's
parsers call for it) with the same status as an ``application/problem+json`` body of code
``bad_request``. What stays outside the app and plain: a connection the parser drops without an answer
(a closed socket, a TLS handshake on the plain port), and uvicorn's own 500 when an app raises after
its response started (ours never raise before: every error is a problem, ``http_limits``).
"""

from __future__ import annotations

import asyncio
import functools
import json

from uvicorn.protocols.http.h11_impl import H11Protocol

from services.platform.problems import MEDIA_TYPE, problem_body

DETAIL = "the request is not valid HTTP/1.1 (RFC 9112): its request line or headers could not be parsed"


def malformed_answer(default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The whole ``400`` response to a request that could not be parsed (the connection then closes)."""
    body = json.dumps(problem_body(400, "bad_request", DETAIL)).encode()
    lines = [b"HTTP/1.1 400 Bad Request"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [b"content-type: " + MEDIA_TYPE.encode(), b"content-length: " + str(len(body)).encode()]
    lines += [b"connection: close", b"", body]
    return b"\r\n".join(lines)


class ProblemH11(H11Protocol):
    """uvicorn's h11 protocol (the fallback parser) with a problem+json answer to malformed HTTP."""

    def send_400_response(self, msg: str) -> None:
        """Write the problem and close (h11's state machine is done with this connection)."""
        self.transport.write(malformed_answer(self.server_state.default_headers))
        self.transport.close()


@functools.cache
def http_protocol() -> type[asyncio.Protocol]:
    """The httptools protocol with our 400 when httptools is installed (uvicorn's choice too), else h11's."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
        return ProblemH11

    class ProblemHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol with a problem+json answer to malformed HTTP."""

        def send_400_response(self, msg: str) -> None:
            """Write the problem and close (the parser cannot resync within this connection)."""
            self.transport.write(malformed_answer(self.server_state.default_headers))
            self.transport.close()

    return ProblemHttpTools
