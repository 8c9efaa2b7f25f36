"""Labelled evaluation sets and their generators."""
