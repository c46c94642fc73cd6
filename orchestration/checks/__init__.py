"""Asset checks: the quality gates (Great Expectations suites, partition volume)."""
from .gx_checks import (
    GX_CHECK_PREFIX,
    MART_NAMES,
    VOLUME_CHECK_NAME,
    bronze_checks,
    gx_asset_checks,
    mart_checks_for,
    volume_check,
)

__all__ = ["GX_CHECK_PREFIX", "MART_NAMES", "VOLUME_CHECK_NAME", "bronze_checks", "gx_asset_checks",
           "mart_checks_for", "volume_check"]
