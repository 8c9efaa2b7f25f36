"""Crible's shared runtime: configuration, topics, event contracts, the consumer runner."""
