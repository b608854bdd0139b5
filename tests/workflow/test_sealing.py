"""Sealing secret values (pure): round trips, several keys, and failures that quote nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.sealing import SecretBox, SecretKeyInvalidError, SecretUnreadableError, last_four, new_key

KEY, OTHER = new_key(), new_key()


@given(st.text(min_size=1, max_size=200))
def test_a_sealed_value_opens_to_itself_and_never_shows(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return  # refused before sealing (workflow.secrets)
    box = SecretBox([KEY])
    sealed = box.seal(value)
    assert box.open(sealed) == value
    if len(value) >= 4:
        assert value.encode() not in sealed


def test_the_first_key_seals_and_every_key_opens() -> None:
    old, both = SecretBox([OTHER]), SecretBox.from_setting(f"{KEY}, {OTHER}")
    assert both is not None
    assert both.open(old.seal("sealed under the old key")) == "sealed under the old key"
    resealed = both.reseal(old.seal("moved"))
    assert SecretBox([KEY]).open(resealed) == "moved"
    with pytest.raises(SecretUnreadableError):
        old.open(resealed)


def test_failures_quote_neither_value_nor_key() -> None:
    sealed = SecretBox([KEY]).seal("hf_do_not_print_me")
    with pytest.raises(SecretUnreadableError) as unreadable:
        SecretBox([OTHER]).open(sealed)
    assert "hf_do_not_print_me" not in str(unreadable.value)
    with pytest.raises(SecretKeyInvalidError) as malformed:
        SecretBox.from_setting(f"{KEY},not-a-key-but-a-password")
    assert "not-a-key-but-a-password" not in str(malformed.value) and "key 2" in str(malformed.value)
    assert SecretBox.from_setting(None) is None and SecretBox.from_setting(" , ") is None


def test_only_a_long_value_shows_its_last_four() -> None:
    assert last_four("hf_0123456789abcd") == "abcd"
    assert last_four("short-value") is None
