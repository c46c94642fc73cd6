"""dbt models as Dagster assets (dagster-dbt): one asset per model, dbt tests as asset checks.

Model asset keys are [schema, model] (staging/..., intermediate/..., marts/...);
sources keep dagster-dbt's default [source, table] = bronze/<table>, which are
the ingest assets, so lineage runs from the landing to the marts.
"""
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ..checks.gate_text import with_gate
from ..resources import PlatformStorage
from ..settings import REPO_ROOT
from .ingest import DUCKDB_WRITER_POOL, TRANSIENT_RETRY, is_transient

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
WAREHOUSE_DB_ENV = "THREATGRAPH_WAREHOUSE_DB"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml", *project.project_dir.glob("models/**/*"),
               *project.project_dir.glob("macros/**/*"), *project.project_dir.glob("tests/**/*"),
               *project.project_dir.glob("seeds/**/*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def ensure_manifest(project: DbtProject) -> Path:
    """Parse the project when its manifest is missing or older than its sources (fresh clones, CI, edits)."""
    if _manifest_is_stale(project):
        from dbt.cli.main import dbtRunner

        # Parsing never opens the database, but the profile needs the variable to render.
        os.environ.setdefault(WAREHOUSE_DB_ENV, str(REPO_ROOT / "data" / "parse-only.duckdb"))
        res = dbtRunner().invoke(["parse", "--quiet", "--project-dir", str(project.project_dir),
                                  "--profiles-dir", str(project.profiles_dir)])
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
    return Path(project.manifest_path)


class ThreatgraphDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["config"].get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # the yml's words for stakeholders; the SQL is one click away (the model's file)
        return dbt_resource_props.get("description") or super().get_description(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(description=dbt_test_description(manifest["nodes"][unique_id], spec.blocking))


def dbt_test_description(test: Mapping[str, Any], blocking: bool) -> str:
    """A dbt test's check description: its own when the yml gives one, else what it tests and where
    (pure). Either way it ends with whether a failure blocks publication."""
    own = test.get("description") or (test.get("meta") or {}).get("description")
    if not own:
        meta = test.get("test_metadata") or {}
        name = meta.get("name") or test.get("name", "test")
        column = test.get("column_name")
        args = {k: v for k, v in (meta.get("kwargs") or {}).items() if k not in ("column_name", "model")}
        shown = ", ".join(f"{k}={v}" for k, v in sorted(args.items()))[:200]
        own = (f"dbt test {name}" + (f" on column {column}" if column else "") + (f" ({shown})" if shown else ""))
    return with_gate(own, blocking)


class DbtWindowConfig(dg.Config):
    """The analysis window: the last day (inclusive) and its length; empty = dbt's defaults."""

    window_end: str = ""
    window_days: int = 0


def dbt_build_args(config: DbtWindowConfig) -> list[str]:
    """The `dbt build` arguments for a window config (pure, unit tested)."""
    variables = {}
    if config.window_end:
        variables["window_end"] = config.window_end
    if config.window_days:
        variables["window_days"] = config.window_days
    args = ["build"]
    if variables:
        args += ["--vars", json.dumps(variables, sort_keys=True)]
    return args


@dbt_assets(
    manifest=ensure_manifest(dbt_project),
    project=dbt_project,
    dagster_dbt_translator=ThreatgraphDbtTranslator(),
    pool=DUCKDB_WRITER_POOL,
    retry_policy=TRANSIENT_RETRY,
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, storage: PlatformStorage, config: DbtWindowConfig):
    os.environ[WAREHOUSE_DB_ENV] = str(storage.paths.db)
    invocation = dbt.cli(dbt_build_args(config), context=context, raise_on_error=False)
    yield from invocation.stream()  # failed dbt tests arrive as failed (blocking) asset checks
    if not invocation.is_successful():
        problems = failed_dbt_nodes(invocation.get_artifact("run_results.json"))
        raise dg.Failure(description="dbt build failed: " + "; ".join(problems)[:4000],
                         allow_retries=is_transient(" ".join(problems)))


def failed_dbt_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """'node: status: message' of every node of a dbt run that did not pass (pure)."""
    return [f"{r.get('unique_id')}: {r.get('status')}: {(r.get('message') or '').strip()[:300]}"
            for r in run_results.get("results", []) if r.get("status") not in ("success", "pass", "skipped", "warn")]


def dbt_resource() -> DbtCliResource:
    # The dbt next to this interpreter (the venv's bin/ need not be on PATH), started through
    # threatgraph-dbt so that a killed run leaves no dbt holding the warehouse's write lock.
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "threatgraph-dbt"))
