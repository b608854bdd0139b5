"""``python -m bench [--quick] [--only NAME …]``: run the benchmarks, print the table, write the JSON.

The exit code is 0 when every benchmark ran, whether or not it met its target (the
table says PASS or MISS); it is 1 when a benchmark could not run at all.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import traceback
from collections.abc import Callable

from bench import (
    autosave,
    bundle,
    delivery,
    downloads,
    emission,
    estimate,
    jobs,
    keyset,
    peer,
    peer_live,
    reads,
    roundtrips,
)
from bench.report import table, write_json
from bench.support import Measurement, Profile, bench_database

BENCHMARKS: dict[str, Callable[[str, Profile], Measurement]] = {
    "autosave": autosave.run,
    "roundtrips": roundtrips.run,
    "keyset": keyset.run,
    "emission": emission.run,
    "delivery": delivery.run,
    "jobs": jobs.run,
    "download": downloads.run,
    "estimate": estimate.run,
    "bundle": bundle.run,
    "reads": reads.run,
    "peer": peer.run,
    "peer-live": peer_live.run,
}
NO_DATABASE = frozenset({"estimate"})
"""Benchmarks of pure code: when only these run, no database is opened (they are given an empty URL)."""


def main() -> int:
    """Run the chosen benchmarks in one fresh database."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter rounds (about a minute in all)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these (repeatable)")
    args = parser.parse_args()
    profile = Profile(quick=args.quick)
    chosen = args.only or list(BENCHMARKS)
    measurements: list[Measurement] = []
    failures: dict[str, str] = {}
    began = time.perf_counter()
    needs_database = not set(chosen) <= NO_DATABASE
    with bench_database() if needs_database else contextlib.nullcontext("") as database_url:
        for name in chosen:
            print(f"== {name}", flush=True)
            started = time.perf_counter()
            try:
                measurement = BENCHMARKS[name](database_url, profile)
            except Exception as exc:  # report it and go on with the other benchmarks
                traceback.print_exc()
                failures[name] = f"{type(exc).__name__}: {exc}"
                continue
            measurements.append(measurement)
            print(f"  {measurement.summary}: ratio {measurement.ratio:.3f} -> {measurement.verdict}", flush=True)
            print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    seconds = time.perf_counter() - began
    print()
    print(table(measurements, failures))
    path = write_json(measurements, failures, quick=args.quick, seconds=seconds)
    print(f"\n{seconds:.0f} s in all; figures written to {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
