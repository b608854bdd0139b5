"""The pure core: rules and calculations with no I/O (no database, transport or network).

Everything under this folder imports only the standard library, pydantic, other modules of the
core and the pure modules of ``workflow/`` (step data, facts, rules, errors);
``tests/workflow/test_layering.py`` checks that for every module found here. ``training`` turns
step 2 into the concrete run; ``bundle`` renders a published version into the files that run it.
"""
