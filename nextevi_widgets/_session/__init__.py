"""Helpers of :class:`nextevi_widgets.session.VoiceSession`, one job per module.

Nothing here imports widget libraries; only :mod:`traitlets` is used, by ``session.py`` itself.
"""
