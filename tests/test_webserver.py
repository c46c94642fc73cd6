"""What a stakeholder's browser loads: the Dagster webserver's GraphQL API shows the whole lineage."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = """{ assetNodes { assetKey { path } dependencyKeys { path }
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_webserver_serves_lineage_and_checks(tmp_path):
    port = free_port()
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path))
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml",
                             "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        data = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("webserver exited: " + proc.stderr.read().decode()[-2000:])
            try:
                data = graphql(port, QUERY)
                if data.get("data", {}).get("assetNodes"):
                    break
            except OSError:
                pass
            time.sleep(1)
        assert data and data.get("data"), data
        nodes = {"/".join(n["assetKey"]["path"]): n for n in data["data"]["assetNodes"]}
        for key in ("bronze/events", "bronze/accounts", "bronze/sessions", "bronze/enforcement", "bronze/indicators",
                    "staging/stg_events", "marts/actors", "marts/actor_edges", "graph/coordination_graph",
                    "marts/networks", "marts/network_members", "marts/actor_metrics", "serving/analytics_snapshot"):
            assert key in nodes, f"{key} missing from the UI's asset graph"
        deps = lambda k: {"/".join(d["path"]) for d in nodes[k]["dependencyKeys"]}
        assert "bronze/events" in deps("staging/stg_events")
        assert "graph/coordination_graph" in deps("marts/networks")
        assert "marts/networks" in deps("serving/analytics_snapshot")
        checks = [c for n in nodes.values() for c in (n["assetChecksOrError"] or {}).get("checks", [])]
        assert len(checks) >= 10 and any(c["blocking"] for c in checks)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
