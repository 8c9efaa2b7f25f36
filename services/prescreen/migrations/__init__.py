"""Prescreen's SQL migrations."""
