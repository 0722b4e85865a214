"""Benchmarks of the whole shop under load: `make bench` (python -m bench) writes bench/results.md."""
