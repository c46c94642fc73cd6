"""Warehouse stage: dbt models on DuckDB (bronze -> staging -> intermediate -> marts)."""
import dagster as dg

from ..assets.dbt import dbt_resource, warehouse_dbt_models

defs = dg.Definitions(assets=[warehouse_dbt_models], resources={"dbt": dbt_resource()})
