"""Legal-request fulfilment: identity store, legal-basis checks, minimised encrypted disclosures.

This package holds the pure core (no Kafka, no SQL, no HTTP): the adapters call it.
"""
