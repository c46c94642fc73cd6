"""Great Expectations suites (expectations/suites/*.json) and the runner that evaluates them."""
from .runner import (
    ERROR,
    WARNING,
    ExpectationOutcome,
    SuiteOutcome,
    VolumeVerdict,
    load_suite,
    run_suite,
    suite_names,
    volume_verdict,
)

__all__ = [
    "ERROR", "WARNING", "ExpectationOutcome", "SuiteOutcome", "VolumeVerdict",
    "load_suite", "run_suite", "suite_names", "volume_verdict",
]
