"""The least-recently-used map behind the figure, table and aggregate caches."""

from __future__ import annotations

import threading

from common.lru import LRU


def test_adding_past_the_size_drops_the_least_recently_used_entry():
    lru: LRU[int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "a" is now the most recent
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    assert len(lru) == 2


def test_get_or_build_builds_once_and_keeps_the_result():
    lru: LRU[list[int]] = LRU(4)
    built = []
    first = lru.get_or_build("k", lambda: built.append(1) or [1])
    second = lru.get_or_build("k", lambda: built.append(1) or [2])
    assert first is second and built == [1]
    lru.clear()
    assert lru.get("k") is None


def test_threads_reading_and_evicting_at_once_never_fail():
    lru: LRU[int] = LRU(4)
    errors: list[BaseException] = []

    def churn(offset: int) -> None:
        try:
            for n in range(5_000):
                key = str((n + offset) % 7)
                lru.get_or_build(key, lambda n=n: n)
                lru.get(str((n * 3 + offset) % 7))
        except BaseException as exc:  # noqa: BLE001 - any failure in a thread is the finding
            errors.append(exc)

    threads = [threading.Thread(target=churn, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(lru) <= 4
