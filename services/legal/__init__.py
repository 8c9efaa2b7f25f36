"""Legal-request fulfilment: identity store, legal-basis checks, minimised encrypted disclosures.

This package is the pure core (no Kafka, no SQL, no HTTP, no clock): the adapters call it.

- ``fieldcrypt``: AES-256-GCM field encryption bound to table, column and row; key ids and
  rotation; the keyed blind index for lookups by phone number or username.
- ``identity``: identity events to sealed, indexed store writes; rows back to a record.
- ``signatures``: an authority's Ed25519-signed submission, verified (skew, nonce port).
- ``rules``: legal-basis checks, each refusal with its reason code and article.
- ``narrowing``: an officer removes categories or shortens the period, with a reason.
- ``deadlines``: the due time per instrument; preservation periods (part 2).
- ``approval``: the two-person rule.
- ``package``: minimisation, the signed and HPKE-encrypted package, ``open_package``.
- ``audit``: the hash-chained audit log and its verifier.
- ``model``, ``ports``: authorities, refusals, scopes; the nonce-store port.
"""
