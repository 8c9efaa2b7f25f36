"""Prescreen's use cases: each takes the ports its service binds (``service.py``)."""
