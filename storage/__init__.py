"""Persistence: models, the engine/session factory and Alembic migrations."""
