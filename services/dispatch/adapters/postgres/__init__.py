"""Dispatch's tables: the only place with SQL."""
