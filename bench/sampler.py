"""Resident memory of the process tree (this process and every descendant, the JVM included).

A background thread samples with psutil every `interval` seconds and keeps the
timeline, so the peak of any time span (a Dagster step, a subprocess) can be
read afterwards: `peak(t0, t1)`. Times are `time.time()` (Dagster event times).
"""
from __future__ import annotations

import os
import threading
import time

import psutil


class RssSampler:
    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.proc = psutil.Process(os.getpid())
        # (time, rss of this process, rss of all descendants)
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def sample(self) -> tuple[float, int, int]:
        own = self.proc.memory_info().rss
        kids = 0
        for child in self.proc.children(recursive=True):
            try:
                kids += child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        s = (time.time(), own, kids)
        self.samples.append(s)
        return s

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # a child vanished mid-call: skip this sample
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _span(self, t0: float, t1: float) -> list[tuple[float, int, int]]:
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if not inside:  # span shorter than the interval: the nearest sample
            nearest = min(self.samples, key=lambda s: abs(s[0] - (t0 + t1) / 2), default=None)
            inside = [nearest] if nearest else []
        return inside

    def peak(self, t0: float, t1: float) -> int:
        """Peak RSS in bytes of the whole tree (this process + descendants) during [t0, t1]."""
        return max((own + kids for _, own, kids in self._span(t0, t1)), default=0)

    def peak_children(self, t0: float, t1: float) -> int:
        """Peak RSS of the descendants only (e.g. a tool run as a subprocess)."""
        return max((kids for _, _, kids in self._span(t0, t1)), default=0)

    def peak_self(self, t0: float, t1: float) -> int:
        return max((own for _, own, _ in self._span(t0, t1)), default=0)


def mib(n: int | float) -> float:
    return round(n / 2**20, 1)
