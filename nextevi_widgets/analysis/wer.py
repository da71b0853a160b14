"""Word error rate of the final user transcripts against reference texts (jiwer)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..dataset import SessionDataset
from ..dataset._deps import require, require_pandas
from ._sql import quote_column

__all__ = ["corpus_wer", "normalize_text", "word_error_rates"]


def normalize_text(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes inside words kept), spaces collapsed."""
    text = re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text.lower())
    return " ".join(text.split())


def word_error_rates(
    ds: SessionDataset, references: Mapping[str, str] | str, *, by: str | None = None
) -> Any:
    """Per session: ``reference``, ``hypothesis`` (its final user transcripts in turn order),
    ``wer`` and jiwer's ``hits``, ``substitutions``, ``deletions``, ``insertions`` (both texts
    normalised by :func:`normalize_text`). ``references`` maps session id → reference text,
    or names the ``sessions`` column (a label) that holds it. ``by`` adds a ``sessions``
    column to group on (see :func:`corpus_wer`). Sessions without a reference are left out."""
    jiwer = require("jiwer")
    pd = require_pandas()
    extra = f", s.{quote_column(ds, by)} as {quote_column(ds, by)}" if by else ""
    ref_column = (
        f", s.{quote_column(ds, references)} as reference" if isinstance(references, str) else ""
    )
    frame = ds.sql(
        f"""
        select s.session_id{extra}{ref_column},
               coalesce(string_agg(t.text, ' ' order by t.turn), '') as hypothesis
        from sessions s left join turns t
             on t.session_id = s.session_id and t.role = 'user' and t.is_final
        group by all order by s.session_id
        """
    )
    if not isinstance(references, str):
        frame["reference"] = frame["session_id"].map(dict(references))
    frame = frame[frame["reference"].notna()].reset_index(drop=True)
    rows = []
    for reference, hypothesis in zip(frame["reference"], frame["hypothesis"], strict=True):
        ref, hyp = normalize_text(str(reference)), normalize_text(str(hypothesis))
        if not ref:
            raise ValueError(f"empty reference text: {reference!r}")
        out = jiwer.process_words(ref, hyp)
        rows.append(
            {
                "wer": out.wer,
                "hits": out.hits,
                "substitutions": out.substitutions,
                "deletions": out.deletions,
                "insertions": out.insertions,
            }
        )
    columns = ["wer", "hits", "substitutions", "deletions", "insertions"]
    return pd.concat([frame, pd.DataFrame(rows, columns=columns)], axis=1)


def corpus_wer(per_session: Any, by: str | None = None) -> Any:
    """Corpus WER (errors over reference words, so long references weigh more) of
    :func:`word_error_rates`' result, overall or per value of ``by``: columns ``[by?,
    sessions, words, wer]``."""
    pd = require_pandas()
    frame = per_session.assign(
        errors=per_session["substitutions"] + per_session["deletions"] + per_session["insertions"],
        words=per_session["hits"] + per_session["substitutions"] + per_session["deletions"],
    )
    if by is None:
        words = int(frame["words"].sum())
        return pd.DataFrame(
            [{"sessions": len(frame), "words": words, "wer": frame["errors"].sum() / words}]
        )
    grouped = frame.groupby(by, sort=True).agg(
        sessions=("session_id", "count"), words=("words", "sum"), errors=("errors", "sum")
    )
    grouped["wer"] = grouped["errors"] / grouped["words"]
    return grouped.drop(columns="errors").reset_index()
