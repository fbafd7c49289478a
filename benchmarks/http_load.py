"""A minimal keep-alive HTTP/1.1 client for load generation.

httpx costs the load generator more CPU than the server it measures on these two cores (its pool slows
down as connections grow), so the benchmarks send requests with this: pre-encoded request bytes on
pooled asyncio streams, status line and ``Content-Length`` body read back, nothing else parsed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class HttpLoad:
    """Pooled HTTP/1.1 connections to one server, at most ``connections`` open at once."""

    def __init__(
        self, base: str, connections: int = 512, timeout: float = 60, headers: dict[str, str] | None = None
    ) -> None:
        parts = urlsplit(base)
        self.headers = dict(headers or {})  # sent with every request, e.g. Authorization
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(connections)

    def encode(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """The request's bytes (JSON body when given)."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{name}: {value}" for name, value in (self.headers | (headers or {})).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    async def send(self, request: bytes) -> int:
        """Send pre-encoded ``request``; the response's status code (its body is read and dropped)."""
        async with self._slots:
            while self._idle:  # a kept-alive connection the server may have closed meanwhile
                reader, writer = self._idle.pop()
                try:
                    return await self._on(reader, writer, request)
                except (ConnectionError, asyncio.IncompleteReadError):
                    continue
            reader, writer = await asyncio.open_connection(self.host, self.port)
            return await self._on(reader, writer, request)

    async def _on(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
        try:
            status = await asyncio.wait_for(self._exchange(reader, writer, request), self.timeout)
        except BaseException:
            writer.close()
            raise
        self._idle.append((reader, writer))
        return status

    @staticmethod
    async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
        writer.write(request)
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        return int(status_line.split()[1])

    async def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()
