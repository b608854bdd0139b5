"""uvicorn's websocket protocol, able to write a text frame at once, from outside any send.

Live events fan one small text frame out to every subscriber. Over ASGI each frame is a
``send`` awaited in the subscriber's own task, through the websockets library's framing. This
protocol offers the app, as the ASGI scope extension ``trainpack.frames.WRITE_FRAMES_NOW``, a
synchronous write: a callable taking the UTF-8 payloads of one or more frames, writing them
in one go, and returning ``False``, having written nothing, whenever they cannot go out at
once (the socket is closing, or its write buffer is over the high-water mark). The event hub
uses it to write events to the sockets of subscribers that wait for them in one loop, as a
broadcast would, without waking a task per subscriber; on ``False`` the events go the
ordinary way, a ``websocket.send`` that waits for the socket or reports it gone.

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

from trainpack.frames import WRITE_FRAMES_NOW, text_frame


class FrameWritingProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websockets protocol; text frames are written without the library's framing."""

    _plain_frames = False  # accepted without extensions: frames are ours to write
    _write_paused = False  # the transport's buffer is over its high-water mark

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        # Offered on an accepted upgrade without extensions: a compressed connection's frames
        # are the library's to write, and the app need not prepare any for this write.
        if scope is not None and not self.conn.extensions:
            self._plain_frames = True
            scope["extensions"][WRITE_FRAMES_NOW] = self.write_frames_now

    def pause_writing(self) -> None:
        self._write_paused = True
        super().pause_writing()

    def resume_writing(self) -> None:
        self._write_paused = False
        super().resume_writing()

    def write_frames_now(self, payloads: list[bytes]) -> bool:
        """Write a text frame for each UTF-8 payload, in one write, at once if the socket can
        take them; ``False`` (nothing written) if not.

        Several events for one client go out in one write: one system call and one TCP segment
        instead of one each, which is what lets a backlog drain faster than it builds.
        """
        if self._write_paused or not self._open_for_plain_frames():
            return False
        self.transport.write(b"".join([text_frame(payload) for payload in payloads]))
        return True

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] == "websocket.send" and self._open_for_plain_frames():
            text = message.get("text")
            if text is not None:
                await self.writable.wait()  # flow control, as uvicorn's own send
                if self._open_for_plain_frames():  # still, after waiting
                    self.transport.write(text_frame(text.encode()))
                    return
        await super().send(message)  # everything else, and a socket that closed meanwhile

    def _open_for_plain_frames(self) -> bool:
        """Accepted without extensions, and neither side has begun to close.

        Every way uvicorn leaves the open state sets one of these: our close (``close_sent``),
        the peer's close or a failed keepalive (the transport closes), a lost connection
        (``disconnected``).
        """
        return (
            self._plain_frames
            and self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.initial_response is None
            and not self.transport.is_closing()
        )
