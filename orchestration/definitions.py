"""The code location: each stage's definitions, merged (see orchestration/defs/)."""
import dagster as dg

from .defs import ingest
from .resources import default_storage

defs = dg.Definitions.merge(
    ingest.defs,
    dg.Definitions(resources={"storage": default_storage()}),
)
