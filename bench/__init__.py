"""Benchmarks (bench/README.md). Not an app: nothing here is installed."""
