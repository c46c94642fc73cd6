"""Quality gates: Great Expectations suites (expectations/suites/) as blocking asset checks, and the
window gate (checks/window_checks.py: no day that failed its checks is published later).

dbt tests arrive as asset checks with the dbt assets (defs/warehouse.py).
"""
import dagster as dg

from ..checks.gx_checks import MART_NAMES, bronze_checks, mart_checks_for
from ..checks.window_checks import window_checks

defs = dg.Definitions(
    asset_checks=[*bronze_checks, *mart_checks_for({name: dg.AssetKey(["marts", name]) for name in MART_NAMES}),
                  *window_checks],
)
