"""Resources shared by every stage: where the landing and the warehouse are."""

from pathlib import Path

import dagster as dg

from .pseudonymize import Pseudonymizer, check_key_fingerprint, load_or_create_key
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
        """The warehouse's pseudonymizer; PseudonymKeyMismatch when the key is not the warehouse's."""
        key = load_or_create_key(self.paths.key_file)
        check_key_fingerprint(self.paths.key_fingerprint_file, key)
        return Pseudonymizer(key)


def default_storage() -> PlatformStorage:
    return PlatformStorage(landing=landing_dir(), warehouse=warehouse_dir())
