"""threatgraph-dbt: a dbt started by a run ends when the run is killed (no orphan holding the lock)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.assets.dbt import dbt_resource

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "from orchestration.dbt_child import exec_tied; exec_tied(['/bin/sleep', '120'])"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


def test_the_child_ends_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0] != b"/bin/sleep":
        time.sleep(0.05)  # until the exec happened
    assert _alive(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(child):
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the child outlived its killed parent")


def test_the_pipeline_runs_dbt_through_the_tied_entry_point():
    exe = Path(dbt_resource().dbt_executable)
    assert exe.name == "threatgraph-dbt" and exe.exists()
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "installed" in out.stdout
