"""Estimate facts for rule and state-machine tests: a verdict per flavour, in GiB and USD."""

from __future__ import annotations

from collections.abc import Mapping

from workflow.facts import EstimateFacts, FlavourFit


def estimate_facts(
    fits: Mapping[str, bool], *, usd: Mapping[str, float] | None = None, peak_gib: float = 20.0
) -> EstimateFacts:
    """An estimate needing ``peak_gib`` per GPU where the flavours that fit have room and the others do
    not; the recommended flavour is the cheapest that fits."""
    prices = usd or {}
    flavours = {
        name: FlavourFit(
            fits=ok,
            peak_gib=peak_gib,
            memory_gib=peak_gib * (1.5 if ok else 0.75),
            usd=prices.get(name, 1.0),
            hours=1.0,
            reason=None if ok else "too small",
        )
        for name, ok in fits.items()
    }
    fitting = [name for name, ok in fits.items() if ok]
    recommended = min(fitting, key=lambda name: (prices.get(name, 1.0), name)) if fitting else None
    return EstimateFacts(flavours, recommended, "estimate:test")
