"""Benchmarks, suites and reports: `python -m evals --help`."""
