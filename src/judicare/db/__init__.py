"""Storage: SQLAlchemy 2 engine, unit of work and Alembic migrations."""
