"""Issue 3 (b): the cost of recording events on the autosave hot path.

The same autosave load as (a) against the real app twice, side by side in alternating
rounds (more of them than (a): the difference measured is a few per cent, less than the
noise between two rounds): once as shipped (each save appends its events, whose insert
trigger notifies the live hubs at commit), once with event recording switched off in that
server process (``bench.serve_app system-no-events``). Ratio = with / without (medians),
target ≥ 0.9. Neither server has subscribers, so neither listens for the notifications.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from bench.autosave import CLIENTS, Round, Side, _create_drafts, _drive, _save_system
from bench.support import Measurement, Profile, ServedApp, issue_actor, median, served

TARGET = 0.9


async def _measure(
    with_events: ServedApp, without_events: ServedApp, database_url: str, profile: Profile
) -> Measurement:
    secret, _ = await issue_actor(database_url, "bench-emission")
    sides = (Side("with events", with_events, _save_system), Side("without events", without_events, _save_system))
    drafts = {side.name: await _create_drafts(side.app.base_url, secret, CLIENTS) for side in sides}
    for side in sides:
        await _drive(side, secret, drafts[side.name], profile.warmup_seconds)
    rounds: dict[str, list[Round]] = {side.name: [] for side in sides}
    for round_number in range(profile.small_effect_rounds):
        for side in sides if round_number % 2 == 0 else tuple(reversed(sides)):
            result = await _drive(side, secret, drafts[side.name], profile.autosave_seconds)
            rounds[side.name].append(result)
            print(f"  round {round_number + 1} {side.name:15} {result.saves_per_second:7.1f} saves/s", flush=True)
    rates = {name: median([r.saves_per_second for r in results]) for name, results in rounds.items()}
    ratio = rates["with events"] / rates["without events"]
    return Measurement(
        name="(e) autosave with events",
        summary=f"with events {rates['with events']:.1f}/s, without {rates['without events']:.1f}/s",
        ratio=ratio,
        target=f"with/without >= {TARGET}",
        passed=ratio >= TARGET,
        details={
            "saves_per_second_median": rates,
            "rounds": {name: [asdict(r) for r in results] for name, results in rounds.items()},
        },
    )


def run(database_url: str, profile: Profile) -> Measurement:
    """Serve the app with and without event recording and compare their autosave rates."""
    with served("system", database_url) as with_events, served("system-no-events", database_url) as without:
        return asyncio.run(_measure(with_events, without, database_url, profile))
