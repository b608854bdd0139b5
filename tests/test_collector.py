"""The serving process's collector settings: startup objects frozen, collections made rarer."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from trainpack.collector import MIDDLE_THRESHOLD, OLD_THRESHOLD, YOUNG_THRESHOLD, settle_for_serving


class Node:
    """An object that can sit in a reference cycle and be watched through a weak reference."""

    partner: Node | None = None


@pytest.fixture(autouse=True)
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    gc.disable()  # no automatic collection may free the test's garbage before settling does
    yield
    gc.enable()
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_exists_and_raises_the_thresholds() -> None:
    existing = Node()
    settle_for_serving()
    later = Node()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    assert gc.get_freeze_count() > 0
    assert not any(obj is existing for obj in gc.get_objects())  # out of the collector's reach
    assert any(obj is later for obj in gc.get_objects(generation=0))  # still the collector's


def test_garbage_that_exists_when_settling_is_collected_not_frozen() -> None:
    first, second = Node(), Node()
    first.partner, second.partner = second, first  # a cycle only the collector can free
    watched = weakref.ref(first)
    del first, second
    settle_for_serving()
    assert watched() is None
