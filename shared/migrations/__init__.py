"""SQL migrations of the runtime's own tables (the ``crible`` schema)."""
