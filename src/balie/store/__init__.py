"""Persistence: engines, sessions, tables, migrations and full-text search."""
