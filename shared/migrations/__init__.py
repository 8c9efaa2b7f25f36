"""SQL migrations of the runtime's own tables, applied in every service's schema."""
