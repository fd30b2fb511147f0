"""Benchmarks (``make bench``): measured against a baseline in the same run, never in timed tests."""
