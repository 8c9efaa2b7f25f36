"""Legal's SQL: the only place that speaks to PostgreSQL."""
