"""``SessionDataset``: a session dataset read back as Arrow, pandas, DuckDB SQL or Dask."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ._deps import require_dask, require_pandas
from .schema import SCHEMAS, TABLES
from .writer import committed_parts, read_manifest

if TYPE_CHECKING:
    from ..recording import Recording

__all__ = ["SessionDataset"]


class SessionDataset:
    """A session dataset (see :mod:`nextevi_widgets.dataset.schema` for the tables).

    ::

        ds = SessionDataset.open("runs/eval")
        ds.table("sessions")                       # pyarrow.Table
        ds.df("emotion_samples")                   # pandas.DataFrame
        ds.sql("select s.sentiment, e.name, avg(e.score) from emotion_samples e "
               "join sessions s using (session_id) group by all")

    Only committed parts are read (a part interrupted mid-write is ignored), and when a
    failed session was written again, only its newest rows are. The views are fixed when the
    dataset is opened: open it again to see sessions written since.
    """

    def __init__(self, path: Path, manifest: Mapping[str, Any]) -> None:
        self.path = path
        self.manifest = dict(manifest)
        self.schema_version: int = int(manifest["schema_version"])
        self.parts = committed_parts(path)
        committed = set(self.parts)
        self._files = {
            name: sorted(
                str(p)
                for p in (path / name).glob("part-*.parquet")
                if p.stem in committed and (path / name).is_dir()
            )
            for name in TABLES
        }
        self.connection = duckdb.connect()
        """The DuckDB connection with one view per table (add your own views to it)."""
        self._register_views()

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> SessionDataset:
        """Open the dataset at ``path`` (a clear error if it is none, or a newer version)."""
        path = Path(path)
        return cls(path, read_manifest(path))

    @classmethod
    def from_recordings(
        cls,
        paths: Iterable[str | os.PathLike[str] | Recording],
        out: str | os.PathLike[str],
        *,
        labels: Mapping[str, Any] | Callable[[Recording], Mapping[str, Any]] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> SessionDataset:
        """Convert recordings (``Recording.load`` paths or loaded ones) into the dataset at
        ``out`` and open it; see :func:`~nextevi_widgets.dataset.convert_recordings`."""
        from .convert import convert_recordings

        convert_recordings(paths, out, labels=labels, meta=meta)
        return cls.open(out)

    # ------------------------------------------------------------------ reading

    def files(self, name: str) -> list[str]:
        """The committed Parquet files of table ``name`` (what Dask or another engine reads)."""
        return list(self._files[_check(name)])

    def table(self, name: str) -> pa.Table:
        """Table ``name`` as a :class:`pyarrow.Table`."""
        return self._query(f"select * from {_check(name)}")

    def df(self, name: str) -> Any:
        """Table ``name`` as a pandas DataFrame (needs the ``dataset`` extra)."""
        require_pandas()
        return self.table(name).to_pandas()

    def sql(self, query: str, params: Any = None, *, arrow: bool = False) -> Any:
        """Run ``query`` with DuckDB over the tables (views named like the tables): a pandas
        DataFrame, or a :class:`pyarrow.Table` with ``arrow=True``."""
        if not arrow:
            require_pandas()
        table = self._query(query, params)
        return table if arrow else table.to_pandas()

    def _query(self, query: str, params: Any = None) -> pa.Table:
        table = self.connection.sql(query, params=params).to_arrow_table()
        assert isinstance(table, pa.Table)
        return table

    def dask(self, name: str, **options: Any) -> Any:
        """Table ``name`` as a lazy ``dask.dataframe`` (``dd.read_parquet`` on :meth:`files`;
        needs the ``dask`` extra). The files are plain Parquet, so
        ``dd.read_parquet("DATASET/emotion_samples/")`` reads them too."""
        dd = require_dask()
        files = self.files(name)
        if not files:
            return dd.from_pandas(SCHEMAS[name].empty_table().to_pandas(), npartitions=1)
        return dd.read_parquet(files, **options)

    def __len__(self) -> int:
        return int(self.connection.execute("select count(*) from sessions").fetchall()[0][0])

    def __repr__(self) -> str:
        return f"<SessionDataset {str(self.path)!r} sessions={len(self)} parts={len(self.parts)}>"

    # ------------------------------------------------------------------ views

    def _register_views(self) -> None:
        self._create_raw_views()
        con = self.connection
        duplicates = con.execute(
            "select count(*) - count(distinct session_id) from raw_sessions"
        ).fetchall()[0][0]
        if duplicates:
            # A part whose every session has a newer row elsewhere (an interrupted
            # compaction) is left out entirely, files() included.
            superseded = {
                row[0]
                for row in con.execute(
                    "select part from (select part, row_number() over (partition by session_id "
                    "order by part desc) as rank from raw_sessions) group by part "
                    "having min(rank) > 1"
                ).fetchall()
            }
            if superseded:
                self.parts = [p for p in self.parts if p not in superseded]
                for name, files in self._files.items():
                    self._files[name] = [f for f in files if Path(f).stem not in superseded]
                self._create_raw_views()
            duplicates = con.execute(
                "select count(*) - count(distinct session_id) from raw_sessions"
            ).fetchall()[0][0]
        if duplicates:
            # A failed session written again: its newest part wins in every table.
            con.execute(
                "create or replace view sessions as select * from raw_sessions "
                "qualify row_number() over (partition by session_id order by part desc) = 1"
            )
            for name in TABLES:
                if name != "sessions":
                    con.execute(
                        f"create or replace view {name} as select r.* from raw_{name} r "
                        "semi join sessions s on r.session_id = s.session_id and r.part = s.part"
                    )
        else:
            for name in TABLES:
                con.execute(f"create or replace view {name} as select * from raw_{name}")

    def _create_raw_views(self) -> None:
        con = self.connection
        for name in TABLES:
            files = self._files[name]
            if files:
                listed = ", ".join(_quote(f) for f in files)
                source = f"read_parquet([{listed}], union_by_name = true)"
            else:
                con.register(f"_empty_{name}", SCHEMAS[name].empty_table())
                source = f"_empty_{name}"
            con.execute(f"create or replace view raw_{name} as select * from {source}")


def _check(name: str) -> str:
    if name not in SCHEMAS:
        raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLES)}")
    return name


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
