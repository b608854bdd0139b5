"""Websocket text frames as the server writes them, and the scope extension offering that write.

Kept apart from ``trainpack.websocket_protocol`` (which builds on uvicorn) so the app can name
the extension without importing a server.
"""

from __future__ import annotations

import struct

WRITE_FRAMES_NOW = "trainpack.websocket.write_frames_now"
"""ASGI scope extension: a callable writing text frames (given their UTF-8 payloads, in order)
at once, in one write, returning ``False``, having written nothing, if it cannot."""

_FIN_TEXT = 0x81  # FIN bit set, opcode 1 (text); RSV bits clear: no extension touched the frame


def text_frame(data: bytes) -> bytes:
    """One unmasked, unfragmented text frame carrying ``data`` (RFC 6455, section 5.2)."""
    length = len(data)
    if length < 126:
        header = bytes((_FIN_TEXT, length))
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, length)
    return header + data
