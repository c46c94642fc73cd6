"""Stopping, killing and starting runs twice: the run lock, abandoned runs, interrupts."""
import os
import signal
import subprocess
import sys
import time

import dagster as dg
from dagster._core.events import DagsterEvent

from orchestration.run_guard import (CLI_LAUNCHER, LAUNCHER_TAG, RUN_LOCK_NAME, InterruptWatch, release_abandoned_runs,
                                     warehouse_run_lock)

HOLD_LOCK = """
import fcntl, sys, time
f = open(sys.argv[1], "a+"); fcntl.flock(f, fcntl.LOCK_EX); f.write("4242\\n"); f.flush()
print("held", flush=True); time.sleep(float(sys.argv[2]))
"""


def test_a_second_run_waits_for_the_first_and_says_so(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path / RUN_LOCK_NAME), "1.5"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    said = []
    t = time.monotonic()
    with warehouse_run_lock(tmp_path, said.append):
        waited = time.monotonic() - t
        assert (tmp_path / RUN_LOCK_NAME).read_text() == f"{os.getpid()}\n"
    holder.wait()
    assert waited > 0.5 and len(said) == 1 and "pid 4242" in said[0] and "waiting" in said[0]


def test_a_killed_holder_leaves_no_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path / RUN_LOCK_NAME), "60"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    said = []
    with warehouse_run_lock(tmp_path, said.append):
        pass
    assert said == []


@dg.op
def _step():
    pass


@dg.job
def _job():
    _step()


def test_abandoned_cli_runs_are_failed_and_their_pool_slots_freed(tmp_path):
    instance = dg.DagsterInstance.local_temp(str(tmp_path), overrides={"concurrency": {"pools": {"default_limit": 1}}})
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default("duckdb_writer")
    runs = {}
    for who in ("cli", "ui"):
        tags = {LAUNCHER_TAG: CLI_LAUNCHER} if who == "cli" else {}
        run = instance.create_run_for_job(_job, tags=tags)
        instance.run_storage.handle_run_event(run.run_id, DagsterEvent(event_type_value="PIPELINE_START", job_name="_job"))
        runs[who] = run.run_id
    storage.claim_concurrency_slot("duckdb_writer", runs["cli"], "_step")
    assert storage.get_concurrency_info("duckdb_writer").active_slot_count == 1

    assert release_abandoned_runs(instance) == [runs["cli"]]
    assert instance.get_run_by_id(runs["cli"]).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(runs["ui"]).status == dg.DagsterRunStatus.STARTED  # not ours to judge
    assert storage.get_concurrency_info("duckdb_writer").active_slot_count == 0
    assert release_abandoned_runs(instance) == []


def test_interrupts_are_seen_even_when_dagster_handles_them():
    from dagster._utils.interrupts import capture_interrupts

    before = signal.getsignal(signal.SIGINT)  # another library (Spark) may have set its own
    with InterruptWatch() as watch:
        assert watch.exit_code() is None
        with capture_interrupts():  # what execute_in_process does around a run
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)
        assert watch.received() == signal.SIGTERM and watch.exit_code() == 143
        os.kill(os.getpid(), signal.SIGINT)  # outside a run: recorded, no KeyboardInterrupt
        time.sleep(0.1)
        assert watch.exit_code() == 143  # the first one decides
    assert signal.getsignal(signal.SIGINT) is before


def test_publish_refuses_to_swap_after_an_interrupt_during_the_run():
    import pytest
    from dagster._utils.interrupts import capture_interrupts

    from orchestration.assets.publish import _refuse_if_interrupted

    with capture_interrupts():
        _refuse_if_interrupted()  # nothing received: publish goes on
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        with pytest.raises(dg.Failure, match="interrupted"):
            _refuse_if_interrupted()


def test_publish_refuses_after_an_interrupt_dagster_already_consumed():
    """A step that raised the interrupt clears Dagster's record; the runner's watch still has it."""
    import pytest
    from dagster._utils.interrupts import capture_interrupts, pop_captured_interrupt

    from orchestration.assets.publish import _refuse_if_interrupted

    with InterruptWatch():
        with capture_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            assert pop_captured_interrupt()  # what raising it in a step does
            with pytest.raises(dg.Failure, match="interrupted"):
                _refuse_if_interrupted()


def test_damaged_landing_files_of_the_run_are_listed_as_warnings(tmp_path):
    import duckdb

    from orchestration.runner import damaged_files

    assert damaged_files(tmp_path / "missing.duckdb", ["2026-11-01"]) == []
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA bronze")
    con.execute("""CREATE TABLE bronze.ingest_files AS SELECT * FROM (VALUES
        (DATE '2026-11-01', 'events', '/l/events/dt=2026-11-01/part-0.jsonl.gz', 'truncated_gzip', 1605, 1),
        (DATE '2026-11-01', 'events', '/l/events/dt=2026-11-01/notes.txt', 'skipped_not_jsonl', 0, 0),
        (DATE '2026-11-01', 'sessions', '/l/sessions/dt=2026-11-01/part-0.jsonl', 'ok', 10, 0),
        (DATE '2026-10-30', 'events', '/l/events/dt=2026-10-30/part-0.jsonl.gz', 'corrupt_gzip', 5, 5))
        t(dt, source, source_file, file_status, lines_read, invalid)""")
    con.close()
    assert damaged_files(db, ["2026-11-01"]) == [
        "2026-11-01: events file notes.txt: skipped_not_jsonl (0 lines read, 0 quarantined)",
        "2026-11-01: events file part-0.jsonl.gz: truncated_gzip (1605 lines read, 1 quarantined)"]
