"""Alembic migrations of the trainpack database."""
