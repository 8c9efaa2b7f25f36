"""Prescreen's PostgreSQL adapters: the only place its SQL lives."""
