"""Resources shared by every stage: where the landing and the warehouse are."""

from pathlib import Path

import dagster as dg

from .pseudonymize import Pseudonymizer, load_or_create_key
from .settings import landing_dir, warehouse_dir
from .warehouse import WarehousePaths


class PlatformStorage(dg.ConfigurableResource):
    """Landing folder (raw logs, read-only for us) and warehouse folder (everything we write)."""

    landing: str
    warehouse: str

    @property
    def landing_path(self) -> Path:
        return Path(self.landing)

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.warehouse))

    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(load_or_create_key(self.paths.key_file))


def default_storage() -> PlatformStorage:
    return PlatformStorage(landing=landing_dir(), warehouse=warehouse_dir())
