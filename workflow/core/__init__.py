"""The pure core: rules and calculations with no I/O (no database, transport or network).

Everything under this folder imports only the standard library, pydantic and other modules of
the core; ``tests/workflow/test_layering.py`` checks that for every module found here.
"""
