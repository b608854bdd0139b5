"""Typed step data: the enums, inputs and outputs of the four steps (mirroring ``workflow/steps.py``)."""
