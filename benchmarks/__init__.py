"""Benchmarks (not shipped): each prints figures against a baseline measured in the same run."""
