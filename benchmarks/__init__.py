"""Benchmarks for nextevi-widgets: ``python -m benchmarks [--quick] [--only NAME] [--json PATH]``.

Every benchmark runs in its own subprocess with a time budget, reports medians and p95 over
repeated runs, and puts machine-dependent figures next to a baseline measured in the same run.
See ``benchmarks/README.md``.
"""
