"""SQL migrations of the legal schema, applied by ``crible migrate``."""
