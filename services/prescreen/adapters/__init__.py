"""Prescreen's clients of outside things: the database, files, models, detectors, processes."""
