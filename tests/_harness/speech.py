"""Comparing what was said with what a recogniser heard."""

from __future__ import annotations

import re


def words_of(text: str) -> list[str]:
    """Lower-case words, punctuation dropped (apostrophes kept)."""
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """``(edits, reference words)``: the Levenshtein distance over words (substitutions,
    deletions, insertions) and the length it is a rate of."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits divided by the reference length."""
    edits, words = word_errors(reference, hypothesis)
    return edits / max(1, words)
