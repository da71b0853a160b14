"""Splits :class:`~nextevi_widgets.session.VoiceSession` keyword options into the session's own
(its configurable traits) and the client's, rejecting unknown names at construction rather
than when the background task builds the client."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["SESSION_OPTIONS", "split_options"]

SESSION_OPTIONS = frozenset({"max_messages"})
"""Session traits that may be set as constructor keywords."""

_SET_BY_SESSION = frozenset(
    {"api_key", "access_token", "config_id", "project_id", "url", "settings"}
)


def client_option_names() -> frozenset[str]:
    """Keyword options of ``NextEVIClient`` that a session passes through."""
    from ..client.client import NextEVIClient

    params = inspect.signature(NextEVIClient.__init__).parameters.values()
    names = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return frozenset(names - _SET_BY_SESSION)


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(session_options, client_options)``; raises ``TypeError`` naming unknown options."""
    client_names = client_option_names()
    unknown = sorted(set(options) - SESSION_OPTIONS - client_names)
    if unknown:
        valid = ", ".join(sorted(SESSION_OPTIONS | client_names))
        raise TypeError(
            f"VoiceSession() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"valid options besides the named parameters: {valid}"
        )
    session = {k: v for k, v in options.items() if k in SESSION_OPTIONS}
    client = {k: v for k, v in options.items() if k not in SESSION_OPTIONS}
    return session, client
