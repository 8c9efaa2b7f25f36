"""SQL migrations of the ingest schema, applied by ``crible migrate``."""
