"""Emotion tables across sessions: distributions per label, top emotion vs label,
trajectories across turns. Each is one DuckDB query over a :class:`SessionDataset`.

Sessions weigh the same whatever their length: scores are averaged within a session first,
then across sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..dataset import SessionDataset
from ._sql import quote_column, samples_filter

__all__ = ["emotion_distribution", "emotion_trajectories", "top_emotion_confusion"]


def emotion_distribution(
    ds: SessionDataset, label: str, *, role: str | None = None, source: str | None = None
) -> Any:
    """Per label value and emotion: ``mean`` and ``std`` of the per-session mean scores,
    ``sessions`` and ``samples`` behind them. ``role`` keeps the samples of ``user`` (or
    ``assistant``) turns only; ``source`` those of ``emotion_update`` or ``transcription``.
    Columns ``[label, name, mean, std, sessions, samples]``."""
    column = quote_column(ds, label)
    where, params = samples_filter(role, source)
    return ds.sql(
        f"""
        with per_session as (
            select session_id, name, avg(score) as score, count(*) as samples
            from emotion_samples {where} group by session_id, name
        )
        select s.{column} as {column}, p.name,
               avg(p.score) as mean, coalesce(stddev_samp(p.score), 0) as std,
               count(*) as sessions, sum(p.samples)::bigint as samples
        from per_session p join sessions s using (session_id)
        group by all order by 1, mean desc, p.name
        """,
        params,
    )


def top_emotion_confusion(
    ds: SessionDataset, label: str, *, role: str | None = None, normalize: bool = False
) -> Any:
    """Sessions counted by label value (rows) and top emotion (columns): a session's top
    emotion is the one with the highest mean score. ``normalize=True`` gives each row's
    shares instead of counts. Sessions without emotion samples are left out."""
    pd = _pandas()
    column = quote_column(ds, label)
    where, params = samples_filter(role, None)
    tops = ds.sql(
        f"""
        with per_session as (
            select session_id, name, avg(score) as score
            from emotion_samples {where} group by session_id, name
        )
        select s.{column} as label, arg_max(p.name, p.score) as top
        from per_session p join sessions s using (session_id)
        group by s.session_id, s.{column}
        """,
        params,
    )
    table = pd.crosstab(tops["label"], tops["top"], normalize="index" if normalize else False)
    table.index.name = label
    table.columns.name = "top emotion"
    return table


def emotion_trajectories(
    ds: SessionDataset,
    *,
    by: str | None = None,
    emotions: Sequence[str] | None = None,
    role: str | None = None,
    max_turn: int | None = None,
    turns: str = "user_turn",
) -> Any:
    """Mean score per turn and emotion, averaged over sessions (each session's turn mean
    first): columns ``[by?, turn, name, mean, std, sessions]``. Turns count the user's turns
    (``turns="user_turn"``: a user turn and the reply after it share a number) or every
    message (``turns="turn"``). ``by`` splits by a ``sessions`` column (a label or
    ``config``); ``emotions`` keeps those names only; ``max_turn`` stops there."""
    if turns not in ("user_turn", "turn"):
        raise ValueError("turns must be 'user_turn' or 'turn'")
    where, params = samples_filter(role, None, emotions=emotions, max_turn=max_turn, turn=turns)
    group = f"s.{quote_column(ds, by)} as {quote_column(ds, by)}, " if by else ""
    return ds.sql(
        f"""
        with per_turn as (
            select session_id, {turns} as turn, name, avg(score) as score
            from emotion_samples {where} group by session_id, {turns}, name
        )
        select {group}p.turn, p.name, avg(p.score) as mean,
               coalesce(stddev_samp(p.score), 0) as std, count(*) as sessions
        from per_turn p join sessions s using (session_id)
        where p.turn is not null
        group by all order by all
        """,
        params,
    )


def _pandas() -> Any:
    from ..dataset._deps import require_pandas

    return require_pandas()
