"""The I/O side of :class:`nextevi_widgets.session.VoiceSession`, one job per module: the
background task (runner, backend), file streaming, waiting, alerts, stats, held audio.

The conversation rules live in :mod:`nextevi_widgets.conversation` (no I/O). Nothing here
imports widget libraries; only :mod:`traitlets` is used, by ``session.py`` itself.
"""
