"""What operators run: the ingestion benchmark."""
