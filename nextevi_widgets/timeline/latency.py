"""Per-turn latency waterfall: end of user speech -> final transcript -> first assistant text ->
first TTS chunk -> first sample played, in milliseconds relative to the end of speech."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from ._frames import require_pandas

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..conversation import LatencyRecord
    from ..conversation.latency import Stage

__all__ = ["LATENCY_COLUMNS", "latency_table", "plot_latency"]

_STAGES: tuple[tuple[Stage, str, str], ...] = (
    ("final_transcript", "transcript_ms", "final transcript"),
    ("first_text", "first_text_ms", "first text"),
    ("first_tts_chunk", "first_tts_ms", "first TTS chunk"),
    ("first_played", "first_played_ms", "first sample played"),
)
LATENCY_COLUMNS = ("turn", *(column for _, column, _ in _STAGES), "played_estimated")
_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")


def _records(source: Any) -> list[LatencyRecord]:
    records = getattr(source, "latency", source)
    if not isinstance(records, Iterable):
        raise TypeError("expected a VoiceSession, a Recording or a list of latency records")
    return [cast("LatencyRecord", r) for r in records if isinstance(r, Mapping)]


def latency_table(source: Any, *, as_frame: bool = False) -> Any:
    """One row per user turn: ``turn``, ``transcript_ms``, ``first_text_ms``,
    ``first_tts_ms``, ``first_played_ms`` (each measured from the end of the user's speech;
    None when the stage was not reached) and ``played_estimated`` (the first-played time is an
    estimate because no player reported). ``source`` is a session, a recording or the
    ``session.latency`` list. ``as_frame=True`` gives a pandas DataFrame."""
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(_records(source)):
        end = record.get("user_speech_end")
        row: dict[str, Any] = {"turn": record.get("turn", index + 1)}
        for stage, column, _ in _STAGES:
            value = record.get(stage)
            row[column] = None if value is None or end is None else round((value - end) * 1000.0, 1)
        row["played_estimated"] = bool(record.get("played_estimated", False))
        rows.append(row)
    if as_frame:
        pd = require_pandas()
        return pd.DataFrame(rows, columns=list(LATENCY_COLUMNS))
    return rows


def plot_latency(source: Any, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """Horizontal waterfall: one bar per turn, one segment per stage (from the previous stage
    reached to this one), milliseconds after the end of speech. Estimated first-played times
    are hatched."""
    rows = latency_table(source)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 1.6 + 0.45 * max(1, len(rows))), layout="constrained")
    labels = []
    for y, row in enumerate(rows):
        labels.append(f"turn {row['turn']}")
        previous = 0.0
        for (_, column, _), color in zip(_STAGES, _COLORS, strict=True):
            value = row[column]
            if value is None:
                continue
            width = max(0.0, value - previous)
            hatch = "//" if column == "first_played_ms" and row["played_estimated"] else None
            ax.barh(y, width, left=previous, color=color, hatch=hatch, ec="white", height=0.6)
            previous = max(previous, value)
        if previous > 0:
            ax.text(previous, y, f" {previous:.0f} ms", va="center", fontsize=7)
    for (_, _, name), color in zip(_STAGES, _COLORS, strict=True):
        ax.barh([], [], color=color, label=name)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("ms after end of user speech")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_title(title or "Per-turn latency", fontsize=10)
    ax.grid(axis="x", alpha=0.2)
    return ax
