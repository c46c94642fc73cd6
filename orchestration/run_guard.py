"""What keeps `threatgraph run` safe to stop, kill and start twice.

- `warehouse_run_lock`: one run per warehouse at a time. A second run waits for the first
  (saying so) instead of interleaving its steps with it; the lock dies with its process, so a
  killed run never leaves it behind.
- `release_abandoned_runs`: with a persistent Dagster instance (DAGSTER_HOME), a run killed
  mid-step stays STARTED and keeps its slot of the one-writer pool, and every later run would
  wait for that slot forever. Holding the warehouse lock proves no other CLI run is alive, so
  the CLI's own unfinished runs are marked failed and their slots freed.
- `InterruptWatch`: Dagster captures SIGINT/SIGTERM while it executes and forgets them when the
  run ends; the watch sees every such signal (the interpreter's wakeup fd), so the runner stops
  at the next run boundary instead of going on to publish.
"""
from __future__ import annotations

import fcntl
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

LAUNCHER_TAG = "threatgraph/launcher"
CLI_LAUNCHER = "cli"
RUN_LOCK_NAME = ".run.lock"
UNFINISHED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
              dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.CANCELING]


@contextmanager
def warehouse_run_lock(warehouse: Path, say: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the warehouse's run lock for the block; wait (and say so) while another run holds it."""
    warehouse.mkdir(parents=True, exist_ok=True)
    path = warehouse / RUN_LOCK_NAME
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            say(f"another threatgraph run (pid {holder}) is working on {warehouse}; waiting for it to finish ...")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def release_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark the CLI's unfinished runs failed and free their pool slots; returns their ids.

    Call only while holding the warehouse run lock: then none of those runs is alive."""
    runs = instance.get_runs(dg.RunsFilter(statuses=UNFINISHED, tags={LAUNCHER_TAG: CLI_LAUNCHER}))
    for run in runs:
        instance.report_run_failed(run, message="abandoned: the threatgraph run that started it was killed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return [run.run_id for run in runs]


INTERRUPT_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
_active_watch: InterruptWatch | None = None


def interrupt_received() -> bool:
    """Whether this process was sent SIGINT or SIGTERM during its run: through the runner's watch
    when one is active (`threatgraph run`), else through Dagster's own record of it (a run launched
    by Dagster). Dagster forgets what it recorded once a step raised it, so the watch comes first."""
    if _active_watch is not None and _active_watch.received() is not None:
        return True
    from dagster._utils.interrupts import check_captured_interrupt  # no public API for it

    return check_captured_interrupt()


class InterruptWatch:
    """Records SIGINT and SIGTERM whoever handles them, through the interpreter's wakeup fd.

    Outside Dagster's execution both signals only set the flag (the runner then stops at the
    next boundary); inside it, Dagster's own handlers apply as usual."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._signals: list[int] = []
        self._previous_fd: int | None = None
        self._previous_handlers: dict[int, object] = {}

    def __enter__(self) -> InterruptWatch:
        global _active_watch
        _active_watch = self
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for sig in INTERRUPT_EXIT_CODES:
            self._previous_handlers[sig] = signal.signal(sig, lambda signo, frame: None)  # the wakeup fd records it
        return self

    def __exit__(self, *exc) -> None:
        global _active_watch
        _active_watch = None
        self.received()  # drain
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd if self._previous_fd is not None else -1)
        os.close(self._read)
        os.close(self._write)

    def received(self) -> int | None:
        """The first SIGINT or SIGTERM received so far, or None."""
        try:
            while data := os.read(self._read, 512):
                self._signals += [b for b in data if b in INTERRUPT_EXIT_CODES]
        except BlockingIOError:
            pass
        return self._signals[0] if self._signals else None

    def exit_code(self) -> int | None:
        sig = self.received()
        return None if sig is None else INTERRUPT_EXIT_CODES[signal.Signals(sig)]
