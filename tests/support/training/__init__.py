"""Scripts the tests run with the training environment's Python (not trainpack's)."""
