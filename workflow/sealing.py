"""Encryption of organisation secrets at rest (pure: no I/O), with ``cryptography``'s Fernet.

``TRAINPACK_SECRET_KEY`` holds one Fernet key, or several separated by commas: the first
encrypts, every one decrypts (``MultiFernet``), so a process can read values sealed under the
previous key while they are being re-encrypted. Nothing here ever puts a value, or a key, into
an exception message: callers log and show these messages.
"""

from __future__ import annotations

import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretKeyInvalidError(ValueError):
    """The configured key is not a Fernet key (32 url-safe base64-encoded bytes)."""


class SecretUnreadableError(Exception):
    """A stored value does not decrypt with any configured key (a wrong key, or a damaged value)."""


def new_key() -> str:
    """A fresh random key, in the form ``TRAINPACK_SECRET_KEY`` takes."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Seals values under the first key and opens them with any of the keys."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretKeyInvalidError("No secret key was given.")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, binascii.Error, UnicodeEncodeError):
                raise SecretKeyInvalidError(
                    f"Secret key {position} is not a Fernet key (32 url-safe base64-encoded bytes);"
                    " make one with `trainpack secrets generate-key`."
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, setting: str | None) -> SecretBox | None:
        """The box for a ``TRAINPACK_SECRET_KEY`` value; ``None`` when it is unset or blank."""
        keys = [key for key in (setting or "").split(",") if key.strip()]
        return cls(keys) if keys else None

    def seal(self, value: str) -> bytes:
        """The value encrypted and authenticated (a Fernet token, which also records when)."""
        return self._fernet.encrypt(value.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        """The value back; ``SecretUnreadableError`` when no key opens it."""
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError):
            raise SecretUnreadableError("A stored secret does not decrypt with the configured key.") from None

    def reseal(self, sealed: bytes) -> bytes:
        """The same value sealed under this box's first key (rotation)."""
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken:
            raise SecretUnreadableError("A stored secret does not decrypt with the old key.") from None


def last_four(value: str) -> str | None:
    """What clients are shown of a value: its last four characters, or nothing for a short value
    (of which four characters would be most of it)."""
    return value[-4:] if len(value) >= LAST_FOUR_MIN_LENGTH else None


LAST_FOUR_MIN_LENGTH = 12
