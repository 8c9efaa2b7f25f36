"""Report ingestion: user reports become deduplicated, aggregated cases."""
