"""The frames the websocket protocol writes itself are the ones the websockets library would write."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from trainpack.frames import text_frame


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_a_text_frame_is_byte_for_byte_the_librarys(length: int) -> None:
    data = bytes(index % 251 for index in range(length))  # every length form of the header
    assert text_frame(data) == Frame(Opcode.TEXT, data).serialize(mask=False, extensions=[])
