"""Quality gates: Great Expectations suites as blocking asset checks (dbt tests come with the dbt assets)."""
import dagster as dg

defs = dg.Definitions()
