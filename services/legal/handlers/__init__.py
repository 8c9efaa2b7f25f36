"""Legal's use cases: take ports and plain values, call the core, return events."""
