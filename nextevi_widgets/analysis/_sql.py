"""Small SQL pieces the analysis queries share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..dataset import SessionDataset

__all__ = ["quote_column", "samples_filter", "session_columns"]


def session_columns(ds: SessionDataset) -> list[str]:
    return list(ds.connection.sql("select * from sessions limit 0").columns)


def quote_column(ds: SessionDataset, name: str) -> str:
    """``name`` as a quoted identifier, after checking that ``sessions`` has it (labels,
    ``config`` ...), with an error listing the columns it has."""
    columns = session_columns(ds)
    if name not in columns:
        raise KeyError(f"sessions has no column {name!r}; it has {', '.join(columns)}")
    return '"' + name.replace('"', '""') + '"'


def samples_filter(
    role: str | None,
    source: str | None,
    *,
    emotions: Sequence[str] | None = None,
    max_turn: int | None = None,
    turn: str = "turn",
) -> tuple[str, list[Any]]:
    """A ``where`` clause over ``emotion_samples`` and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if role is not None:
        clauses.append("role = ?")
        params.append(role)
    if source is not None:
        clauses.append("source = ?")
        params.append(source)
    if emotions is not None:
        clauses.append("list_contains(?, name)")
        params.append(list(emotions))
    if max_turn is not None:
        clauses.append(f"{turn} <= ?")
        params.append(int(max_turn))
    return ("where " + " and ".join(clauses) if clauses else ""), params
