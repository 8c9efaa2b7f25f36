"""Legal-request fulfilment: identity store, legal-basis checks, minimised encrypted disclosures.

The rooms (``../shared/STYLE.md``):

- ``core/``: pure rules and formats (no Kafka, SQL, HTTP or clock): ``model``, ``rules``,
  ``narrowing``, ``deadlines``, ``approval``, ``package``, ``audit``, ``fieldcrypt``,
  ``signatures``, ``identity``;
- ``ports.py``: the interfaces the handlers need;
- ``handlers/``: one module per use case (identity intake, checks, disclosure, preservation,
  notices, retention, rotation);
- ``adapters/postgres/`` (the SQL) and ``adapters/http/`` (the portal and officers' routes);
- ``tools/``: ``crible legal ...`` commands and the benchmarks;
- ``transparency/``: the transparency report;
- ``service.py`` binds them into the ``SPEC`` that ``crible run legal`` serves.
"""
