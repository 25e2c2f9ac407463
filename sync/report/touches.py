"""Every lead's campaign touches in flat columns: one *run* of sorted moments per lead and
campaign name, all runs' moments in one list.

A large report holds about a million touches of half a million (lead, campaign) pairs: as
columns they are read without a list and a dict per lead, and a period's question of every
pair ("a touch in ``[start, end)``?") is answered by bisection in C
(:meth:`CampaignTouches.in_window`).
Read as a mapping, :class:`CampaignTouches` is person → campaign name → moments, as the
report's functions also accept it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate, chain, repeat
from operator import gt


class CampaignTouches(Mapping[int, dict[str, list[float]]]):
    """Person → campaign name → the moments (epoch seconds, sorted) they engaged with it,
    kept as runs: run ``r`` is ``moments[start[r]:end[r]]``, of campaign ``name[r]``, of
    person ``person[r]``; a person's runs are consecutive, ``runs[person]`` (a range)."""

    __slots__ = ("end", "first", "moments", "name", "person", "runs", "start")

    def __init__(
        self,
        moments: list[float],
        name: list[str],
        lengths: Iterable[int],
        persons: list[int],
        counts: list[int],
    ) -> None:
        """Runs of ``lengths`` moments each, named ``name``; the first ``counts[0]`` runs
        are ``persons[0]``'s, and so on."""
        self.moments = moments
        self.name = name
        self.end = list(accumulate(lengths))
        self.start = [0, *self.end[:-1]] if self.end else []
        self.first = list(map(moments.__getitem__, self.start))
        """Per run: its earliest moment."""
        self.person = list(chain.from_iterable(map(repeat, persons, counts)))
        last = list(accumulate(counts))
        self.runs = dict(zip(persons, map(range, [0, *last[:-1]], last), strict=True))

    @classmethod
    def of(cls, touches: Mapping[int, Mapping[str, Sequence[float]]]) -> CampaignTouches:
        """``touches`` as columns (itself, if it already is)."""
        if isinstance(touches, CampaignTouches):
            return touches
        moments: list[float] = []
        names: list[str] = []
        lengths: list[int] = []
        for by_name in touches.values():
            for name, when in by_name.items():
                moments.extend(when)
                names.append(name)
                lengths.append(len(when))
        counts = [len(by_name) for by_name in touches.values()]
        return cls(moments, names, lengths, list(touches), counts)

    def __getitem__(self, person: int) -> dict[str, list[float]]:
        moments, start, end = self.moments, self.start, self.end
        return {self.name[r]: moments[start[r] : end[r]] for r in self.runs[person]}

    def __iter__(self) -> Iterator[int]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def before(self, moment: float) -> list[int]:
        """Per run: how many of its moments are before ``moment``."""
        return list(map(bisect_left, repeat(self.moments), repeat(moment), self.start, self.end))

    def in_window(self, start: float, end: float, cache: dict[float, list[int]]) -> list[bool]:
        """Per run: whether one of its moments is in ``[start, end)``; ``cache`` keeps
        :meth:`before` of each bound (adjacent windows share one)."""
        for bound in (start, end):
            if bound not in cache:
                cache[bound] = self.before(bound)
        return list(map(gt, cache[end], cache[start]))
