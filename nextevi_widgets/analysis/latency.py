"""Latency percentiles per configuration (or any ``sessions`` column)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..dataset import SessionDataset
from ._sql import quote_column

__all__ = ["LATENCY_SPANS", "latency_percentiles"]

LATENCY_SPANS = ("transcript_s", "first_text_s", "first_audio_s", "response_s", "heard_s")
"""The ``latency`` table's spans: end of speech → final transcript → first reply text →
first reply audio; ``response_s`` end of speech → first audio, ``heard_s`` → first played."""


def latency_percentiles(
    ds: SessionDataset,
    by: str = "config",
    *,
    spans: Sequence[str] = LATENCY_SPANS,
    percentiles: Sequence[float] = (50, 90, 95),
) -> Any:
    """Per value of ``by`` (a ``sessions`` column) and span: ``turns`` measured and the
    percentiles in seconds (columns ``p50``, ``p90`` ...; linear interpolation). Turns that
    never reached a stage are left out of that span."""
    column = quote_column(ds, by)
    unknown = [span for span in spans if span not in LATENCY_SPANS]
    if unknown:
        raise ValueError(f"unknown latency spans {unknown}; they are {', '.join(LATENCY_SPANS)}")
    for p in percentiles:
        if not 0 <= p <= 100:
            raise ValueError(f"percentiles are 0..100, not {p}")
    quantiles = ", ".join(f"quantile_cont(value, {p / 100!r}) as p{_name(p)}" for p in percentiles)
    unpivoted = " union all ".join(
        f"select session_id, '{span}' as span, {span} as value from latency "
        f"where {span} is not null"
        for span in spans
    )
    return ds.sql(
        f"""
        select s.{column} as {column}, l.span, count(*) as turns, {quantiles}
        from ({unpivoted}) l join sessions s using (session_id)
        group by all order by 1, l.span
        """
    )


def _name(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else str(p).replace(".", "_")
