"""The benchmark suite of issue 10: this service beside a bare Temporal workflow, in one run.

`python -m bench` (or `make bench`) starts its own stack, runs both interleaved, and writes the
figures to bench/results/*.json and docs/benchmarks.md. Ratios are the results, not times.
"""
