"""MLLP framing (HL7 v2 over TCP): \\x0b message \\x1c\\x0d, as the listener and the sender use it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

START, END = b"\x0b", b"\x1c\x0d"
MAX_MESSAGE = 1_000_000  # bytes: a larger frame is not an order message


def frames(read: Callable[[], bytes], first: bytes = b"") -> Iterator[bytes]:
    """MLLP frames from a byte stream; bytes outside frames are skipped."""
    buffer = first
    while True:
        start = buffer.find(START)
        end = buffer.find(END, start + 1) if start >= 0 else -1
        if start >= 0 and end >= 0:
            yield buffer[start + 1 : end]
            buffer = buffer[end + len(END) :]
            continue
        if len(buffer) > MAX_MESSAGE:
            raise ValueError("MLLP frame too large")
        chunk = read()
        if not chunk:
            return
        buffer += chunk


def exchange(host: str, port: int, message: str, timeout: float = 10.0) -> str:
    """Send one message and return the answer; OSError when the receiver cannot be reached."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(START + message.encode("utf-8") + END)
        for reply in frames(lambda: conn.recv(65536)):
            return reply.decode("utf-8")
    raise ConnectionError("the receiver closed the connection without an answer")
