"""Session datasets: many sessions as partitioned Parquet tables (see :mod:`.schema`), written
safely by :class:`DatasetWriter`, read by :class:`SessionDataset` as Arrow, pandas, DuckDB SQL
or Dask. Needs ``pip install "nextevi-widgets[dataset]"`` (Dask: the ``dask`` extra)."""

from __future__ import annotations

from ._deps import require

require("pyarrow")
require("duckdb")

from .compact import compact_dataset  # noqa: E402
from .convert import convert_recordings  # noqa: E402
from .reader import SessionDataset  # noqa: E402
from .schema import SCHEMA_VERSION, SCHEMAS, TABLES  # noqa: E402
from .writer import DatasetWriter  # noqa: E402

__all__ = [
    "SCHEMAS",
    "SCHEMA_VERSION",
    "TABLES",
    "DatasetWriter",
    "SessionDataset",
    "compact_dataset",
    "convert_recordings",
]
