"""A scratch database for a benchmark: created before, dropped after, never the real one."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connection


def create_scratch_database(folder: Path) -> None:
    """test_<name> on PostgreSQL; on SQLite a file in `folder`, as in a real deployment."""
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(folder / "bench.sqlite3")
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


def scratch_database_url() -> str:
    """DATABASE_URL of the scratch database, for the processes a benchmark starts (worker, server)."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def drop_scratch_database() -> None:
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
