"""Fault drills on a running pipeline: ``crible cluster faults`` (``faults.py``)."""
