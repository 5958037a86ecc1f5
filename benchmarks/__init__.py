"""Benchmarks for issue 5: cold start, warm ask, ingest, scale, Chroma server, naive baseline.

`make bench` runs `python -m benchmarks.run`, prints a table and writes
`benchmarks/results/latest.json`. Timings live here, never in test assertions.
"""
