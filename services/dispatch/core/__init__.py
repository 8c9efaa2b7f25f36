"""Dispatch's pure core: lifecycle, decisions, priority, reviewers, reasons, statements' format."""
