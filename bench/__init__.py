"""Benchmarks (scripts run by hand, never timed tests): bench.py, peers.py, load.py and the peers' code."""
