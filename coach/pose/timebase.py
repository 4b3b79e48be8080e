"""Windows in seconds over a stream of frames whose rate is only known by watching it.

The engine keeps a few "last N seconds of samples" windows (the upright back, the side and
leg votes). A window of 45 frames is 3 s from a 15 fps webcam and 1.5 s from a 30 fps one;
these turn each window's seconds into a sample count for the rate the timestamps show, so the
same movement gives the same verdicts at 15, 25 or 30 fps (SPEC: durations are seconds).
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

ASSUMED_FPS = 15.0  # until two frames have been seen; the sample clips' and a slow webcam's rate
MAX_FPS = 120.0  # faster than any webcam this runs on


class FrameRate:
    """The stream's frame rate from the median of its recent frame intervals."""

    def __init__(self, history: int = 31) -> None:
        self._intervals: deque[float] = deque(maxlen=history)
        self._last: float | None = None
        self.fps = ASSUMED_FPS

    def update(self, t: float) -> None:
        if self._last is not None and t > self._last:
            self._intervals.append(t - self._last)
            # The median: one dropped frame or a stall does not move it.
            # Capped: a damaged file whose clock stalls (times nudged 1 ms apart) must not
            # make a 3 s window thousands of frames long.
            self.fps = min(MAX_FPS, 1.0 / statistics.median(self._intervals))
        self._last = t

    def samples(self, seconds: float) -> int:
        """How many frames ``seconds`` of this stream holds (at least one)."""
        return max(1, round(seconds * self.fps))


class SampleWindow(Generic[T]):
    """The samples of the last ``seconds`` of frames (oldest dropped first)."""

    def __init__(self, seconds: float, rate: FrameRate) -> None:
        self.seconds = seconds
        self._rate = rate
        self._items: deque[T] = deque(maxlen=rate.samples(seconds))

    def append(self, item: T) -> None:
        size = self._rate.samples(self.seconds)
        if size != self._items.maxlen:
            self._items = deque(self._items, maxlen=size)
        self._items.append(item)

    def filled(self, seconds: float) -> bool:
        """Holds at least ``seconds`` worth of samples."""
        return len(self._items) >= self._rate.samples(seconds)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)
