"""Files the bundle ships as they are: the training entry point and the Space's status app.

They run in the training environment (and the Space), not in trainpack: they import only the
standard library at module level, and tests import them to check their pure functions.
"""
