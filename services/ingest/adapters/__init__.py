"""Ingest's adapters: PostgreSQL storage of reports and cases."""
