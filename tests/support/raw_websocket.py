"""A WebSocket client on a plain socket, for tests that need to control when it reads: one
that stops reading (a slow consumer), or that drops its connection without a close frame."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time


class RawWebSocket:
    def __init__(self, port: int, path: str, *, receive_buffer: int | None = None) -> None:
        self.sock = socket.socket()
        if receive_buffer is not None:  # before connect, so that the window is small from the start
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self._data = b""
        while b"\r\n\r\n" not in self._data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self._data += chunk
        head, self._data = self._data.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.decode(errors="replace"))

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        size = len(payload)
        head = bytes((0x81,)) + (bytes((0x80 | size,)) if size < 126 else bytes((0x80 | 126,)) + struct.pack("!H", size))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def read_frames(self, timeout: float = 30.0) -> tuple[list[str], int | None]:
        """Every text frame until the server's close frame (or the connection's end), and its code."""
        deadline = time.monotonic() + timeout
        texts: list[str] = []
        while time.monotonic() < deadline:
            frame = self._frame(deadline)
            if frame is None:
                return texts, None
            opcode, payload = frame
            if opcode == 0x8:
                return texts, struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            if opcode == 0x1:
                texts.append(payload.decode())
        raise TimeoutError("no close frame in time")

    def _frame(self, deadline: float) -> tuple[int, bytes] | None:
        header = self._take(2, deadline)
        if header is None:
            return None
        opcode, size = header[0] & 0x0F, header[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._take(2, deadline) or b"\0\0")[0]
        elif size == 127:
            size = struct.unpack("!Q", self._take(8, deadline) or b"\0" * 8)[0]
        payload = self._take(size, deadline)
        return None if payload is None else (opcode, payload)

    def _take(self, count: int, deadline: float) -> bytes | None:
        while len(self._data) < count:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 16)
            except (ConnectionResetError, TimeoutError):
                return None
            if not chunk:
                return None
            self._data += chunk
        taken, self._data = self._data[:count], self._data[count:]
        return taken

    def abort(self) -> None:
        """Drop the connection without a close frame (an RST), as a crashed client would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()
