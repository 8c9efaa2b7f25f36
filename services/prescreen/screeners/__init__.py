"""Pre-screening screeners: one module per kind of evidence (texts, links)."""
