"""The shapes of the messages a websocket client may send, per protocol (what the handlers assume).

strawberry's handlers index into messages as their protocols define them; a message of another
shape (a payload that is a number, an id that is a list) would fail inside a handler and drop
the connection without a close code. Each check names the first problem, or ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping

_OPTIONAL_OBJECT = (dict, type(None))
_OPTIONAL_TEXT = (str, type(None))


def transport_message_problem(message: object) -> str | None:
    """What is wrong with a graphql-transport-ws message, if anything."""
    if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string `type`."
    kind = message["type"]
    if kind in ("connection_init", "ping", "pong"):
        return _payload_object(message, kind)
    if kind == "subscribe":
        return _identified(message) or _operation(message.get("payload"))
    if kind == "complete":
        return _identified(message)
    return None  # an unknown type: the handler closes with 4400 naming it


def legacy_message_problem(message: object) -> str | None:
    """What is wrong with a (legacy) graphql-ws message, if anything."""
    if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string `type`."
    kind = message["type"]
    if kind == "connection_init":
        return (
            None
            if isinstance(message.get("payload"), _OPTIONAL_OBJECT)
            else "A connection_init payload must be an object."
        )
    if kind == "start":
        return _identified(message) or _operation(message.get("payload"))
    if kind == "stop":
        return _identified(message)
    if kind == "connection_terminate":
        return None
    return f"Unknown message type: {kind}"


def _payload_object(message: Mapping[str, object], kind: str) -> str | None:
    return None if isinstance(message.get("payload"), _OPTIONAL_OBJECT) else f"A {kind} payload must be an object."


def _identified(message: Mapping[str, object]) -> str | None:
    identifier = message.get("id")
    return None if isinstance(identifier, str) and identifier else "An operation message needs a string `id`."


def _operation(payload: object) -> str | None:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("query"), str):
        return "An operation's payload must be an object with a string `query`."
    if not isinstance(payload.get("variables"), _OPTIONAL_OBJECT):
        return "An operation's `variables` must be an object."
    if not isinstance(payload.get("extensions"), _OPTIONAL_OBJECT):
        return "An operation's `extensions` must be an object."
    if not isinstance(payload.get("operationName"), _OPTIONAL_TEXT):
        return "An operation's `operationName` must be a string."
    return None
