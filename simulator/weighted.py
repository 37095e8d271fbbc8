"""Fast weighted random choice, the inner loop of event generation."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class WeightedChoice(Generic[T]):
    """Picks items in proportion to their weights, with one random() call per pick.

    `random.choices` rebuilds its arguments on every call; generating a million events
    needs several million picks, so the cumulative table is built once.
    """

    __slots__ = ("_cumulative", "_items", "_last", "_total")

    def __init__(self, weighted: Iterable[tuple[T, float]]) -> None:
        pairs = [(item, weight) for item, weight in weighted if weight > 0]
        if not pairs:
            raise ValueError("WeightedChoice needs at least one positive weight")
        self._items: tuple[T, ...] = tuple(item for item, _ in pairs)
        self._cumulative: tuple[float, ...] = tuple(accumulate(weight for _, weight in pairs))
        self._total = self._cumulative[-1]
        self._last = len(self._items) - 1

    def pick(self, rng: random.Random) -> T:
        index = bisect_right(self._cumulative, rng.random() * self._total)
        # random() < 1, but the product can round up to the total itself.
        return self._items[min(index, self._last)]

    def items(self) -> tuple[T, ...]:
        """Every item that can be picked, in the order given."""
        return self._items
