"""`threatgraph-dbt`: dbt, tied to the process that starts it.

dagster-dbt runs dbt as a child process. When the run is killed (SIGKILL, a lost container),
that child would live on and keep the warehouse's write lock, and the next run would fail on
the lock. Started through this entry point, dbt asks the kernel for SIGTERM when its parent
dies (Linux PR_SET_PDEATHSIG, kept across exec), so it ends with the run that started it.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def tie_to_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask for `sig` when the parent dies; False where the platform cannot (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def exec_tied(argv: list[str]) -> None:
    """Replace this process with `argv`, tied to the current parent."""
    parent = os.getppid()
    tie_to_parent()
    if os.getppid() != parent:  # the parent died before the tie took: nobody waits for this dbt
        sys.exit(143)
    os.execv(argv[0], argv)


def main() -> None:
    exec_tied([str(Path(sys.executable).parent / "dbt"), *sys.argv[1:]])


if __name__ == "__main__":
    main()
