"""uvicorn's HTTP/1.1 parser, answering a request it cannot parse with problem+json instead of text.

A request line or header block that is not HTTP/1.1 (RFC 9112) never reaches the ASGI app: uvicorn's
protocol answers it itself, by default ``400 text/plain "Invalid HTTP request received."``. These
subclasses override only that answer (``send_400_response``, the one method both of uvicorn's
parsers call for it) with the same status as an ``application/problem+json`` body of code
``bad_request``; the httptools one also bounds the request head (431 ``headers_too_large``). What
stays outside the app and plain: a connection the parser drops without an answer
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
MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers together at most (URL and header bytes as parsed, and the reads that leave
the head incomplete): httptools sets no limit of its own and would buffer a header of any size; h11's
limit is 16 KiB (its 400)."""
HEAD_DETAIL = f"the request line and headers exceed {MAX_HEAD_BYTES} bytes"
LINGER_S = 1.0
"""How long a refused connection's further bytes are read and dropped before it closes."""


def malformed_answer(default_headers: list[tuple[bytes, bytes]], status: int = 400) -> bytes:
    """The whole response to a request that could not be parsed, ``400``, or ``431`` when its head is too
    large (the connection then closes)."""
    if status == 431:
        body = json.dumps(problem_body(431, "headers_too_large", HEAD_DETAIL)).encode()
    else:
        body = json.dumps(problem_body(400, "bad_request", DETAIL)).encode()
    reason = b"Request Header Fields Too Large" if status == 431 else b"Bad Request"
    lines = [b"HTTP/1.1 " + str(status).encode() + b" " + reason]
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
        """uvicorn's httptools protocol with a problem+json answer to malformed HTTP, and a bound on the
        request head (431 past ``MAX_HEAD_BYTES``: httptools would buffer a header of any size)."""

        _head_bytes = 0  # URL and header bytes parsed, of the current head
        _pending = 0  # bytes of reads that left the head incomplete (a header still arriving)
        _in_head = True
        _too_large = False
        _discarding = False

        def send_400_response(self, msg: str) -> None:
            """Write the problem and close (the parser cannot resync within this connection)."""
            if self._too_large:  # the parser stopped on our bound (``_count``)
                self._refuse_head()
                return
            self.transport.write(malformed_answer(self.server_state.default_headers))
            self.transport.close()

        def data_received(self, data: bytes) -> None:
            """Parse; a read that leaves the head incomplete counts against the bound too."""
            if self._discarding:
                return
            was_in_head = self._in_head
            super().data_received(data)
            if not (was_in_head and self._in_head) or self.transport.is_closing():
                return  # (a read that ended a head or a message holds no unparsed head bytes)
            self._pending += len(data)
            if self._pending > MAX_HEAD_BYTES:
                self._refuse_head()

        def _count(self, size: int) -> None:
            self._head_bytes += size
            if self._head_bytes > MAX_HEAD_BYTES:
                self._too_large = True
                raise ValueError(HEAD_DETAIL)  # the parser fails: ``send_400_response`` answers 431

        def on_url(self, url: bytes) -> None:
            """Count the URL, then parse it."""
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            """Count the header, then keep it."""
            self._count(len(name) + len(value))
            super().on_header(name, value)

        def _refuse_head(self) -> None:
            """Answer 431, then read and drop what the client still sends for ``LINGER_S`` before closing:
            closing with unread bytes would reset the connection and lose the answer on the way."""
            self.logger.warning("Request head too large.")
            self._discarding = True
            self.transport.write(malformed_answer(self.server_state.default_headers, 431))
            if self.transport.can_write_eof():
                self.transport.write_eof()
            asyncio.get_running_loop().call_later(LINGER_S, self.transport.close)

        def on_headers_complete(self) -> None:
            """The head is whole: the body is not counted."""
            self._in_head, self._head_bytes, self._pending = False, 0, 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            """The next request on this connection starts with its head."""
            self._in_head = True
            super().on_message_complete()

    return ProblemHttpTools
