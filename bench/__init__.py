"""Benchmarks at national scale (issue 8): `bench/run.py`, the baseline views, the results."""
