"""The coalescer that lets a worker's concurrent jobs share their claim and outcome transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from workers.coalescing import Coalescer


async def test_requests_made_while_a_batch_runs_go_together_in_the_next_one() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def double(requests: Sequence[int]) -> list[int]:
        batches.append(list(requests))
        if len(batches) == 1:
            await release.wait()  # hold the first batch in flight
        return [request * 2 for request in requests]

    coalescer: Coalescer[int, int] = Coalescer(double)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)
    others = [asyncio.create_task(coalescer.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    assert await first == 2
    assert [await task for task in others] == [4, 6, 8]
    assert batches == [[1], [2, 3, 4]]


async def test_a_lone_request_runs_at_once_in_a_batch_of_its_own() -> None:
    batches: list[list[str]] = []

    async def echo(requests: Sequence[str]) -> list[str]:
        batches.append(list(requests))
        return list(requests)

    coalescer: Coalescer[str, str] = Coalescer(echo)
    assert await coalescer.submit("a") == "a"
    assert await coalescer.submit("b") == "b"
    assert batches == [["a"], ["b"]]


async def test_a_failing_batch_is_retried_one_by_one_so_only_the_bad_request_fails() -> None:
    calls: list[list[int]] = []

    async def reject_negative(requests: Sequence[int]) -> list[int]:
        calls.append(list(requests))
        if any(request < 0 for request in requests):
            raise ValueError("negative")
        return list(requests)

    coalescer: Coalescer[int, int] = Coalescer(reject_negative)
    tasks = [asyncio.create_task(coalescer.submit(n)) for n in (1, -1, 2)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], ValueError)
    assert calls == [[1, -1, 2], [1], [-1], [2]]


async def test_a_caller_gone_before_its_batch_runs_is_dropped_and_one_gone_during_it_is_handed_back() -> None:
    ran: list[list[int]] = []
    handed_back: list[int] = []
    gate = asyncio.Event()

    async def slow(requests: Sequence[int]) -> list[int]:
        ran.append(list(requests))
        await gate.wait()
        return [request * 10 for request in requests]

    async def abandoned(results: Sequence[int]) -> None:
        handed_back.extend(results)

    coalescer: Coalescer[int, int] = Coalescer(slow, abandoned=abandoned)
    first = asyncio.create_task(coalescer.submit(1))  # its batch starts and waits at the gate
    await asyncio.sleep(0)
    gone_early = asyncio.create_task(coalescer.submit(2))  # queued behind it
    staying = asyncio.create_task(coalescer.submit(3))
    await asyncio.sleep(0)
    gone_early.cancel()
    first.cancel()  # leaves while its batch runs
    await asyncio.sleep(0)
    gate.set()
    assert await staying == 30
    for task in (first, gone_early):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert ran == [[1], [3]]  # 2 never ran
    assert handed_back == [10]  # 1 ran for nobody: its result is handed back


async def test_a_batch_with_the_wrong_number_of_results_fails_its_callers_instead_of_hanging() -> None:
    async def short(requests: Sequence[int]) -> list[int]:
        return list(requests)[:-1]

    coalescer: Coalescer[int, int] = Coalescer(short)
    with pytest.raises(RuntimeError, match="gave 0 results"):
        await asyncio.wait_for(coalescer.submit(1), 2)


async def test_with_an_alone_path_a_failed_batch_even_of_one_is_retried_there_and_its_errors_reach_the_caller() -> None:
    batched: list[list[int]] = []
    alone: list[int] = []

    async def impatient(requests: Sequence[int]) -> list[int]:
        batched.append(list(requests))
        if 0 in requests:
            raise TimeoutError("lock wait")  # say, a row lock held past the batch's limit
        return list(requests)

    async def patient(request: int) -> int:
        alone.append(request)
        if request < 0:
            raise ValueError("bad request")
        return request + 100

    coalescer: Coalescer[int, int] = Coalescer(impatient, alone=patient)
    assert await coalescer.submit(0) == 100  # a lone request whose batch failed
    tasks = [asyncio.create_task(coalescer.submit(n)) for n in (1, 0, -1)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[:2] == [101, 100] and isinstance(results[2], ValueError)
    assert await coalescer.submit(5) == 5  # batches still take the fast path
    assert batched == [[0], [1, 0, -1], [5]]
    assert alone == [0, 1, 0, -1]
