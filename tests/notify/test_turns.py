"""``Turns``: one caller at a time per key, and nothing kept for a key nobody uses."""

from __future__ import annotations

import asyncio

from precedent.notify.turns import Turns


async def test_callers_of_one_key_take_turns_and_the_key_is_forgotten_after_the_last() -> None:
    turns = Turns()
    inside: list[str] = []
    overlapped = False
    release = asyncio.Event()

    async def use(name: str) -> None:
        nonlocal overlapped
        async with turns.of("inc-1"):
            overlapped = overlapped or bool(inside)
            inside.append(name)
            await release.wait()
            inside.remove(name)

    tasks = [asyncio.create_task(use(name)) for name in ("first", "second", "third")]
    await asyncio.sleep(0)
    assert (inside, len(turns)) == (["first"], 1)  # the two waiting keep the key
    release.set()
    await asyncio.gather(*tasks)
    assert not overlapped
    assert len(turns) == 0
