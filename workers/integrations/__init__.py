"""Calls to the outside world (the Hugging Face Hub, files on disk, uploaded data)."""
