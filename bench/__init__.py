"""Benchmarks of trainpack against plain baselines; run them all with ``python -m bench``."""
