"""SQL migrations of the dispatch schema, applied by ``crible migrate``."""
