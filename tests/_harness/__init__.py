"""The harness that tests and benchmarks share: one ``eventually`` polling helper, one scripted
NextEVI WebSocket server, one way to start a server process (JupyterLab, marimo) and wait for
it, and one JupyterLab + Chromium set-up.

Tests import it as ``_harness`` (pytest puts ``tests/`` on the path); benchmarks, which run from
the repository root, as ``tests._harness``. Modules here import each other relatively.
"""
