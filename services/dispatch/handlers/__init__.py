"""Use cases: take ports and plain values, call the core, return events (no SQL, no HTTP)."""
