"""What the numbers were measured on."""
from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone

import psutil


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def java_version() -> str | None:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
        return (out.stderr or out.stdout).splitlines()[0].strip()
    except Exception:
        return None


def describe() -> dict:
    import duckdb
    import polars

    vm = psutil.virtual_memory()
    info = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(vm.total / 2**30, 1),
        "memory_available_gib_at_start": round(vm.available / 2**30, 1),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "java": java_version(),
    }
    try:
        import pyspark

        info["pyspark"] = pyspark.__version__
    except ImportError:
        pass
    return info


def one_line(m: dict) -> str:
    return (f"{m['cpu_model']}, {m['cores_usable']} cores, {m['memory_gib']} GiB RAM, {m['os']}, "
            f"Python {m['python']}, DuckDB {m['duckdb']}, polars {m['polars']}"
            + (f", PySpark {m['pyspark']}" if m.get("pyspark") else "")
            + (f", {m['java']}" if m.get("java") else ""))
