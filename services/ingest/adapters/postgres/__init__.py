"""Ingest's PostgreSQL adapters: the case store, the retention rules (SQL only here)."""
