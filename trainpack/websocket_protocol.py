"""uvicorn's websocket protocol, able to write a text frame at once, from outside any send.

Live events fan one small text frame out to every subscriber. Over ASGI each frame is a
``send`` awaited in the subscriber's own task, through the websockets library's framing. This
protocol offers the app, as the ASGI scope extension ``trainpack.frames.WRITE_TEXT_NOW``, a
synchronous write: a callable taking the text and returning ``False``, having written nothing,
whenever the frame cannot go out at once (the socket is closing, or its write buffer is over
the high-water mark). The event hub uses it to write an event to the sockets of subscribers
that wait for it in one loop, as a broadcast would, without waking a task per subscriber; on
``False`` the event goes the ordinary way, a ``websocket.send`` that waits for the socket or
reports it gone.

Server frames are never masked, and without a negotiated extension (compression is off by
default) a text frame is a short header before the UTF-8 payload, so the protocol writes it
to the transport itself (``trainpack.frames.text_frame``); with an extension, every frame and
this write are left to the library (the write is not offered). Everything else (handshake,
close, pings, flow control) is uvicorn's; this relies on the attributes of the pinned uvicorn
version, and the tests run every websocket through it.
"""

from __future__ import annotations

from typing import Any

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from trainpack.frames import WRITE_TEXT_NOW, text_frame


class FrameWritingProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websockets protocol; text frames are written without the library's framing."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        # Offered on an accepted upgrade without extensions: a compressed connection's frames
        # are the library's to write, and the app need not prepare any for this write.
        if scope is not None and not self.conn.extensions:
            scope["extensions"][WRITE_TEXT_NOW] = self.write_text_now

    def write_text_now(self, text: str) -> bool:
        """Write one text frame at once if the socket can take it; ``False`` (nothing written) if not."""
        if not self._plain_frames_open() or not self.writable.is_set():
            return False
        self.transport.write(text_frame(text.encode()))
        return True

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] == "websocket.send" and self._plain_frames_open():
            text = message.get("text")
            if text is not None:
                await self.writable.wait()  # flow control, as uvicorn's own send
                if self._plain_frames_open():  # still, after waiting
                    self.transport.write(text_frame(text.encode()))
                    return
        await super().send(message)  # everything else, and a socket that closed meanwhile

    def _plain_frames_open(self) -> bool:
        """Open for data, with no extension (compression) that would have to transform frames."""
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.initial_response is None
            and self.conn.state is State.OPEN
            and not self.conn.extensions
            and not self.transport.is_closing()
        )
