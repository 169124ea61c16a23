"""Benchmarks: `make bench` (bench/run.py) and the scale data it measures
(bench/seed.py, `manage.py seed_scale`)."""
